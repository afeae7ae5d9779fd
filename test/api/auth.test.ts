import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { createUser } from '../../src/commands/users/accounts.js';
import { ConflictError } from '../../src/kernel/errors.js';

/** SMS codes and registration over HTTP. Login, sessions, password reset and roles: auth-*.test.ts. */

const PASSWORD = 'Correct-horse-42';

let runtime: TestRuntime;
let api: ReturnType<typeof client>;

let sequence = 0;
/** A fresh, valid Chinese mobile number in E.164, different for every call. */
const nextPhone = () => `+86137${String(++sequence).padStart(8, '0')}`;
/** The same number as people type it at home: 137 0000 0001. */
const national = (e164: string) => `${e164.slice(3, 6)} ${e164.slice(6, 10)} ${e164.slice(10)}`;
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

async function outbox(to: string) {
  const response = await api('GET', `/api/v1/dev/outbox?to=${encodeURIComponent(to)}`);
  expect(response.status).toBe(200);
  return response.body.items as Array<{ to: string; channel: string; purpose: string; code: string; text: string; sentAt: string }>;
}

async function requestRegisterCode(phone: string): Promise<string> {
  const response = await api('POST', '/api/v1/auth/sms-codes', { body: { phone, purpose: 'register' } });
  expect(response.status).toBe(202);
  const [message] = await outbox(phone);
  expect(message?.purpose).toBe('register');
  return message!.code;
}

const register = (body: Record<string, unknown>) => api('POST', '/api/v1/auth/register', { body });
const head = () => runtime.deps.store.headPosition();
const eventsOfType = async (type: string) => (await runtime.deps.store.readAll()).filter((event) => event.type === type);

beforeAll(async () => {
  runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
  api = client(runtime.app);
});

afterAll(async () => {
  await runtime?.close();
});

