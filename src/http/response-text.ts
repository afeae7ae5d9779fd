import type { Context } from 'hono';

/**
 * The body text of responses built here from a string, so middleware that records a response (the
 * idempotency record) need not read it back: reading or cloning a response makes @hono/node-server
 * turn its light response into a full one with a stream.
 */
const knownText = new WeakMap<Response, string>();
/**
 * The headers of responses built here from a plain object, as built (problem responses: nothing sets a
 * replayed header on them afterwards): reading `response.headers` would make a Headers object.
 */
const knownHeaders = new WeakMap<Response, Record<string, string>>();

export function withKnownText(response: Response, text: string, headers?: Record<string, string>): Response {
  knownText.set(response, text);
  if (headers) knownHeaders.set(response, headers);
  return response;
}

/** The value of each of `names` (lower case) the response has, without building its Headers when they are known. */
export function responseHeaders(response: Response, names: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {};
  const known = knownHeaders.get(response);
  if (known) {
    for (const [name, value] of Object.entries(known)) if (names.includes(name.toLowerCase())) found[name.toLowerCase()] = value;
    return found;
  }
  for (const name of names) {
    const value = response.headers.get(name);
    if (value !== null) found[name] = value;
  }
  return found;
}

/** Makes `c.json` remember the text of the responses it builds (for this request only). */
export function rememberJsonText(c: Context): void {
  const json = c.json;
  c.json = ((object: unknown, ...rest: unknown[]) => {
    const response = (json as (...args: unknown[]) => Response)(object, ...rest);
    return withKnownText(response, JSON.stringify(object));
  }) as typeof c.json;
}

/** The body of a response as text, without reading it when it is known. */
export async function responseText(response: Response): Promise<string> {
  return knownText.get(response) ?? (await response.clone().text());
}
