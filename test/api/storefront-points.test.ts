import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { createUser } from '../../src/commands/users/accounts.js';
import { postTransfer } from '../../src/commands/accounts/transfers.js';
import { accountIds } from '../../src/domain/accounts/account-ids.js';

/** Login and refresh answer the same `points` (coins balance) as GET /me. */

const PASSWORD = 'Correct-horse-42';
let runtime: TestRuntime;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
  api = client(runtime.app);
});
afterAll(async () => {
  await runtime?.close();
});

describe('points in the sign-in answers', () => {
  it('login, refresh and /me all show the coins balance', async () => {
    const { state } = await createUser(runtime.deps, { phone: '+8615900000001', email: 'points@example.com', nickname: 'points', password: PASSWORD, roles: ['customer'] }, {});
    await postTransfer(runtime.deps, { transferId: 'grant-points-1', from: accountIds.coinsIssuance, to: accountIds.coins(state.userId), amount: 250, currency: 'COIN', cause: { type: 'test', id: state.userId } });

    const login = await api('POST', '/api/v1/auth/login', { body: { identifier: 'points@example.com', password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.user.points).toBe(250);

    const refreshed = await api('POST', '/api/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.user.points).toBe(250);

    const me = await api('GET', '/api/v1/me', { token: refreshed.body.accessToken, headers: { 'X-Min-Position': refreshed.body.position } });
    expect(me.status).toBe(200);
    expect(me.body.points).toBe(250);
  });
});
