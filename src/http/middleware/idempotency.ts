import type { MiddlewareHandler } from 'hono';
import { setTimeout as sleep } from 'node:timers/promises';
import { hash } from 'node:crypto';
import { ConflictError, DomainError, ValidationError } from '../../kernel/errors.js';
import type { KeyValue } from '../../ports/key-value.js';
import type { AppEnv } from '../env.js';
import { rememberJsonText, responseHeaders, responseText } from '../response-text.js';

const KEY = /^[\x21-\x7e]{1,255}$/;
const RECORD_TTL_MS = 24 * 60 * 60 * 1000;
const PENDING_TTL_MS = 60 * 1000;
const WAIT_FOR_FIRST_MS = 15 * 1000;
const REPLAYED_HEADERS = ['content-type', 'x-position', 'etag', 'location', 'x-cart-token'];

type IdempotencyRecord =
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; status: number; body: string; headers: Record<string, string> };

export class IdempotencyKeyReused extends DomainError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body; use a new key for a new request');
  }
}

/**
 * docs/api.md idempotency: the same key with the same body replays the first response (status, body and
 * the headers that matter); the same key with another body is 422. Concurrent duplicates wait for the
 * first to finish. Keys are scoped to the caller (user, or address when anonymous) and the route.
 */
export function idempotent(kv: KeyValue): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('Idempotency-Key');
    if (key === undefined) return next();
    if (!KEY.test(key)) {
      throw new ValidationError('invalid Idempotency-Key', [{ path: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters, e.g. a UUID' }]);
    }
    const caller = c.get('user')?.id ?? `anon:${c.get('clientIp')}`;
    const recordKey = `idem:${caller}:${c.req.method}:${c.req.path}:${key}`;
    const body = await c.req.text();
    const fingerprint = hash('sha256', `${c.req.header('Content-Type') ?? ''}\n${body}`, 'base64url');

    const deadline = Date.now() + WAIT_FOR_FIRST_MS;
    for (;;) {
      const claimed = await kv.set(recordKey, JSON.stringify({ state: 'pending', fingerprint } satisfies IdempotencyRecord), { ttlMs: PENDING_TTL_MS, ifAbsent: true });
      if (claimed) break;
      const raw = await kv.get(recordKey);
      if (raw === null) continue; // the first attempt failed and released the key
      const record = JSON.parse(raw) as IdempotencyRecord;
      if (record.fingerprint !== fingerprint) throw new IdempotencyKeyReused();
      if (record.state === 'done') {
        return new Response(record.body, { status: record.status, headers: { ...record.headers, 'Idempotent-Replayed': 'true' } });
      }
      if (Date.now() > deadline) throw new ConflictError('IDEMPOTENCY_REQUEST_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed; retry shortly');
      await sleep(20);
    }

    rememberJsonText(c);
    try {
      await next();
    } catch (error) {
      await kv.del(recordKey);
      throw error;
    }
    const response = c.res;
    const text = response.status >= 500 ? '' : await responseText(response);
    if (asksForRetry(response, text)) {
      await kv.del(recordKey);
      return;
    }
    const headers = responseHeaders(response, REPLAYED_HEADERS);
    const record: IdempotencyRecord = { state: 'done', fingerprint, status: response.status, body: text, headers };
    await kv.set(recordKey, JSON.stringify(record), { ttlMs: RECORD_TTL_MS });
  };
}

/**
 * Outcomes that tell the client to try again are not kept: a retry with the same key runs the request
 * again. A 5xx, a 429, anything with Retry-After, and a lost concurrency race (409 CONCURRENCY_CONFLICT,
 * which says "retry it") would otherwise be replayed for the record's whole lifetime.
 */
function asksForRetry(response: Response, text: string): boolean {
  if (response.status >= 500 || response.status === 429 || response.headers.has('retry-after')) return true;
  return response.status === 409 && problemCode(text) === 'CONCURRENCY_CONFLICT';
}

const problemCode = (text: string): unknown => {
  try {
    return (JSON.parse(text) as { code?: unknown } | null)?.code;
  } catch {
    return undefined;
  }
};
