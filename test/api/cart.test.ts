import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/commands/users/accounts.js';
import { client, startTestRuntime } from '../support/runtime.js';
import { cny, settled, taxonomy, teeBody, type CatalogWorld, type Taxonomy } from './catalog-support.js';

/** /api/v1/cart: guest and user carts, current price and availability, merge at sign-in. */

const PASSWORD = 'Correct-horse-42';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

let world: CatalogWorld;
let t: Taxonomy;
let sequence = 0;
const next = () => ++sequence;

beforeAll(async () => {
  const runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
  const token = (userId: string, roles: Array<'admin' | 'merchant' | 'customer'>) => runtime.deps.tokens.issueAccessToken({ userId, roles }, new Date());
  world = {
    runtime,
    api: client(runtime.app),
    adminToken: await token('admin-1', ['admin']),
    merchantA: { id: 'merchant-a', token: await token('merchant-a', ['merchant']) },
    merchantB: { id: 'merchant-b', token: await token('merchant-b', ['merchant']) },
    customerToken: await token('customer-1', ['customer']),
  };
  t = await taxonomy(world);
});
afterAll(() => world.runtime.close());

const admin = (method: string, path: string, body?: unknown) => world.api(method, `/api/v1/admin${path}`, { token: world.adminToken, body });

/** A product with one SKU (listed unless asked otherwise), projected into the catalog view. */
async function newSku(options: { stock?: number; price?: number; status?: 'listed' | 'draft' } = {}) {
  const body = teeBody(t, [`CART-${next()}`], { status: options.status ?? 'listed' });
  body.skus[0] = { ...body.skus[0]!, stock: options.stock ?? 10, price: cny(options.price ?? 9900) };
  const created = await admin('POST', '/products', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await settled(world, created.body.position);
  return { productId: created.body.id as string, skuId: created.body.skus[0].id as string, skuCode: body.skus[0]!.skuCode };
}

interface Who {
  token?: string;
  cartToken?: string;
  headers?: Record<string, string>;
}
const cart = (method: string, path: string, who: Who = {}, body?: unknown) =>
  world.api(method, `/api/v1/cart${path}`, {
    token: who.token,
    body,
    headers: { ...(who.cartToken ? { 'X-Cart-Token': who.cartToken } : {}), ...(who.headers ?? {}) },
  });
const add = (who: Who, skuId: string, quantity: number) => cart('POST', '/items', who, { skuId, quantity });
const quantities = (body: { items: Array<{ skuId: string; quantity: number }> }) => Object.fromEntries(body.items.map((item) => [item.skuId, item.quantity]));

/** A guest cart holding these lines; returns its token. */
async function guestCart(...lines: Array<[string, number]>): Promise<string> {
  let cartToken: string | undefined;
  for (const [skuId, quantity] of lines) {
    const response = await add({ cartToken }, skuId, quantity);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    cartToken = response.headers.get('X-Cart-Token')!;
  }
  return cartToken!;
}

async function newUser() {
  const n = next();
  const phone = `+86139${String(n).padStart(8, '0')}`;
  const email = `cart${n}@example.com`;
  const { state } = await createUser(world.runtime.deps, { phone, email, nickname: `buyer ${n}`, password: PASSWORD, roles: ['customer'] }, {});
  const login = await world.api('POST', '/api/v1/auth/login', { body: { identifier: email, password: PASSWORD } });
  expect(login.status).toBe(200);
  return { id: state.userId, phone, email, token: login.body.accessToken as string };
}

const login = (email: string, cartToken?: string) =>
  world.api('POST', '/api/v1/auth/login', { body: { identifier: email, password: PASSWORD }, headers: cartToken ? { 'X-Cart-Token': cartToken } : {} });

async function smsCode(phone: string, purpose: 'login' | 'register') {
  expect((await world.api('POST', '/api/v1/auth/sms-codes', { body: { phone, purpose } })).status).toBe(202);
  const outbox = await world.api('GET', `/api/v1/dev/outbox?to=${encodeURIComponent(phone)}`);
  return outbox.body.items.filter((message: { purpose: string }) => message.purpose === purpose).at(-1).code as string;
}

describe('guest carts', () => {
  it('issues an unguessable X-Cart-Token with the first item and keeps using the one sent back', async () => {
    const sku = await newSku();
    const empty = await cart('GET', '');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ items: [], subtotal: cny(0), itemCount: 0 });
    expect(empty.headers.get('X-Cart-Token')).toBeNull();

    const first = await add({}, sku.skuId, 2);
    expect(first.status).toBe(200);
    const token = first.headers.get('X-Cart-Token')!;
    expect(token).toMatch(TOKEN_SHAPE);
    expect(first.headers.get('Cache-Control')).toBe('no-store');
    expect(first.body).toEqual({
      items: [
        {
          skuId: sku.skuId,
          productId: sku.productId,
          title: '纯棉T恤',
          skuCode: sku.skuCode,
          salesAttributes: { 颜色: '红色', 尺码: 'S' },
          image: 'https://img.example.com/tee.png',
          quantity: 2,
          unitPrice: cny(9900),
          lineTotal: cny(19800),
          available: 10,
          status: 'ok',
        },
      ],
      subtotal: cny(19800),
      itemCount: 2,
    });

    const again = await add({ cartToken: token }, sku.skuId, 3);
    expect(again.headers.get('X-Cart-Token')).toBe(token);
    expect(again.body.items[0]).toMatchObject({ quantity: 5, lineTotal: cny(49500) });
    const read = await cart('GET', '', { cartToken: token });
    expect(read.headers.get('X-Cart-Token')).toBe(token);
    expect(read.body).toMatchObject({ itemCount: 5, subtotal: cny(49500) });

    // Another guest (no token) gets a cart of its own.
    const other = await add({}, sku.skuId, 1);
    expect(other.headers.get('X-Cart-Token')).not.toBe(token);
    expect(other.body.itemCount).toBe(1);
  });

  it('reads an unknown or malformed token as an empty cart; adding with one issues a new token', async () => {
    const sku = await newSku();
    const unknown = 'A'.repeat(43);
    for (const cartToken of [unknown, 'garbage', `${'x'.repeat(43)}=`]) {
      const response = await cart('GET', '', { cartToken });
      expect(response.status).toBe(200);
      expect(response.body.items).toEqual([]);
      expect(response.headers.get('X-Cart-Token')).toBeNull();
    }
    const added = await add({ cartToken: unknown }, sku.skuId, 1);
    expect(added.status).toBe(200);
    const issued = added.headers.get('X-Cart-Token');
    expect(issued).toMatch(TOKEN_SHAPE);
    expect(issued).not.toBe(unknown);
    expect((await cart('GET', '', { cartToken: unknown })).body.items).toEqual([]);
  });

  it('expires after 30 days without use (KeyValue ttl)', async () => {
    const sku = await newSku();
    const token = await guestCart([sku.skuId, 1]);
    const ttl = await world.runtime.deps.kv.ttl(`cart:guest:${token}`);
    expect(ttl).toBeGreaterThan(29 * 24 * 3600 * 1000);
    expect(ttl).toBeLessThanOrEqual(30 * 24 * 3600 * 1000);
  });
});

