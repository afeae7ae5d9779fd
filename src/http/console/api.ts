import type { IncomingMessage } from 'node:http';

/** How the console reaches the public API: the app's own fetch, in process (no socket, same middleware). */
export type ApiFetch = (request: Request, env?: unknown) => Response | Promise<Response>;

export interface ApiAnswer<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  status: number;
  ok: boolean;
  headers: Headers;
  body: T;
}

/** A problem+json body, as every API error is. */
export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail?: string;
  errors?: Array<{ path: string; message: string }>;
  [key: string]: unknown;
}

export interface ApiCallOptions {
  body?: unknown;
  /** A raw body (bulk files) sent as it is, with `contentType`. */
  raw?: ArrayBuffer | Uint8Array | string;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * The console's API client: every page reads and writes through Bazaar's public JSON API with the
 * session's bearer token, exactly as any other client would (no store, no command is called directly).
 * The browser's socket is passed along so the API sees the real client address (rate limits, logs).
 */
export class Api {
  constructor(
    private readonly fetchApi: ApiFetch,
    private readonly origin: string,
    private readonly token: string | null,
    private readonly incoming: IncomingMessage | undefined,
    private readonly requestId: string,
  ) {}

  async call<T = any>(method: string, path: string, options: ApiCallOptions = {}): Promise<ApiAnswer<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Request-Id': this.requestId, ...(options.headers ?? {}) };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let body: ArrayBuffer | Uint8Array | string | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    }
    const request = new Request(new URL(path, this.origin), { method, headers, body: body as string | undefined });
    const response = await this.fetchApi(request, this.incoming ? { incoming: this.incoming } : {});
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('Content-Type') ?? '').includes('json')) {
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, ok: response.ok, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string, headers?: Record<string, string>) { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.call<T>('GET', path, { headers });
  }
}

/** A query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The ETag's number ("W/\"3\"" or "\"3\""), or null. */
export function etagVersion(headers: Headers): number | null {
  const match = /"(-?\d+)"/.exec(headers.get('ETag') ?? '');
  return match ? Number(match[1]) : null;
}
