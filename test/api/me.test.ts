import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { createUser } from '../../src/commands/users/accounts.js';
import { jwtTokenService } from '../../src/commands/users/tokens.js';

/** GET / PATCH /api/v1/me. */

const PASSWORD = 'Correct-horse-42';

let runtime: TestRuntime;
let api: ReturnType<typeof client>;
let sequence = 0;

/** A fresh signed-in customer for each test. */
let me: { id: string; token: string; position: string };

const ADDRESS = {
  recipient: 'Li Lei',
  phone: '+8613800138000',
  country: 'CN',
  province: 'Zhejiang',
  city: 'Hangzhou',
  district: 'Xihu',
  line1: '18 Wenyi Road',
  postalCode: '310000',
};

const patch = (body: unknown, headers: Record<string, string> = {}) => api('PATCH', '/api/v1/me', { body, token: me.token, headers });
const head = () => runtime.deps.store.headPosition();
const paths = (response: { body: { errors?: Array<{ path: string }> } }) => (response.body.errors ?? []).map((e) => e.path);

beforeAll(async () => {
  runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
  api = client(runtime.app);
});

afterAll(async () => {
  await runtime?.close();
});

beforeEach(async () => {
  const email = `profile${++sequence}@example.com`;
  await createUser(runtime.deps, { phone: `+86177${String(sequence).padStart(8, '0')}`, email, nickname: 'Xiao Ming', password: PASSWORD, roles: ['customer'] }, {});
  const login = await api('POST', '/api/v1/auth/login', { body: { identifier: email, password: PASSWORD } });
  expect(login.status).toBe(200);
  me = { id: login.body.user.id, token: login.body.accessToken, position: login.body.position };
});

