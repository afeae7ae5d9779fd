import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { createUser, ensureAdmin } from '../../src/commands/users/accounts.js';

/** PUT /api/v1/admin/users/:id/roles, and roles reaching the access token. */

const PASSWORD = 'Correct-horse-42';
const ADMIN = { email: 'root@example.com', password: 'Admin-pass-123' };

let runtime: TestRuntime;
let api: ReturnType<typeof client>;
let adminId: string;
let adminToken: string;

let sequence = 0;

async function newCustomer() {
  const email = `shopper${++sequence}@example.com`;
  const { state } = await createUser(runtime.deps, { phone: `+86186${String(sequence).padStart(8, '0')}`, email, nickname: 'shopper', password: PASSWORD, roles: ['customer'] }, {});
  const login = await api('POST', '/api/v1/auth/login', { body: { identifier: email, password: PASSWORD } });
  expect(login.status).toBe(200);
  return { id: state.userId, accessToken: login.body.accessToken as string, refreshToken: login.body.refreshToken as string };
}

const setRoles = (userId: string, body: unknown, token?: string) => api('PUT', `/api/v1/admin/users/${userId}/roles`, { body, ...(token ? { token } : {}) });
const head = () => runtime.deps.store.headPosition();

beforeAll(async () => {
  runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
  api = client(runtime.app);
  const admin = await ensureAdmin(runtime.deps, ADMIN, { actor: { id: 'system', role: 'system' } });
  expect(admin.created).toBe(true);
  adminId = admin.userId;
  const login = await api('POST', '/api/v1/auth/login', { body: { identifier: ADMIN.email, password: ADMIN.password } });
  expect(login.status).toBe(200);
  expect(login.body.user.roles).toEqual(['admin']);
  adminToken = login.body.accessToken;
});

afterAll(async () => {
  await runtime?.close();
});

describe('PUT /api/v1/admin/users/:id/roles', () => {
  it('lets an admin set roles: 200 with the user, ETag and X-Position; the change is logged with the admin as actor', async () => {
    const customer = await newCustomer();
    const response = await setRoles(customer.id, { roles: ['merchant', 'customer', 'merchant'] }, adminToken);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: customer.id, roles: ['customer', 'merchant'] });
    expect(response.headers.get('etag')).toBe(`"${response.body.version}"`);
    expect(response.headers.get('x-position')).toMatch(/^\d+$/);

    const [changed] = await runtime.deps.store.readAll({ after: Number(response.headers.get('x-position')) - 1 });
    expect(changed).toMatchObject({ type: 'UserRolesChanged', streamId: `user-${customer.id}`, data: { roles: ['customer', 'merchant'] } });
    expect(changed!.metadata.actor).toEqual({ id: adminId, role: 'admin' });

    // Setting the same roles again changes nothing.
    const before = await head();
    const same = await setRoles(customer.id, { roles: ['customer', 'merchant'] }, adminToken);
    expect(same.status).toBe(200);
    expect(await head()).toBe(before);
  });

  it('refuses a customer (403 FORBIDDEN) and an anonymous caller (401), writing nothing', async () => {
    const customer = await newCustomer();
    const before = await head();

    const self = await setRoles(customer.id, { roles: ['admin'] }, customer.accessToken);
    expect(self.status).toBe(403);
    expect(self.headers.get('content-type')).toBe('application/problem+json');
    expect(self.body).toMatchObject({ status: 403, code: 'FORBIDDEN' });

    const anonymous = await setRoles(customer.id, { roles: ['admin'] });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');

    expect(await head()).toBe(before);
  });

  it('answers 404 NOT_FOUND for an unknown user', async () => {
    const before = await head();
    const response = await setRoles('01ARZ3NDEKTSV4RRFFQ69G5FAV', { roles: ['merchant'] }, adminToken);
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
    expect(await head()).toBe(before);
  });

  it('validates the roles: at least one, only known ones, no other fields', async () => {
    const customer = await newCustomer();
    for (const body of [{ roles: [] }, { roles: ['superuser'] }, { roles: 'admin' }, {}, { roles: ['merchant'], note: 'x' }]) {
      const response = await setRoles(customer.id, body, adminToken);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
    const empty = await setRoles(customer.id, { roles: [] }, adminToken);
    expect(empty.body.errors).toEqual([{ path: 'roles', message: 'a user needs at least one role' }]);
  });

  it('puts new roles into the access token at the next refresh', async () => {
    const customer = await newCustomer();
    const other = await newCustomer();
    expect((await setRoles(other.id, { roles: ['merchant'] }, customer.accessToken)).status).toBe(403);

    const promoted = await setRoles(customer.id, { roles: ['customer', 'admin'] }, adminToken);
    expect(promoted.status).toBe(200);

    // The access token in hand still carries the roles it was issued with...
    expect((await setRoles(other.id, { roles: ['merchant'] }, customer.accessToken)).status).toBe(403);
    // ...the one from the refresh carries the new ones.
    const refreshed = await api('POST', '/api/v1/auth/refresh', { body: { refreshToken: customer.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.user.roles).toEqual(['admin', 'customer']);
    const asAdmin = await setRoles(other.id, { roles: ['merchant'] }, refreshed.body.accessToken);
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.roles).toEqual(['merchant']);

    // And demotion takes effect the same way.
    expect((await setRoles(customer.id, { roles: ['customer'] }, adminToken)).status).toBe(200);
    const demoted = await api('POST', '/api/v1/auth/refresh', { body: { refreshToken: refreshed.body.refreshToken } });
    expect(demoted.body.user.roles).toEqual(['customer']);
    expect((await setRoles(other.id, { roles: ['customer'] }, demoted.body.accessToken)).status).toBe(403);
  });

  it('ensureAdmin grants admin to an existing owner of the e-mail instead of creating a second user', async () => {
    const customer = await newCustomer();
    const email = `shopper${sequence}@example.com`;
    const result = await ensureAdmin(runtime.deps, { email: email.toUpperCase(), password: 'Ignored-pass-123' }, {});
    expect(result).toEqual({ userId: customer.id, created: false });
    const login = await api('POST', '/api/v1/auth/login', { body: { identifier: email, password: PASSWORD } });
    expect(login.body.user.roles.sort()).toEqual(['admin', 'customer']);
    // Once more is a no-op.
    const before = await head();
    expect(await ensureAdmin(runtime.deps, { email, password: 'Ignored-pass-123' }, {})).toEqual({ userId: customer.id, created: false });
    expect(await head()).toBe(before);
  });
});
