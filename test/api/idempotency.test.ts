import { setTimeout as sleep } from 'node:timers/promises';
import { createRoute, z } from '@hono/zod-openapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryKeyValue } from '../../src/adapters/keyvalue/memory.js';
import { jwtTokenService } from '../../src/commands/users/tokens.js';
import { ConcurrencyError, ConflictError } from '../../src/kernel/errors.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/http/metrics.js';
import { authenticate } from '../../src/http/middleware/auth.js';
import { idempotent } from '../../src/http/middleware/idempotency.js';
import { requestContext } from '../../src/http/middleware/request-context.js';
import { errors, json, jsonBody, router } from '../../src/http/openapi.js';
import { problemResponse, toProblem } from '../../src/http/problem.js';
import type { KeyValue } from '../../src/ports/key-value.js';

/**
 * The idempotency middleware (docs/api.md "Idempotency") on a small app built like the real one:
 * request context, bearer authentication, zod-validated routes and the problem+json error mapping.
 */

const tokens = jwtTokenService('idempotency-test-secret-0123456789abcdef');
const ALICE = 'alice-0000000000000000000000';
const BOB = 'bob-00000000000000000000000000';

let kv: KeyValue;
let runs: number;
let failNext: number;
let conflictNext: number;
let app: ReturnType<typeof buildApp>;

function buildApp(store: KeyValue) {
  const app = router();
  app.use('*', requestContext(createLogger('silent'), createMetrics()));
  app.use('*', authenticate(tokens));

  app.openapi(
    createRoute({
      method: 'post',
      path: '/orders',
      middleware: [idempotent(store)] as const,
      request: { body: jsonBody(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() }).strict()) },
      responses: { 201: json(z.object({ id: z.string(), sku: z.string(), quantity: z.number() }), 'created'), ...errors(400, 409, 422) },
    }),
    async (c) => {
      const run = ++runs;
      const body = c.req.valid('json');
      await sleep(30); // long enough for duplicates to arrive while it runs
      if (failNext > 0) {
        failNext -= 1;
        throw new Error('database is on fire');
      }
      if (body.sku === 'sold-out') throw new ConflictError('OUT_OF_STOCK', 'sold out');
      if (conflictNext > 0) {
        conflictNext -= 1;
        throw new ConcurrencyError('order-1', '3', '4');
      }
      return c.json({ id: `order-${run}`, ...body }, 201, { 'X-Position': String(100 + run), ETag: `"${run}"`, 'X-Not-Replayed': 'x' });
    },
  );

  app.onError((error) => {
    const mapped = toProblem(error);
    return problemResponse(mapped.problem, mapped.headers);
  });
  return app;
}

async function post(body: unknown, options: { key?: string; userId?: string; path?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.key !== undefined) headers['Idempotency-Key'] = options.key;
  if (options.userId) headers.Authorization = `Bearer ${await tokens.issueAccessToken({ userId: options.userId, roles: ['customer'] }, new Date())}`;
  const response = await app.request(options.path ?? '/orders', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : null };
}

beforeEach(() => {
  kv = memoryKeyValue();
  runs = 0;
  failNext = 0;
  conflictNext = 0;
  app = buildApp(kv);
});

afterEach(async () => {
  await kv.close();
});