describe('changing lines', () => {
  it('sets a quantity with PATCH (0 removes), removes with DELETE, newest line first', async () => {
    const [a, b] = [await newSku(), await newSku({ price: 500 })];
    const cartToken = await guestCart([a.skuId, 1], [b.skuId, 1]);
    expect((await cart('GET', '', { cartToken })).body.items.map((item: { skuId: string }) => item.skuId)).toEqual([b.skuId, a.skuId]);

    const patched = await cart('PATCH', `/items/${a.skuId}`, { cartToken }, { quantity: 4 });
    expect(patched.status).toBe(200);
    expect(quantities(patched.body)).toEqual({ [a.skuId]: 4, [b.skuId]: 1 });
    expect(patched.body.subtotal).toEqual(cny(4 * 9900 + 500));

    const zero = await cart('PATCH', `/items/${a.skuId}`, { cartToken }, { quantity: 0 });
    expect(quantities(zero.body)).toEqual({ [b.skuId]: 1 });

    const missing = await cart('PATCH', `/items/${a.skuId}`, { cartToken }, { quantity: 2 });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Content-Type')).toContain('application/problem+json');

    const deleted = await cart('DELETE', `/items/${b.skuId}`, { cartToken });
    expect(deleted.status).toBe(200);
    expect(deleted.body.items).toEqual([]);
    expect((await cart('DELETE', `/items/${b.skuId}`, { cartToken })).status).toBe(200);
    expect((await cart('GET', '', { cartToken })).body).toEqual({ items: [], subtotal: cny(0), itemCount: 0 });
  });

  it('PATCH and DELETE without a cart create none', async () => {
    const sku = await newSku();
    const patched = await cart('PATCH', `/items/${sku.skuId}`, {}, { quantity: 1 });
    expect(patched.status).toBe(404);
    const deleted = await cart('DELETE', `/items/${sku.skuId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.headers.get('X-Cart-Token')).toBeNull();
  });

  it.each([
    ['0', { quantity: 0 }],
    ['negative', { quantity: -1 }],
    ['1000', { quantity: 1000 }],
    ['not an integer', { quantity: 1.5 }],
    ['a string', { quantity: '2' }],
    ['missing', {}],
  ])('refuses a quantity that is %s (400, no cart created)', async (_name, fields) => {
    const sku = await newSku();
    const response = await cart('POST', '/items', {}, { skuId: sku.skuId, ...fields });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors[0].path).toBe('quantity');
    expect(response.headers.get('X-Cart-Token')).toBeNull();
  });

  it('refuses a PATCH quantity outside 0..999 or not an integer', async () => {
    const sku = await newSku();
    const cartToken = await guestCart([sku.skuId, 1]);
    for (const quantity of [-1, 1000, 2.5, null]) {
      const response = await cart('PATCH', `/items/${sku.skuId}`, { cartToken }, { quantity });
      expect(response.status, String(quantity)).toBe(400);
    }
    expect((await cart('PATCH', `/items/${sku.skuId}`, { cartToken }, {})).status).toBe(400);
    expect((await cart('GET', '', { cartToken })).body.items[0].quantity).toBe(1);
  });

  it('refuses a missing skuId and unknown fields', async () => {
    expect((await cart('POST', '/items', {}, { quantity: 1 })).status).toBe(400);
    const sku = await newSku();
    expect((await cart('POST', '/items', {}, { skuId: sku.skuId, quantity: 1, price: 1 })).status).toBe(400);
  });

  it('answers an unknown SKU with 404', async () => {
    const response = await add({}, 'no-such-sku', 1);
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
    expect(response.headers.get('X-Cart-Token')).toBeNull();
  });

  it('answers a body that is not JSON with 415', async () => {
    const sku = await newSku();
    const text = await cart('POST', '/items', { headers: { 'Content-Type': 'text/plain' } }, `skuId=${sku.skuId}&quantity=1`);
    expect(text.status).toBe(415);
    expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const cartToken = await guestCart([sku.skuId, 1]);
    const form = await cart('PATCH', `/items/${sku.skuId}`, { cartToken, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 'quantity=2');
    expect(form.status).toBe(415);
    const malformed = await cart('POST', '/items', {}, '{"skuId":');
    expect(malformed.status).toBe(400);
  });
});

describe('price and availability', () => {
  it('refuses more than is available (409 OUT_OF_STOCK with available), counting what is in the cart', async () => {
    const sku = await newSku({ stock: 3 });
    const tooMany = await add({}, sku.skuId, 4);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body).toMatchObject({ code: 'OUT_OF_STOCK', available: 3, skuId: sku.skuId });
    expect(tooMany.headers.get('X-Cart-Token')).toBeNull();

    const cartToken = await guestCart([sku.skuId, 2]);
    const more = await add({ cartToken }, sku.skuId, 2);
    expect(more.status).toBe(409);
    expect(more.body).toMatchObject({ code: 'OUT_OF_STOCK', available: 3, inCart: 2 });
    expect((await cart('PATCH', `/items/${sku.skuId}`, { cartToken }, { quantity: 4 })).body).toMatchObject({ code: 'OUT_OF_STOCK', available: 3 });
    expect((await add({ cartToken }, sku.skuId, 1)).status).toBe(200);

    // Stock drops below what the cart holds: the line says so and leaves the subtotal.
    const lowered = await admin('POST', `/skus/${sku.skuId}/stock`, { set: 1 });
    expect(lowered.status).toBe(200);
    const read = await cart('GET', '', { cartToken, headers: { 'X-Min-Position': lowered.body.position } });
    expect(read.body.items[0]).toMatchObject({ quantity: 3, available: 1, status: 'insufficient_stock' });
    expect(read.body.subtotal).toEqual(cny(0));
    // Lowering is allowed; raising is not.
    expect((await cart('PATCH', `/items/${sku.skuId}`, { cartToken }, { quantity: 1 })).body.items[0].status).toBe('ok');
  });

  it('shows a delisted product as unavailable and refuses to add it (409 PRODUCT_UNAVAILABLE); a draft too', async () => {
    const [gone, kept] = [await newSku(), await newSku({ price: 100 })];
    const cartToken = await guestCart([gone.skuId, 1], [kept.skuId, 2]);
    const delisted = await admin('POST', `/products/${gone.productId}/status`, { status: 'delisted' });
    expect(delisted.status).toBe(200);
    await settled(world);

    const read = await cart('GET', '', { cartToken });
    const line = read.body.items.find((item: { skuId: string }) => item.skuId === gone.skuId);
    expect(line).toMatchObject({ status: 'unavailable', available: 0, title: '纯棉T恤', quantity: 1 });
    expect(read.body.subtotal).toEqual(cny(200));
    expect(read.body.itemCount).toBe(3);

    const again = await add({ cartToken }, gone.skuId, 1);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('PRODUCT_UNAVAILABLE');
    // It can still be removed.
    expect(quantities((await cart('PATCH', `/items/${gone.skuId}`, { cartToken }, { quantity: 0 })).body)).toEqual({ [kept.skuId]: 2 });

    const draft = await newSku({ status: 'draft' });
    expect((await add({}, draft.skuId, 1)).body.code).toBe('PRODUCT_UNAVAILABLE');
  });

  it('shows the current price and, after a change, the price when added (priceChangedFrom)', async () => {
    const sku = await newSku({ price: 9900 });
    const cartToken = await guestCart([sku.skuId, 2]);
    const changed = await admin('PUT', `/skus/${sku.skuId}/price`, { price: cny(8800) });
    expect(changed.status).toBe(200);
    await settled(world);

    const read = await cart('GET', '', { cartToken });
    expect(read.body.items[0]).toMatchObject({ unitPrice: cny(8800), lineTotal: cny(17600), priceChangedFrom: cny(9900) });
    expect(read.body.subtotal).toEqual(cny(17600));

    // Adding again shows the buyer the price now: the notice goes.
    const added = await add({ cartToken }, sku.skuId, 1);
    expect(added.body.items[0]).toMatchObject({ quantity: 3, unitPrice: cny(8800) });
    expect(added.body.items[0].priceChangedFrom).toBeUndefined();
  });
});

describe('user carts', () => {
  it('keeps a cart per user, without expiry; a user cannot read another user’s cart', async () => {
    const sku = await newSku();
    const [alice, bob] = [await newUser(), await newUser()];
    const added = await add({ token: alice.token }, sku.skuId, 2);
    expect(added.status).toBe(200);
    expect(added.headers.get('X-Cart-Token')).toBeNull();
    expect(await world.runtime.deps.kv.ttl(`cart:user:${alice.id}`)).toBeNull();

    expect((await cart('GET', '', { token: alice.token })).body.itemCount).toBe(2);
    expect((await cart('GET', '', { token: bob.token })).body.items).toEqual([]);
    expect((await cart('PATCH', `/items/${sku.skuId}`, { token: bob.token }, { quantity: 5 })).status).toBe(404);
    expect((await cart('DELETE', `/items/${sku.skuId}`, { token: bob.token })).status).toBe(200);
    expect((await cart('GET', '', { token: alice.token })).body.itemCount).toBe(2);

    // With a bearer token a guest token is ignored, and a guest cannot name a user cart.
    const guestToken = await guestCart([sku.skuId, 1]);
    expect((await cart('GET', '', { token: bob.token, cartToken: guestToken })).body.items).toEqual([]);
    expect((await cart('GET', '', { cartToken: alice.id })).body.items).toEqual([]);
    expect((await cart('GET', '', { token: 'not-a-jwt' })).status).toBe(401);
  });

  it('loses no update: 50 concurrent adds of 1 make exactly 50 (user and guest carts)', async () => {
    const sku = await newSku({ stock: 200 });
    const user = await newUser();
    const responses = await Promise.all(Array.from({ length: 50 }, () => add({ token: user.token }, sku.skuId, 1)));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    expect((await cart('GET', '', { token: user.token })).body.items[0].quantity).toBe(50);

    const cartToken = await guestCart([sku.skuId, 1]);
    const guests = await Promise.all(Array.from({ length: 49 }, () => add({ cartToken }, sku.skuId, 1)));
    expect(new Set(guests.map((response) => response.headers.get('X-Cart-Token')))).toEqual(new Set([cartToken]));
    expect((await cart('GET', '', { cartToken })).body.items[0].quantity).toBe(50);
  });

  it('lets only what is available through when concurrent adds exceed it', async () => {
    const sku = await newSku({ stock: 20 });
    const user = await newUser();
    const responses = await Promise.all(Array.from({ length: 30 }, () => add({ token: user.token }, sku.skuId, 1)));
    expect(responses.filter((response) => response.status === 200)).toHaveLength(20);
    expect(responses.filter((response) => response.status === 409 && response.body.code === 'OUT_OF_STOCK')).toHaveLength(10);
    expect((await cart('GET', '', { token: user.token })).body.items[0].quantity).toBe(20);
  });
});

describe('merging the guest cart at sign-in', () => {
  it('merges at password login: quantities add up, capped by availability; the guest cart is gone; a retried login adds nothing', async () => {
    const [a, b, c] = [await newSku(), await newSku({ stock: 4 }), await newSku()];
    const user = await newUser();
    await add({ token: user.token }, b.skuId, 2);
    await add({ token: user.token }, c.skuId, 1);
    const cartToken = await guestCart([a.skuId, 2], [b.skuId, 3]);

    const signedIn = await login(user.email, cartToken);
    expect(signedIn.status).toBe(200);
    const merged = await cart('GET', '', { token: signedIn.body.accessToken });
    expect(quantities(merged.body)).toEqual({ [a.skuId]: 2, [b.skuId]: 4, [c.skuId]: 1 });
    expect(merged.body.items.every((item: { status: string }) => item.status === 'ok')).toBe(true);

    expect((await cart('GET', '', { cartToken })).body.items).toEqual([]);
    expect(await world.runtime.deps.kv.get(`cart:guest:${cartToken}`)).toBeNull();

    expect((await login(user.email, cartToken)).status).toBe(200);
    expect(quantities((await cart('GET', '', { token: user.token })).body)).toEqual({ [a.skuId]: 2, [b.skuId]: 4, [c.skuId]: 1 });
  });

  it('merges once when the same login is sent twice at the same time', async () => {
    const sku = await newSku({ stock: 50 });
    const user = await newUser();
    await add({ token: user.token }, sku.skuId, 1);
    const cartToken = await guestCart([sku.skuId, 3]);
    const logins = await Promise.all([login(user.email, cartToken), login(user.email, cartToken), login(user.email, cartToken)]);
    expect(logins.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(quantities((await cart('GET', '', { token: user.token })).body)).toEqual({ [sku.skuId]: 4 });
  });

  it('merges at SMS login', async () => {
    const sku = await newSku();
    const user = await newUser();
    const cartToken = await guestCart([sku.skuId, 2]);
    const code = await smsCode(user.phone, 'login');
    const signedIn = await world.api('POST', '/api/v1/auth/login/sms', { body: { phone: user.phone, code }, headers: { 'X-Cart-Token': cartToken } });
    expect(signedIn.status).toBe(200);
    expect(quantities((await cart('GET', '', { token: signedIn.body.accessToken })).body)).toEqual({ [sku.skuId]: 2 });
    expect((await cart('GET', '', { cartToken })).body.items).toEqual([]);
  });

  it('merges at registration', async () => {
    const sku = await newSku({ stock: 5 });
    const cartToken = await guestCart([sku.skuId, 5]);
    const phone = `+86139${String(next()).padStart(8, '0')}`;
    const code = await smsCode(phone, 'register');
    const registered = await world.api('POST', '/api/v1/auth/register', {
      body: { phone, code, password: PASSWORD, nickname: 'new buyer' },
      headers: { 'X-Cart-Token': cartToken },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const read = await cart('GET', '', { token: registered.body.accessToken });
    expect(read.body.items[0]).toMatchObject({ skuId: sku.skuId, quantity: 5, status: 'ok' });
    expect((await cart('GET', '', { cartToken })).body.items).toEqual([]);
  });

  it('signs in as usual with an unknown, malformed or no cart token', async () => {
    const user = await newUser();
    for (const cartToken of ['B'.repeat(43), 'nonsense', undefined]) {
      expect((await login(user.email, cartToken)).status).toBe(200);
    }
    expect((await cart('GET', '', { token: user.token })).body.items).toEqual([]);
  });
});
