import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { createUser } from '../../src/commands/users/accounts.js';

/** POST /api/v1/auth/login and /login/sms, with the failed-login limiter. */

const PASSWORD = 'Correct-horse-42';
const WRONG = 'Wrong-horse-42';

let runtime: TestRuntime;
let api: ReturnType<typeof client>;

let sequence = 0;
const nextPhone = () => `+86150${String(++sequence).padStart(8, '0')}`;
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/** A user made through the command (no SMS code spent, so the number can still receive one). */
async function newUser(options: { email?: string } = {}) {
  const phone = nextPhone();
  const email = options.email ?? `user${sequence}@example.com`;
  const { state } = await createUser(runtime.deps, { phone, email, nickname: `user ${sequence}`, password: PASSWORD, roles: ['customer'] }, {});
  return { id: state.userId, phone, email };
}

const login = (identifier: string, password: string) => api('POST', '/api/v1/auth/login', { body: { identifier, password } });
const head = () => runtime.deps.store.headPosition();

beforeAll(async () => {
  runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
  api = client(runtime.app);
});

afterAll(async () => {
  await runtime?.close();
});

describe('POST /api/v1/auth/login', () => {
  it('counts parallel guesses too: of 30 simultaneous wrong passwords at most 10 are checked, the rest are refused', async () => {
    const user = await newUser();
    const responses = await Promise.all(Array.from({ length: 30 }, () => login(user.email, WRONG)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
    expect((await login(user.email, PASSWORD)).status).toBe(429);
  });

  it('signs in by e-mail in any letter case: user, token pair, position and X-Position', async () => {
    const user = await newUser({ email: 'mixed.case@example.com' });
    const response = await login('  MIXED.case@Example.com ', PASSWORD);
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ id: user.id, email: 'mixed.case@example.com', phone: user.phone, roles: ['customer'] });
    expect(response.body.user.lastLoginAt).not.toBeNull();
    expect(response.body.accessToken.split('.')).toHaveLength(3);
    expect(response.body.refreshToken).toMatch(/^[0-9A-Z]{26}\./);
    expect(response.body.position).toMatch(/^\d+$/);
    expect(response.headers.get('x-position')).toBe(response.body.position);
    expect(JSON.stringify(response.body)).not.toMatch(/passwordHash|argon2/i);

    // The login is recorded on the user (UserLoggedIn) and a session is started.
    const events = await runtime.deps.store.readAll({ after: Number(response.body.position) - 2 });
    expect(events.map((event) => event.type)).toEqual(['UserLoggedIn', 'SessionStarted']);
    expect(events[0]!.data).toMatchObject({ userId: user.id, method: 'password' });
  });

  it('signs in by phone in any format that normalizes to the same number', async () => {
    const user = await newUser();
    const digits = user.phone.slice(3); // 150xxxxxxxx
    const formats = [user.phone, digits, `+86 ${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}`, `0086${digits}`, `(+86) ${digits.slice(0, 3)}-${digits.slice(3)}`];
    for (const identifier of formats) {
      const response = await login(identifier, PASSWORD);
      expect(response.status, identifier).toBe(200);
      expect(response.body.user.id).toBe(user.id);
    }
  });

  it('answers a wrong password and an unknown account alike: 401 UNAUTHENTICATED with one generic message, writing nothing', async () => {
    const user = await newUser();
    const before = await head();
    const wrongPassword = await login(user.email, WRONG);
    const unknownEmail = await login('nobody@example.com', PASSWORD);
    const unknownPhone = await login(nextPhone(), PASSWORD);
    const notAnIdentifier = await login('not an identifier', PASSWORD);

    for (const response of [wrongPassword, unknownEmail, unknownPhone, notAnIdentifier]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.body.code).toBe('UNAUTHENTICATED');
      expect(response.body.detail).toBe(wrongPassword.body.detail);
      expect(response.body).toEqual(wrongPassword.body);
    }
    expect(await head()).toBe(before);
  });

  it('validates the body: identifier and password are required, unknown fields are refused', async () => {
    const missing = await api('POST', '/api/v1/auth/login', { body: { identifier: 'someone@example.com' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['password']);
    const empty = await api('POST', '/api/v1/auth/login', { body: { identifier: '   ', password: 'x' } });
    expect(empty.status).toBe(400);
    expect(empty.body.errors.map((e: { path: string }) => e.path)).toEqual(['identifier']);
    const extra = await api('POST', '/api/v1/auth/login', { body: { identifier: 'someone@example.com', password: 'x', remember: true } });
    expect(extra.status).toBe(400);
  });

  it('slows failures after 3 and refuses the account (429, Retry-After) after 10, even with the right password', async () => {
    const user = await newUser();
    const victim = user.phone.slice(3); // failures in any format count for the same number
    const durations: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const response = await login(i % 2 ? victim : user.phone, WRONG);
      durations.push(performance.now() - started);
      expect(response.status, `failure ${i + 1}`).toBe(401);
    }
    // The 4th failure onwards waits 200 ms more each time; the 10th waits 1.4 s.
    expect(durations[9]).toBeGreaterThanOrEqual(1400);
    expect(durations[9]! - durations[0]!).toBeGreaterThan(1000);

    const before = await head();
    const refused = await login(user.phone, PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(await head()).toBe(before);

    // The limit is per account: someone else signs in normally.
    const other = await newUser();
    expect((await login(other.email, PASSWORD)).status).toBe(200);
  });

  it('forgets the failures after a successful sign-in', async () => {
    const user = await newUser();
    // 9 failures at once (none waits for another), one short of the limit.
    const failures = await Promise.all(Array.from({ length: 9 }, () => login(user.email, WRONG)));
    expect(failures.map((response) => response.status)).toEqual(Array(9).fill(401));

    expect((await login(user.email, PASSWORD)).status).toBe(200);
    // Were the 9 still counted, this failure would be the 10th and the next sign-in refused.
    expect((await login(user.email, WRONG)).status).toBe(401);
    expect((await login(user.email, PASSWORD)).status).toBe(200);
  });
});

describe('POST /api/v1/auth/login/sms', () => {
  async function requestLoginCode(phone: string) {
    const response = await api('POST', '/api/v1/auth/sms-codes', { body: { phone, purpose: 'login' } });
    expect(response.status).toBe(202);
    const outbox = await api('GET', `/api/v1/dev/outbox?to=${encodeURIComponent(phone)}`);
    const message = outbox.body.items.find((m: { purpose: string }) => m.purpose === 'login');
    expect(message).toBeDefined();
    return message.code as string;
  }

  it('signs in with a login code; a wrong code is 400 INVALID_CODE; the code works once', async () => {
    const user = await newUser();
    const code = await requestLoginCode(user.phone);
    const before = await head();

    const wrong = await api('POST', '/api/v1/auth/login/sms', { body: { phone: user.phone, code: otherCode(code) } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('INVALID_CODE');
    expect(await head()).toBe(before);

    const response = await api('POST', '/api/v1/auth/login/sms', { body: { phone: user.phone.slice(3), code } });
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(user.id);
    expect(response.body.refreshToken).toMatch(/^[0-9A-Z]{26}\./);
    expect(response.headers.get('x-position')).toBe(response.body.position);
    const [loggedIn] = (await runtime.deps.store.readStream(`user-${user.id}`)).filter((event) => event.type === 'UserLoggedIn');
    expect(loggedIn!.data).toMatchObject({ method: 'sms' });

    const reused = await api('POST', '/api/v1/auth/login/sms', { body: { phone: user.phone, code } });
    expect(reused.status).toBe(400);
    expect(reused.body.code).toBe('INVALID_CODE');
  });

  it('does not accept a register code for login', async () => {
    const phone = nextPhone();
    expect((await api('POST', '/api/v1/auth/sms-codes', { body: { phone, purpose: 'register' } })).status).toBe(202);
    const outbox = await api('GET', `/api/v1/dev/outbox?to=${encodeURIComponent(phone)}`);
    const code = outbox.body.items[0].code as string;
    const response = await api('POST', '/api/v1/auth/login/sms', { body: { phone, code } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('INVALID_CODE');
  });

  it('answers INVALID_CODE for a number without an account', async () => {
    const response = await api('POST', '/api/v1/auth/login/sms', { body: { phone: nextPhone(), code: '123456' } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('INVALID_CODE');
  });

  it('validates phone and code', async () => {
    const response = await api('POST', '/api/v1/auth/login/sms', { body: { phone: '12', code: '12ab' } });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['code', 'phone']);
  });
});