describe('POST /api/v1/auth/sms-codes', () => {
  it('answers 202 with the lifetime and delivers a 6-digit register code to the normalized number', async () => {
    const phone = nextPhone();
    const response = await api('POST', '/api/v1/auth/sms-codes', { body: { phone: national(phone), purpose: 'register' } });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ expiresInSeconds: 300 });

    const messages = await outbox(phone);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ to: phone, channel: 'sms', purpose: 'register' });
    expect(messages[0]!.code).toMatch(/^\d{6}$/);
    expect(messages[0]!.text).toContain(messages[0]!.code);
  });

  it('refuses a second code for the same number within 60 s (429 RATE_LIMITED, Retry-After), whatever the format or purpose', async () => {
    const phone = nextPhone();
    expect((await api('POST', '/api/v1/auth/sms-codes', { body: { phone, purpose: 'register' } })).status).toBe(202);

    for (const [format, purpose] of [
      [phone, 'register'],
      [national(phone), 'register'],
      [phone, 'login'],
    ] as const) {
      const again = await api('POST', '/api/v1/auth/sms-codes', { body: { phone: format, purpose } });
      expect(again.status).toBe(429);
      expect(again.headers.get('content-type')).toBe('application/problem+json');
      expect(again.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      const retryAfter = Number(again.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    expect(await outbox(phone)).toHaveLength(1);
  });

  it('refuses an invalid phone number with a field error on phone', async () => {
    for (const phone of ['12345', 'not a phone', '+86 10 1234 5678' /* Beijing landline, not a mobile */, '']) {
      const response = await api('POST', '/api/v1/auth/sms-codes', { body: { phone, purpose: 'register' } });
      expect(response.status, phone).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((e: { path: string }) => e.path)).toContain('phone');
    }
  });

  it('refuses an unknown purpose (400 on purpose) and sends nothing', async () => {
    const phone = nextPhone();
    const response = await api('POST', '/api/v1/auth/sms-codes', { body: { phone, purpose: 'marketing' } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(['purpose']);
    expect(await outbox(phone)).toEqual([]);
  });

  it('answers login and reset codes for an unregistered number exactly as for a registered one, but delivers nothing', async () => {
    const registered = nextPhone();
    await createUser(runtime.deps, { phone: registered, email: null, nickname: 'known', password: PASSWORD, roles: ['customer'] }, {});

    for (const purpose of ['login', 'reset_password'] as const) {
      const unknown = nextPhone();
      const known = purpose === 'login' ? registered : nextPhone();
      if (purpose === 'reset_password') {
        await createUser(runtime.deps, { phone: known, email: null, nickname: 'known', password: PASSWORD, roles: ['customer'] }, {});
      }
      const forUnknown = await api('POST', '/api/v1/auth/sms-codes', { body: { phone: unknown, purpose } });
      const forKnown = await api('POST', '/api/v1/auth/sms-codes', { body: { phone: known, purpose } });
      expect(forUnknown.status).toBe(202);
      expect(forUnknown.body).toEqual(forKnown.body);
      expect(forKnown.status).toBe(202);
      expect(await outbox(unknown)).toEqual([]);
      expect((await outbox(known)).map((m) => m.purpose)).toEqual([purpose]);
    }
  });

  it('caps codes per client address at 30 an hour when limits are strict', async () => {
    const strict = await startTestRuntime({ BAZAAR_LIMITS: 'strict' });
    try {
      const strictApi = client(strict.app);
      for (let i = 0; i < 30; i++) {
        const response = await strictApi('POST', '/api/v1/auth/sms-codes', { body: { phone: nextPhone(), purpose: 'register' } });
        expect(response.status).toBe(202);
      }
      const refused = await strictApi('POST', '/api/v1/auth/sms-codes', { body: { phone: nextPhone(), purpose: 'register' } });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await strict.close();
    }
  });
});

describe('POST /api/v1/auth/register', () => {
  it('registers with the SMS code: 201 with the user, a token pair and the position, and never exposes the password hash', async () => {
    const phone = nextPhone();
    const code = await requestRegisterCode(phone);
    const response = await register({ phone: national(phone), code, password: PASSWORD, nickname: '  Li Lei ', email: 'Li.Lei@Example.COM' });

    expect(response.status).toBe(201);
    expect(response.body.user).toMatchObject({
      phone,
      email: 'li.lei@example.com',
      nickname: 'Li Lei',
      fullName: null,
      gender: null,
      dateOfBirth: null,
      avatar: null,
      shippingAddress: null,
      billingAddress: null,
      roles: ['customer'],
      status: 'active',
      points: 0,
    });
    expect(response.body.user.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(typeof response.body.accessToken).toBe('string');
    expect(response.body.accessToken.split('.')).toHaveLength(3);
    expect(response.body.refreshToken).toMatch(new RegExp(`^[0-9A-Z]{26}\\.`));
    expect(response.body.accessTokenExpiresIn).toBe(900);
    expect(response.body.position).toMatch(/^\d+$/);
    expect(response.headers.get('x-position')).toBe(response.body.position);
    expect(Number(response.body.position)).toBe(await head());

    const raw = JSON.stringify(response.body);
    expect(raw).not.toMatch(/passwordHash|argon2/i);
    expect(raw).not.toContain(PASSWORD);

    // Stored: an argon2id hash, never the password itself.
    const [registered] = (await eventsOfType('UserRegistered')).filter((event) => (event.data as { phone: string }).phone === phone);
    const data = registered!.data as { passwordHash: string };
    expect(data.passwordHash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify((await runtime.deps.store.readAll()).map((event) => event.data))).not.toContain(PASSWORD);

    // The access token works right away.
    const me = await api('GET', '/api/v1/me', { token: response.body.accessToken, headers: { 'X-Min-Position': response.body.position } });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(response.body.user.id);
  });

  it('refuses a wrong code (400 INVALID_CODE) without writing anything; the right code still works afterwards', async () => {
    const phone = nextPhone();
    const code = await requestRegisterCode(phone);
    const before = await head();

    const wrong = await register({ phone, code: otherCode(code), password: PASSWORD, nickname: 'Han Meimei' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('INVALID_CODE');
    expect(await head()).toBe(before);

    expect((await register({ phone, code, password: PASSWORD, nickname: 'Han Meimei' })).status).toBe(201);
  });

  it('voids the code after 5 wrong tries: the right code then fails too', async () => {
    const phone = nextPhone();
    const code = await requestRegisterCode(phone);
    const before = await head();
    for (let i = 0; i < 5; i++) {
      const wrong = await register({ phone, code: otherCode(code), password: PASSWORD, nickname: 'guesser' });
      expect(wrong.body.code).toBe('INVALID_CODE');
    }
    const right = await register({ phone, code, password: PASSWORD, nickname: 'guesser' });
    expect(right.status).toBe(400);
    expect(right.body.code).toBe('INVALID_CODE');
    expect(await head()).toBe(before);
  });

  it('accepts the right code after 4 wrong tries', async () => {
    const phone = nextPhone();
    const code = await requestRegisterCode(phone);
    for (let i = 0; i < 4; i++) expect((await register({ phone, code: otherCode(code), password: PASSWORD, nickname: 'typo' })).status).toBe(400);
    expect((await register({ phone, code, password: PASSWORD, nickname: 'typo' })).status).toBe(201);
  });

  it('uses a code once: two simultaneous registrations with the same code make one user', async () => {
    const phone = nextPhone();
    const code = await requestRegisterCode(phone);
    const [a, b] = await Promise.all([
      register({ phone, code, password: PASSWORD, nickname: 'first', email: `a-${phone.slice(1)}@example.com` }),
      register({ phone, code, password: PASSWORD, nickname: 'second', email: `b-${phone.slice(1)}@example.com` }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(201);
    expect([400, 409]).toContain(statuses[1]);
    const loser = a.status === 201 ? b : a;
    expect(['INVALID_CODE', 'PHONE_TAKEN']).toContain(loser.body.code);
    expect((await eventsOfType('UserRegistered')).filter((event) => (event.data as { phone: string }).phone === phone)).toHaveLength(1);
  });

  it('refuses a weak password with a field error on password, and keeps the code for the next try', async () => {
    const phone = nextPhone();
    const code = await requestRegisterCode(phone);
    const before = await head();
    for (const password of ['short1A', 'alllowercaseletters', '1234567890123', 'Password123'.toLowerCase(), 'aaaaaaaaaaaa']) {
      const weak = await register({ phone, code, password, nickname: 'weak' });
      expect(weak.status, password).toBe(400);
      expect(weak.body.code).toBe('VALIDATION_FAILED');
      expect(weak.body.errors.map((e: { path: string }) => e.path)).toContain('password');
    }
    expect(await head()).toBe(before);
    expect((await register({ phone, code, password: PASSWORD, nickname: 'strong' })).status).toBe(201);
  });

  it('refuses a password that contains the phone number, without consuming the code', async () => {
    const phone = nextPhone();
    const localNumber = phone.slice(3);
    const code = await requestRegisterCode(phone);
    const before = await head();
    for (const [password, email] of [
      [`Pw-${phone.slice(1)}`, undefined],
      [`Pw-${localNumber}`, 'zhang.wei@example.com'],
    ] as const) {
      const response = await register({ phone, code, password, nickname: 'careless', ...(email ? { email } : {}) });
      expect(response.status, password).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ path: 'password', message: expect.stringContaining('phone number') }]);
    }
    expect(await head()).toBe(before);
    expect((await register({ phone, code, password: PASSWORD, nickname: 'careful' })).status).toBe(201);
  });

  it('validates the nickname (1-50 characters after trimming) and refuses unknown fields', async () => {
    const phone = nextPhone();
    const code = await requestRegisterCode(phone);
    for (const nickname of ['x'.repeat(51), '   ', '']) {
      const response = await register({ phone, code, password: PASSWORD, nickname });
      expect(response.status).toBe(400);
      expect(response.body.errors.map((e: { path: string }) => e.path)).toContain('nickname');
    }
    const extra = await register({ phone, code, password: PASSWORD, nickname: 'sneaky', roles: ['admin'] });
    expect(extra.status).toBe(400);
    expect(extra.body.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(extra.body.errors)).toContain('roles');

    const missing = await register({ phone, code, nickname: 'forgetful' });
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toContain('password');

    const badEmail = await register({ phone, code, password: PASSWORD, nickname: 'x', email: 'not-an-email' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.errors.map((e: { path: string }) => e.path)).toContain('email');

    // None of these used the code.
    const ok = await register({ phone, code, password: PASSWORD, nickname: 'x'.repeat(50) });
    expect(ok.status).toBe(201);
    expect(ok.body.user.roles).toEqual(['customer']);
  });

  it('refuses a phone that is already registered, in any format (409 PHONE_TAKEN), writing nothing', async () => {
    const phone = nextPhone();
    await createUser(runtime.deps, { phone, email: null, nickname: 'owner', password: PASSWORD, roles: ['customer'] }, {});
    // Register codes are sent to any number; this one is right, yet the number is taken.
    const code = await requestRegisterCode(phone);
    const before = await head();

    const again = await register({ phone: national(phone), code, password: 'Another-pass-77', nickname: 'second owner' });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.body).toMatchObject({ status: 409, code: 'PHONE_TAKEN' });
    expect(await head()).toBe(before);
    expect((await eventsOfType('UserRegistered')).filter((event) => (event.data as { phone: string }).phone === phone)).toHaveLength(1);
  });

  it('refuses an e-mail that is already registered, in any letter case (409 EMAIL_TAKEN), after checking the code', async () => {
    const email = `wang.fang.${sequence}@example.com`;
    const first = nextPhone();
    expect((await register({ phone: first, code: await requestRegisterCode(first), password: PASSWORD, nickname: 'first', email })).status).toBe(201);

    const second = nextPhone();
    const code = await requestRegisterCode(second);
    const before = await head();
    const taken = await register({ phone: second, code, password: PASSWORD, nickname: 'second', email: email.toUpperCase() });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('EMAIL_TAKEN');
    expect(await head()).toBe(before);

    // The code was spent (only the phone's owner learns the e-mail is taken), and the phone was not left reserved.
    expect((await register({ phone: second, code, password: PASSWORD, nickname: 'second', email: `other.${email}` })).body.code).toBe('INVALID_CODE');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect((await runtime.deps.handlers.reservation.load(`unique-phone-${second}`)).state.ownerId).toBeNull();
  });

  it('lets exactly one of 10 simultaneous registrations of the same phone win; the others fail with PHONE_TAKEN', async () => {
    const phone = nextPhone();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        createUser(runtime.deps, { phone, email: `racer${i}.${phone.slice(1)}@example.com`, nickname: `racer ${i}`, password: PASSWORD, roles: ['customer'] }, {}),
      ),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(9);
    for (const failure of lost) {
      expect(failure.reason).toBeInstanceOf(ConflictError);
      expect(failure.reason.code).toBe('PHONE_TAKEN');
    }

    const registered = (await eventsOfType('UserRegistered')).filter((event) => (event.data as { phone: string }).phone === phone);
    expect(registered).toHaveLength(1);
    // The losers were refused at the phone: no e-mail but the winner's was reserved.
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof createUser>>>).value.state;
    const emailStreams = new Set(
      (await runtime.deps.store.readAll()).filter((event) => event.streamId.startsWith('unique-email-racer')).map((event) => event.streamId),
    );
    expect([...emailStreams]).toEqual([`unique-email-${winner.email}`]);

    // Over HTTP, the owner of the number (with a valid code) is told it is taken.
    const http = await register({ phone, code: await requestRegisterCode(phone), password: PASSWORD, nickname: 'late' });
    expect(http.status).toBe(409);
    expect(http.body.code).toBe('PHONE_TAKEN');
  });
});