describe('GET /api/v1/me', () => {
  it('needs a bearer token: 401 with WWW-Authenticate', async () => {
    const response = await api('GET', '/api/v1/me');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('refuses garbage, foreign, expired and non-bearer credentials with 401', async () => {
    const foreign = await jwtTokenService('another-secret-that-is-long-enough-123456').issueAccessToken({ userId: me.id, roles: ['admin'] }, new Date());
    const expired = await runtime.deps.tokens.issueAccessToken({ userId: me.id, roles: ['customer'] }, new Date(Date.now() - 60 * 60 * 1000));
    const [header, payload, signature] = me.token.split('.') as [string, string, string];
    const tamperedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['admin'] })).toString('base64url');

    for (const authorization of [
      'Bearer garbage',
      `Bearer ${foreign}`,
      `Bearer ${expired}`,
      `Bearer ${header}.${tamperedPayload}.${signature}`,
      `Basic ${Buffer.from('user:pass').toString('base64')}`,
      'Bearer',
    ]) {
      const response = await api('GET', '/api/v1/me', { headers: { Authorization: authorization } });
      expect(response.status, authorization).toBe(401);
      expect(response.body.code).toBe('UNAUTHENTICATED');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    const expiredResponse = await api('GET', '/api/v1/me', { token: expired });
    expect(expiredResponse.body.detail).toMatch(/expired/);
  });

  it('returns the profile with its version as ETag and without secrets', async () => {
    const response = await api('GET', '/api/v1/me', { token: me.token, headers: { 'X-Min-Position': me.position } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-consistency')).toBe('consistent');
    expect(response.body).toEqual({
      id: me.id,
      phone: expect.stringMatching(/^\+86177/),
      email: `profile${sequence}@example.com`,
      nickname: 'Xiao Ming',
      fullName: null,
      gender: null,
      dateOfBirth: null,
      avatar: null,
      shippingAddress: null,
      billingAddress: null,
      roles: ['customer'],
      status: 'active',
      registeredAt: expect.any(String),
      lastLoginAt: expect.any(String),
      points: 0,
      version: expect.any(Number),
    });
    expect(response.headers.get('etag')).toBe(`"${response.body.version}"`);
    // Registered, then signed in: two events on the user's stream.
    expect(response.body.version).toBe(1);
  });
});

describe('PATCH /api/v1/me', () => {
  it('changes the profile: 200 with the new profile, the next ETag and X-Position; GET reads it back', async () => {
    const before = await api('GET', '/api/v1/me', { token: me.token, headers: { 'X-Min-Position': me.position } });
    const changes = {
      nickname: 'Xiao Hong',
      fullName: 'Wang Xiaohong',
      gender: 'female',
      dateOfBirth: '1995-04-12',
      avatar: 'https://cdn.example.com/avatars/xh.png',
      shippingAddress: ADDRESS,
      billingAddress: { ...ADDRESS, line2: 'Room 1201' },
    };
    const response = await patch(changes, { 'If-Match': before.headers.get('etag')! });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ...changes, id: me.id, points: 0, version: before.body.version + 1 });
    expect(response.headers.get('etag')).toBe(`"${before.body.version + 1}"`);
    const position = response.headers.get('x-position')!;
    expect(Number(position)).toBe(await head());

    const [event] = await runtime.deps.store.readAll({ after: Number(position) - 1 });
    expect(event).toMatchObject({ type: 'UserProfileUpdated', streamId: `user-${me.id}`, data: { changes } });
    expect(event!.metadata.actor).toEqual({ id: me.id, role: 'customer' });

    const after = await api('GET', '/api/v1/me', { token: me.token, headers: { 'X-Min-Position': position } });
    expect(after.status).toBe(200);
    expect(after.body).toEqual(response.body);
    expect(after.headers.get('etag')).toBe(response.headers.get('etag'));
  });

  it('clears a field with null and leaves the others alone', async () => {
    expect((await patch({ fullName: 'Zhang San', gender: 'male' })).status).toBe(200);
    const response = await patch({ fullName: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ fullName: null, gender: 'male', nickname: 'Xiao Ming' });
  });

  it('writes nothing when nothing changes', async () => {
    const first = await patch({ nickname: 'Same' });
    const before = await head();
    const again = await patch({ nickname: 'Same' });
    expect(again.status).toBe(200);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(await head()).toBe(before);
  });

  it('refuses a stale If-Match with 412 VERSION_CONFLICT and appends nothing', async () => {
    const current = await api('GET', '/api/v1/me', { token: me.token, headers: { 'X-Min-Position': me.position } });
    const etag = current.headers.get('etag')!;
    expect((await patch({ nickname: 'First edit' }, { 'If-Match': etag })).status).toBe(200);

    const before = await head();
    const stale = await patch({ nickname: 'Lost update' }, { 'If-Match': etag });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toBe('application/problem+json');
    expect(stale.body).toMatchObject({ status: 412, code: 'VERSION_CONFLICT', currentVersion: current.body.version + 1 });
    expect(await head()).toBe(before);

    const check = await api('GET', '/api/v1/me', { token: me.token, headers: { 'X-Min-Position': String(before) } });
    expect(check.body.nickname).toBe('First edit');

    // Weak and bare forms of the current version are accepted too.
    let version = current.body.version + 1;
    for (const ifMatch of [(v: number) => `W/"${v}"`, (v: number) => String(v)]) {
      const response = await patch({ nickname: `Edit ${version}` }, { 'If-Match': ifMatch(version) });
      expect(response.status, ifMatch(version)).toBe(200);
      version += 1;
      expect(response.headers.get('etag')).toBe(`"${version}"`);
    }
  });

  it('refuses an If-Match that is not an ETag with 400', async () => {
    const response = await patch({ nickname: 'x' }, { 'If-Match': 'yesterday' });
    expect(response.status).toBe(400);
    expect(paths(response)).toEqual(['If-Match']);
  });

  it('validates dateOfBirth, avatar and gender with field paths', async () => {
    const before = await head();
    const future = new Date(Date.now() + 86_400_000 * 30).toISOString().slice(0, 10);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ dateOfBirth: '1990-13-01' }, 'dateOfBirth'],
      [{ dateOfBirth: '12/04/1995' }, 'dateOfBirth'],
      [{ dateOfBirth: future }, 'dateOfBirth'],
      [{ dateOfBirth: '1899-12-31' }, 'dateOfBirth'],
      [{ avatar: 'not a url' }, 'avatar'],
      [{ avatar: 'javascript:alert(1)' }, 'avatar'],
      [{ avatar: 'ftp://example.com/me.png' }, 'avatar'],
      [{ avatar: `https://example.com/${'a'.repeat(500)}.png` }, 'avatar'],
      [{ gender: 'robot' }, 'gender'],
      [{ nickname: '' }, 'nickname'],
      [{ fullName: 'x'.repeat(101) }, 'fullName'],
    ];
    for (const [body, path] of cases) {
      const response = await patch(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(paths(response), JSON.stringify(body)).toContain(path);
    }
    expect(await head()).toBe(before);
  });

  it('validates addresses field by field', async () => {
    const { city: _city, ...withoutCity } = ADDRESS;
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ shippingAddress: withoutCity }, ['shippingAddress.city']],
      [{ shippingAddress: { ...ADDRESS, country: 'China' } }, ['shippingAddress.country']],
      [{ billingAddress: { ...ADDRESS, country: 'cn' } }, ['billingAddress.country']],
      [{ shippingAddress: { ...ADDRESS, phone: '110' } }, ['shippingAddress.phone']],
      [{ shippingAddress: { ...ADDRESS, postalCode: '<script>' } }, ['shippingAddress.postalCode']],
      [{ shippingAddress: { ...ADDRESS, recipient: '   ' } }, ['shippingAddress.recipient']],
      [{ shippingAddress: {} }, ['shippingAddress.recipient', 'shippingAddress.phone', 'shippingAddress.country', 'shippingAddress.city', 'shippingAddress.line1']],
    ];
    for (const [body, expected] of cases) {
      const response = await patch(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(paths(response).sort(), JSON.stringify(body)).toEqual([...expected].sort());
    }
    const extra = await patch({ shippingAddress: { ...ADDRESS, floor: 3 } });
    expect(extra.status).toBe(400);
    expect(paths(extra)).toContain('shippingAddress');
  });

  it('refuses an empty change, read-only and unknown fields', async () => {
    const before = await head();
    const empty = await patch({});
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('VALIDATION_FAILED');
    expect(empty.body.errors[0].message).toMatch(/at least one field/);

    for (const body of [{ points: 1_000_000 }, { roles: ['admin'] }, { email: 'new@example.com' }, { phone: '+8613800138000' }, { nickname: 'ok', status: 'banned' }]) {
      const response = await patch(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect(await head()).toBe(before);
    const profile = await api('GET', '/api/v1/me', { token: me.token });
    expect(profile.body).toMatchObject({ points: 0, roles: ['customer'] });
  });

  it('refuses a body that is not JSON with 415, and malformed JSON with 400', async () => {
    const text = await api('PATCH', '/api/v1/me', { token: me.token, body: 'nickname=Hacker', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const malformed = await api('PATCH', '/api/v1/me', { token: me.token, body: '{"nickname": ' });
    expect(malformed.status).toBe(400);
  });

  it('needs a token', async () => {
    const response = await api('PATCH', '/api/v1/me', { body: { nickname: 'anonymous' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });
});