describe('idempotent(kv)', () => {
  it('runs every request without an Idempotency-Key', async () => {
    const a = await post({ sku: 'tea', quantity: 1 }, { userId: ALICE });
    const b = await post({ sku: 'tea', quantity: 1 }, { userId: ALICE });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).not.toBe(b.body.id);
    expect(runs).toBe(2);
  });

  it('replays the first status, body and X-Position for the same key and body, running the handler once', async () => {
    const first = await post({ sku: 'tea', quantity: 2 }, { key: 'order-key-1', userId: ALICE });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await post({ sku: 'tea', quantity: 2 }, { key: 'order-key-1', userId: ALICE });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('x-position')).toBe(first.headers.get('x-position'));
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('x-not-replayed')).toBeNull();
    expect(runs).toBe(1);

    // A new key is a new request.
    const other = await post({ sku: 'tea', quantity: 2 }, { key: 'order-key-2', userId: ALICE });
    expect(other.body.id).not.toBe(first.body.id);
    expect(runs).toBe(2);
  });

  it('refuses the same key with a different body: 422 IDEMPOTENCY_KEY_REUSED, handler not run', async () => {
    await post({ sku: 'tea', quantity: 1 }, { key: 'reused', userId: ALICE });
    const reused = await post({ sku: 'tea', quantity: 5 }, { key: 'reused', userId: ALICE });
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toBe('application/problem+json');
    expect(reused.body).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(runs).toBe(1);

    // The first answer is still what the key replays.
    const replay = await post({ sku: 'tea', quantity: 1 }, { key: 'reused', userId: ALICE });
    expect(replay.body).toMatchObject({ id: 'order-1', quantity: 1 });
  });

  it('runs the handler once for 20 simultaneous requests with the same key; all get the same answer', async () => {
    const responses = await Promise.all(Array.from({ length: 20 }, () => post({ sku: 'rush', quantity: 1 }, { key: 'stampede', userId: ALICE })));
    expect(runs).toBe(1);
    for (const response of responses) {
      expect(response.status).toBe(201);
      expect(response.text).toBe(responses[0]!.text);
      expect(response.headers.get('x-position')).toBe('101');
    }
    expect(responses.filter((response) => response.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
  });

  it('refuses a malformed key with 400 before running anything', async () => {
    for (const key of ['', 'has space', 'x'.repeat(256), 'tab\there']) {
      const response = await post({ sku: 'tea', quantity: 1 }, { key, userId: ALICE });
      expect(response.status, JSON.stringify(key)).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ path: 'Idempotency-Key', message: expect.any(String) }]);
    }
    expect(runs).toBe(0);
    expect((await post({ sku: 'tea', quantity: 1 }, { key: 'k'.repeat(255), userId: ALICE })).status).toBe(201);
  });

  it('does not keep a 5xx outcome: a retry with the same key runs again', async () => {
    failNext = 1;
    const failed = await post({ sku: 'tea', quantity: 1 }, { key: 'flaky', userId: ALICE });
    expect(failed.status).toBe(500);
    expect(failed.body.code).toBe('INTERNAL');
    expect(failed.text).not.toContain('on fire');

    const retried = await post({ sku: 'tea', quantity: 1 }, { key: 'flaky', userId: ALICE });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(runs).toBe(2);

    const replay = await post({ sku: 'tea', quantity: 1 }, { key: 'flaky', userId: ALICE });
    expect(replay.text).toBe(retried.text);
    expect(runs).toBe(2);
  });

  it('lets duplicates that waited on a failing first attempt run it again', async () => {
    failNext = 1;
    const responses = await Promise.all(Array.from({ length: 5 }, () => post({ sku: 'tea', quantity: 1 }, { key: 'wait-then-fail', userId: ALICE })));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses[0]).toBe(201);
    expect(statuses.filter((status) => status === 500)).toHaveLength(1);
    expect(runs).toBe(2);
  });

  it('scopes keys per user: the same key from another user is another request', async () => {
    const alice = await post({ sku: 'tea', quantity: 1 }, { key: 'shared-key', userId: ALICE });
    const bob = await post({ sku: 'tea', quantity: 1 }, { key: 'shared-key', userId: BOB });
    expect(bob.status).toBe(201);
    expect(bob.headers.get('idempotent-replayed')).toBeNull();
    expect(bob.body.id).not.toBe(alice.body.id);
    // Even with a different body, Bob's key does not collide with Alice's.
    const bobOther = await post({ sku: 'coffee', quantity: 3 }, { key: 'alice-only', userId: BOB });
    const aliceOther = await post({ sku: 'tea', quantity: 1 }, { key: 'alice-only', userId: ALICE });
    expect(bobOther.status).toBe(201);
    expect(aliceOther.status).toBe(201);
    // Anonymous callers are yet another scope.
    const anonymous = await post({ sku: 'tea', quantity: 1 }, { key: 'shared-key' });
    expect(anonymous.status).toBe(201);
    expect(anonymous.headers.get('idempotent-replayed')).toBeNull();
    expect(runs).toBe(5);
  });

  it('replays a refusal the handler decided (4xx) instead of running again', async () => {
    const first = await post({ sku: 'sold-out', quantity: 1 }, { key: 'refused', userId: ALICE });
    expect(first.status).toBe(409);
    expect(first.body.code).toBe('OUT_OF_STOCK');
    const again = await post({ sku: 'sold-out', quantity: 1 }, { key: 'refused', userId: ALICE });
    expect(again.status).toBe(409);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(1);
  });

  it('does not keep a lost concurrency race (409 CONCURRENCY_CONFLICT says retry): the retry with the same key runs again', async () => {
    conflictNext = 1;
    const lost = await post({ sku: 'tea', quantity: 1 }, { key: 'raced', userId: ALICE });
    expect(lost.status).toBe(409);
    expect(lost.body.code).toBe('CONCURRENCY_CONFLICT');
    const retried = await post({ sku: 'tea', quantity: 1 }, { key: 'raced', userId: ALICE });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect(runs).toBe(2);
    expect((await post({ sku: 'tea', quantity: 1 }, { key: 'raced', userId: ALICE })).headers.get('idempotent-replayed')).toBe('true');
    expect(runs).toBe(2);
  });
});
