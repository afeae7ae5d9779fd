import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { createUser } from '../../src/commands/users/accounts.js';

/** Refresh-token rotation, logout, and the password reset flow. */

const PASSWORD = 'Correct-horse-42';
const NEW_PASSWORD = 'Battery-staple-77';

let runtime: TestRuntime;
let api: ReturnType<typeof client>;

let sequence = 0;
const nextPhone = () => `+86158${String(++sequence).padStart(8, '0')}`;

async function newUser() {
  const phone = nextPhone();
  const email = `member${sequence}@example.com`;
  const { state } = await createUser(runtime.deps, { phone, email, nickname: `member ${sequence}`, password: PASSWORD, roles: ['customer'] }, {});
  return { id: state.userId, phone, email };
}

async function signIn(identifier: string, password = PASSWORD) {
  const response = await api('POST', '/api/v1/auth/login', { body: { identifier, password } });
  expect(response.status).toBe(200);
  return response.body as { accessToken: string; refreshToken: string; position: string; user: { id: string } };
}

const refresh = (refreshToken: string) => api('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
const head = () => runtime.deps.store.headPosition();

async function resetCode(to: string): Promise<string | undefined> {
  const outbox = await api('GET', `/api/v1/dev/outbox?to=${encodeURIComponent(to)}`);
  return outbox.body.items.find((m: { purpose: string }) => m.purpose === 'reset_password')?.code;
}

beforeAll(async () => {
  runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
  api = client(runtime.app);
});

afterAll(async () => {
  await runtime?.close();
});

describe('POST /api/v1/auth/refresh', () => {
  it('rotates: a refresh token gives a new pair, and the new refresh token works in turn', async () => {
    const user = await newUser();
    const first = await signIn(user.email);
    const second = await refresh(first.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.user.id).toBe(user.id);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    // Same sign-in (family), new secret.
    expect(second.body.refreshToken.split('.')[0]).toBe(first.refreshToken.split('.')[0]);
    expect(second.body.accessToken.split('.')).toHaveLength(3);
    expect(second.headers.get('x-position')).toBe(second.body.position);

    const me = await api('GET', '/api/v1/me', { token: second.body.accessToken });
    expect(me.status).toBe(200);

    const third = await refresh(second.body.refreshToken);
    expect(third.status).toBe(200);
    expect(third.body.refreshToken).not.toBe(second.body.refreshToken);
  });

  it('treats a reused refresh token as stolen: 401, and the token issued in its place is revoked too', async () => {
    const user = await newUser();
    const { refreshToken: old } = await signIn(user.email);
    const rotated = await refresh(old);
    expect(rotated.status).toBe(200);

    const reused = await refresh(old);
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('UNAUTHENTICATED');
    expect(reused.headers.get('www-authenticate')).toBe('Bearer');

    const familyId = old.split('.')[0]!;
    const session = await runtime.deps.store.readStream(`session-${familyId}`);
    expect(session.map((event) => event.type)).toEqual(['SessionStarted', 'SessionRefreshed', 'SessionRevoked']);
    expect(session[2]!.data).toMatchObject({ reason: 'refresh_token_reused' });

    const newest = await refresh(rotated.body.refreshToken);
    expect(newest.status).toBe(401);
    expect(newest.body.code).toBe('UNAUTHENTICATED');

    // Other sign-ins of the same user are not affected.
    const elsewhere = await signIn(user.email);
    expect((await refresh(elsewhere.refreshToken)).status).toBe(200);
  });

  it('refuses malformed and unknown tokens (401), and schema violations (400), writing nothing', async () => {
    const user = await newUser();
    const { refreshToken } = await signIn(user.email);
    const [familyId, secret] = refreshToken.split('.') as [string, string];
    const before = await head();

    for (const token of ['x'.repeat(40), `${familyId}.`, `lowercase-family-id-000000.${secret}`, `01ARZ3NDEKTSV4RRFFQ69G5FAV.${secret}`, `${familyId}.${'A'.repeat(43)}`]) {
      const response = await refresh(token);
      expect(response.status, token).toBe(401);
      expect(response.body.code).toBe('UNAUTHENTICATED');
    }
    for (const body of [{ refreshToken: 'short' }, { refreshToken: 'x'.repeat(201) }, {}, { refreshToken: refreshToken, extra: 1 }]) {
      const response = await api('POST', '/api/v1/auth/refresh', { body });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
    expect(await head()).toBe(before);

    // A guessed secret for a real sign-in does not revoke it.
    expect((await refresh(refreshToken)).status).toBe(200);
  });

  it('refuses a refresh token issued before a password reset', async () => {
    const user = await newUser();
    const before = await signIn(user.email);

    expect((await api('POST', '/api/v1/auth/password/forgot', { body: { identifier: user.email } })).status).toBe(202);
    const code = await resetCode(user.email);
    const reset = await api('POST', '/api/v1/auth/password/reset', { body: { identifier: user.email, code, newPassword: NEW_PASSWORD } });
    expect(reset.status).toBe(204);

    const response = await refresh(before.refreshToken);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
    const session = await runtime.deps.store.readStream(`session-${before.refreshToken.split('.')[0]}`);
    expect(session.at(-1)).toMatchObject({ type: 'SessionRevoked', data: { reason: 'password_changed' } });

    // A sign-in with the new password refreshes normally.
    const after = await signIn(user.email, NEW_PASSWORD);
    expect((await refresh(after.refreshToken)).status).toBe(200);
  });
});

describe('POST /api/v1/auth/logout', () => {
  it('revokes the sign-in: 204, then its refresh token is refused', async () => {
    const user = await newUser();
    const { refreshToken } = await signIn(user.email);
    const response = await api('POST', '/api/v1/auth/logout', { body: { refreshToken } });
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();

    const session = await runtime.deps.store.readStream(`session-${refreshToken.split('.')[0]}`);
    expect(session.at(-1)).toMatchObject({ type: 'SessionRevoked', data: { reason: 'logout' } });

    const after = await refresh(refreshToken);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('UNAUTHENTICATED');

    // Logging out again is harmless.
    expect((await api('POST', '/api/v1/auth/logout', { body: { refreshToken } })).status).toBe(204);
  });

  it('revokes the whole sign-in when logging out with its latest token', async () => {
    const user = await newUser();
    const { refreshToken } = await signIn(user.email);
    const rotated = await refresh(refreshToken);
    expect((await api('POST', '/api/v1/auth/logout', { body: { refreshToken: rotated.body.refreshToken } })).status).toBe(204);
    expect((await refresh(rotated.body.refreshToken)).status).toBe(401);
  });

  it('refuses a malformed token with 401', async () => {
    const response = await api('POST', '/api/v1/auth/logout', { body: { refreshToken: 'n'.repeat(30) } });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
  });
});

describe('POST /api/v1/auth/password/forgot and /password/reset', () => {
  it('answers 202 with the same (empty) body for existing and unknown accounts, delivering a code only to the existing one', async () => {
    const user = await newUser();
    const unknownEmail = 'ghost@example.com';
    const unknownPhone = nextPhone();

    const responses = await Promise.all(
      [user.email, unknownEmail, user.phone, unknownPhone, 'neither-email-nor-phone'].map((identifier) =>
        api('POST', '/api/v1/auth/password/forgot', { body: { identifier } }),
      ),
    );
    for (const response of responses) {
      expect(response.status).toBe(202);
      expect(response.body).toBeNull();
      expect(response.headers.get('content-type')).toBe(responses[0]!.headers.get('content-type'));
    }

    const outbox = async (to: string) => (await api('GET', `/api/v1/dev/outbox?to=${encodeURIComponent(to)}`)).body.items;
    expect(await outbox(user.email)).toEqual([expect.objectContaining({ to: user.email, channel: 'email', purpose: 'reset_password', code: expect.stringMatching(/^\d{6}$/) })]);
    expect(await outbox(user.phone)).toEqual([expect.objectContaining({ to: user.phone, channel: 'sms', purpose: 'reset_password' })]);
    expect(await outbox(unknownEmail)).toEqual([]);
    expect(await outbox(unknownPhone)).toEqual([]);
  });

  it('resets the password with the code: 204, the old password fails, the new one works, and the code is single-use', async () => {
    const user = await newUser();
    expect((await api('POST', '/api/v1/auth/password/forgot', { body: { identifier: user.phone.slice(3) } })).status).toBe(202);
    const code = await resetCode(user.phone);
    expect(code).toMatch(/^\d{6}$/);

    const reset = await api('POST', '/api/v1/auth/password/reset', { body: { identifier: user.phone, code, newPassword: NEW_PASSWORD } });
    expect(reset.status).toBe(204);
    expect(reset.headers.get('x-position')).toMatch(/^\d+$/);
    const changed = await runtime.deps.store.readAll({ after: Number(reset.headers.get('x-position')) - 1 });
    expect(changed.map((event) => event.type)).toEqual(['UserPasswordChanged']);

    const old = await api('POST', '/api/v1/auth/login', { body: { identifier: user.email, password: PASSWORD } });
    expect(old.status).toBe(401);
    expect((await api('POST', '/api/v1/auth/login', { body: { identifier: user.email, password: NEW_PASSWORD } })).status).toBe(200);

    const before = await head();
    const again = await api('POST', '/api/v1/auth/password/reset', { body: { identifier: user.phone, code, newPassword: 'Yet-another-pass-9' } });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('INVALID_CODE');
    expect(await head()).toBe(before);
  });

  it('refuses a weak new password (400 on newPassword) without consuming the code', async () => {
    const user = await newUser();
    await api('POST', '/api/v1/auth/password/forgot', { body: { identifier: user.email } });
    const code = await resetCode(user.email);
    const before = await head();

    for (const newPassword of ['short', 'onlylowercaseletters', `Pw-${user.phone.slice(3)}`, 'Password123']) {
      const response = await api('POST', '/api/v1/auth/password/reset', { body: { identifier: user.email, code, newPassword } });
      expect(response.status, newPassword).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(['newPassword']);
    }
    expect(await head()).toBe(before);
    expect((await api('POST', '/api/v1/auth/password/reset', { body: { identifier: user.email, code, newPassword: NEW_PASSWORD } })).status).toBe(204);
  });

  it('refuses a wrong code and an unknown account with 400 INVALID_CODE', async () => {
    const user = await newUser();
    await api('POST', '/api/v1/auth/password/forgot', { body: { identifier: user.email } });
    const code = (await resetCode(user.email))!;
    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const before = await head();

    const wrong = await api('POST', '/api/v1/auth/password/reset', { body: { identifier: user.email, code: wrongCode, newPassword: NEW_PASSWORD } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('INVALID_CODE');
    const unknown = await api('POST', '/api/v1/auth/password/reset', { body: { identifier: 'ghost@example.com', code, newPassword: NEW_PASSWORD } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual(wrong.body);
    // A reset code is not a login code.
    const asLogin = await api('POST', '/api/v1/auth/login/sms', { body: { phone: user.phone, code } });
    expect(asLogin.status).toBe(400);
    expect(await head()).toBe(before);

    // The password is unchanged.
    expect((await api('POST', '/api/v1/auth/login', { body: { identifier: user.email, password: PASSWORD } })).status).toBe(200);
  });
});
