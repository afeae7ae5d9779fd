import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { createUser } from '../../src/commands/users/accounts.js';

/** docs/api.md "Conventions" and "Operations": problem+json, content negotiation, limits, request ids, ops endpoints, read-your-writes. */

const PASSWORD = 'Correct-horse-42';

let runtime: TestRuntime;
let api: ReturnType<typeof client>;
let token: string;
let position: string;

const PROBLEM_KEYS = ['code', 'detail', 'status', 'title', 'type'];

function expectProblem(response: { status: number; headers: Headers; body: Record<string, unknown> }, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.body).toMatchObject({ status, code, type: 'about:blank', title: expect.any(String), detail: expect.any(String) });
  expect(response.body.code).toMatch(/^[A-Z][A-Z0-9_]*$/);
  expect(JSON.stringify(response.body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
}

beforeAll(async () => {
  runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
  api = client(runtime.app);
  await createUser(runtime.deps, { phone: '+8613912345678', email: 'conventions@example.com', nickname: 'conventions', password: PASSWORD, roles: ['customer'] }, {});
  const login = await api('POST', '/api/v1/auth/login', { body: { identifier: 'conventions@example.com', password: PASSWORD } });
  expect(login.status).toBe(200);
  token = login.body.accessToken;
  position = login.body.position;
});

afterAll(async () => {
  await runtime?.close();
});

describe('errors are application/problem+json', () => {
  it('answers an unknown route with a 404 problem', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/nothing-here'],
      ['POST', '/api/v1/auth/nothing-here'],
      ['GET', '/not-api-at-all'],
    ] as const) {
      const response = await api(method, path);
      expectProblem(response, 404, 'NOT_FOUND');
      expect(Object.keys(response.body).sort()).toEqual(PROBLEM_KEYS);
      expect(response.body.detail).toContain(path);
    }
  });

  it('gives field errors as errors[{ path, message }]', async () => {
    const response = await api('POST', '/api/v1/auth/sms-codes', { body: { phone: 'abc', purpose: 'spam' } });
    expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(response.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'phone', message: expect.stringMatching(/valid mobile number/) },
        { path: 'purpose', message: expect.any(String) },
      ]),
    );
  });

  it('answers a body that is not JSON with 415', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await api('POST', '/api/v1/auth/login', { body: 'identifier=a&password=b', headers: { 'Content-Type': contentType } });
      expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    }
    // A body without any Content-Type is not JSON either.
    const bare = await runtime.app.request('/api/v1/auth/login', { method: 'POST', body: new Blob([new Uint8Array([123, 125])]) });
    expect(bare.status).toBe(415);
  });

  it('answers malformed JSON with 400', async () => {
    for (const body of ['{"identifier": "a@b.c",', '{identifier: 1}', 'null x']) {
      const response = await api('POST', '/api/v1/auth/login', { body });
      expectProblem(response, 400, 'MALFORMED_REQUEST');
    }
    const notAnObject = await api('POST', '/api/v1/auth/login', { body: '[1, 2]' });
    expectProblem(notAnObject, 400, 'VALIDATION_FAILED');
    const missing = await runtime.app.request('/api/v1/auth/login', { method: 'POST' });
    expect(missing.status).toBe(400);
  });

  it('accepts JSON with a charset parameter', async () => {
    const response = await api('POST', '/api/v1/auth/sms-codes', { body: { phone: '+8613912340000', purpose: 'register' }, headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    expect(response.status).toBe(202);
  });

  it('refuses a body over 1 MiB with 413, with or without Content-Length', async () => {
    const big = JSON.stringify({ identifier: 'x'.repeat(1024 * 1024), password: 'y' });
    const declared = await api('POST', '/api/v1/auth/login', { body: big, headers: { 'Content-Length': String(Buffer.byteLength(big)) } });
    expectProblem(declared, 413, 'PAYLOAD_TOO_LARGE');

    const encoder = new TextEncoder();
    const streamed = await runtime.app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 20; i++) controller.enqueue(encoder.encode('x'.repeat(64 * 1024)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');

    // Just under the limit is read normally (and then validated).
    const fits = await api('POST', '/api/v1/auth/login', { body: JSON.stringify({ identifier: 'a@example.com', password: 'p', pad: 'z'.repeat(1000 * 1000) }) });
    expectProblem(fits, 400, 'VALIDATION_FAILED');
  });

  it('refuses an invalid bearer token even on a public route', async () => {
    const response = await api('POST', '/api/v1/auth/sms-codes', { body: { phone: '+8613912340001', purpose: 'register' }, token: 'not-a-jwt' });
    expectProblem(response, 401, 'UNAUTHENTICATED');
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('request ids', () => {
  it('echoes a well-formed X-Request-Id, also on errors', async () => {
    const ok = await api('GET', '/healthz', { headers: { 'X-Request-Id': 'req-0001:abc.def' } });
    expect(ok.headers.get('x-request-id')).toBe('req-0001:abc.def');
    const failed = await api('GET', '/api/v1/me', { headers: { 'X-Request-Id': 'req-0002' } });
    expect(failed.status).toBe(401);
    expect(failed.headers.get('x-request-id')).toBe('req-0002');
    const missing = await api('GET', '/nowhere', { headers: { 'X-Request-Id': 'req-0003' } });
    expect(missing.headers.get('x-request-id')).toBe('req-0003');
  });

  it('makes up an id when none or a malformed one is sent', async () => {
    const none = await api('GET', '/healthz');
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9A-Z]{26}$/);
    for (const bad of ['has spaces', 'x'.repeat(129), 'inject\u0007bell']) {
      const response = await api('GET', '/healthz', { headers: { 'X-Request-Id': bad } });
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9A-Z]{26}$/);
    }
  });

  it('records the request id as the correlation id of the events a command writes', async () => {
    const response = await api('PATCH', '/api/v1/me', { token, body: { fullName: 'Correlated' }, headers: { 'X-Request-Id': 'trace-me-42' } });
    expect(response.status).toBe(200);
    const [event] = await runtime.deps.store.readAll({ after: Number(response.headers.get('x-position')) - 1 });
    expect(event!.metadata.correlationId).toBe('trace-me-42');
  });
});

describe('operations endpoints', () => {
  it('GET /healthz answers 200', async () => {
    const response = await api('GET', '/healthz');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('GET /readyz reports the stores and the projections', async () => {
    const response = await api('GET', '/readyz');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('ready');
    expect(response.body.checks).toEqual({ eventStore: 'ok', viewStore: 'ok', keyValue: 'ok', searchIndex: 'ok' });
    expect(response.body.projections).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'users', lag: expect.any(Number), rebuilding: false })]));
  });

  it('GET /metrics is Prometheus text with request latencies by route', async () => {
    await api('GET', '/healthz');
    await api('GET', '/api/v1/me', { token });
    const response = await api('GET', '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body as string;
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/healthz",status="200"\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/me",status="200"\} [1-9]/);
    expect(text).toMatch(/bazaar_projection_lag_events\{projection="users"\} \d+/);
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('GET /openapi.json is an OpenAPI 3.1 document listing the auth routes', async () => {
    const response = await api('GET', '/openapi.json');
    expect(response.status).toBe(200);
    const doc = response.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Bazaar API');
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/sms-codes',
        'POST /api/v1/auth/register',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/login/sms',
        'POST /api/v1/auth/refresh',
        'POST /api/v1/auth/logout',
        'POST /api/v1/auth/password/forgot',
        'POST /api/v1/auth/password/reset',
        'GET /api/v1/me',
        'PATCH /api/v1/me',
        'PUT /api/v1/admin/users/{id}/roles',
      ]),
    );
    // Generated from the validating schemas.
    const register = doc.paths['/api/v1/auth/register'].post;
    const schema = register.requestBody.content['application/json'].schema;
    expect([...schema.required].sort()).toEqual(['code', 'nickname', 'password', 'phone']);
    expect(schema.properties.code.pattern).toBe('^\\d{6}$');
    expect(register.responses['409'].content['application/problem+json']).toBeDefined();
    expect(doc.paths['/api/v1/me'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Problem', 'User', 'AuthResult', 'Address']));
    expect(JSON.stringify(doc.components.schemas.User)).not.toContain('passwordHash');
    // Request headers are documented (they are checked where they are read, not by a schema).
    const headerParams = (operation: { parameters?: Array<{ in: string; name: string }> }) => (operation.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
    expect(headerParams(doc.paths['/api/v1/orders'].post)).toEqual(['idempotency-key']);
    expect(headerParams(doc.paths['/api/v1/me'].patch)).toEqual(['if-match']);
    for (const path of ['/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/auth/login/sms']) expect(headerParams(doc.paths[path].post)).toEqual(['x-cart-token']);
  });

  it('names ids in create answers as the views do (`id`, beside the contract\'s paymentId / refundId / shipmentId)', async () => {
    const doc = (await api('GET', '/openapi.json')).body;
    for (const name of ['Payment', 'Refund', 'Shipment']) expect(doc.components.schemas[name].required).toContain('id');
  });

  it('refuses a malformed Idempotency-Key and a malformed If-Match with 400 (headers are checked where they are read)', async () => {
    const badKey = await api('POST', '/api/v1/orders', { token, headers: { 'Idempotency-Key': 'has spaces' }, body: {} });
    expect(badKey.status).toBe(400);
    expect(badKey.body.errors).toEqual([expect.objectContaining({ path: 'Idempotency-Key' })]);
    const badIfMatch = await api('PATCH', '/api/v1/me', { token, headers: { 'If-Match': 'soon' }, body: { nickname: 'x' } });
    expect(badIfMatch.status).toBe(400);
  });

  it('GET /docs serves the Swagger UI page pointing at /openapi.json', async () => {
    const response = await api('GET', '/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.body).toContain('swagger-ui');
    expect(response.body).not.toMatch(/(src|href)="(https?:)?\/\//); // works offline: no CDN
    const init = await runtime.app.request('/docs/assets/docs-init.js');
    expect(await init.text()).toContain('/openapi.json');
    for (const asset of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
      const served = await runtime.app.request(`/docs/assets/${asset}`);
      expect(served.status).toBe(200);
      expect((await served.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    expect((await runtime.app.request('/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });
});

describe('X-Min-Position (read-your-writes)', () => {
  it('answers consistent when the read model already has the position', async () => {
    const response = await api('GET', '/api/v1/me', { token, headers: { 'X-Min-Position': position } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-consistency')).toBe('consistent');
  });

  it('waits for the projection to reach the position before answering', async () => {
    await runtime.deps.projections.stop();
    let restarted = false;
    try {
      const patched = await api('PATCH', '/api/v1/me', { token, body: { nickname: 'Waited for' } });
      expect(patched.status).toBe(200);
      const started = performance.now();
      const reading = api('GET', '/api/v1/me', { token, headers: { 'X-Min-Position': patched.headers.get('x-position')! } });
      await sleep(300);
      await runtime.deps.projections.start();
      restarted = true;
      const response = await reading;
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-consistency')).toBe('consistent');
      expect(response.body.nickname).toBe('Waited for');
    } finally {
      if (!restarted) await runtime.deps.projections.start();
    }
  });

  it('answers from the read model anyway, marked stale, when the position is not reached in time', async () => {
    const ahead = String((await runtime.deps.store.headPosition()) + 1000);
    const started = performance.now();
    const response = await api('GET', '/api/v1/me', { token, headers: { 'X-Min-Position': ahead } });
    const elapsed = performance.now() - started;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-consistency')).toBe('stale');
    expect(response.body.email).toBe('conventions@example.com');
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
  });

  it('refuses a value that is not a position with 400', async () => {
    for (const value of ['abc', '-1', '1.5', '', '99999999999999999999']) {
      const response = await api('GET', '/api/v1/me', { token, headers: { 'X-Min-Position': value } });
      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ path: 'X-Min-Position', message: expect.any(String) }]);
    }
  });
});

describe('error texts name the rule', () => {
  it('a weak password is refused with the password rule in the detail', async () => {
    const response = await api('POST', '/api/v1/auth/register', { body: { phone: '+8613912345679', code: '123456', password: 'short', nickname: 'rules' } });
    expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(response.body.detail).toBe('password must be at least 8 characters');
    const mixed = await api('POST', '/api/v1/auth/register', { body: { phone: '+8613912345679', code: '123456', password: 'alllowercaseletters', nickname: 'rules' } });
    expect(mixed.body.detail).toBe('password must mix at least two of: lower-case letters, upper-case letters, digits, symbols');
  });
});
