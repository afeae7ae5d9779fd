import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cny, settled, teeBody } from './catalog-support.js';
import { address, line, newBuyer, newSku, orderWorld, type OrderWorld } from './orders-support.js';
import { runRebuildRequests } from '../../src/runtime/rebuild-requests.js';
import { rebuildRequestKey } from '../../src/kernel/rebuild-requests.js';
import { leaseKey } from '../../src/runtime/lease.js';
import { userStream } from '../../src/domain/users/user.js';

/** What the console's remaining pages needed from the public API (issue 16): lists, end, user search, rebuilds, leases, snapshots, order filters, refund reason. */

let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world.runtime.close());

const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => world.api(method, path, { token: world.adminToken, body, headers });

describe('promotions, vouchers and flash sales', () => {
  it('lists promotions newest first in cursor pages, ends one (checkout then refuses the code), admin only', async () => {
    for (const code of ['LISTA', 'LISTB', 'LISTC']) expect((await admin('POST', '/api/v1/admin/promotions', { code, kind: 'percent', value: 10 })).status).toBe(201);
    await settled(world);
    const first = await admin('GET', '/api/v1/admin/promotions?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((p: { code: string }) => p.code)).toEqual(['LISTC', 'LISTB']);
    expect(first.body.items[0]).toMatchObject({ status: 'running', used: 0, spent: cny(0), endedAt: null });
    const second = await admin('GET', `/api/v1/admin/promotions?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((p: { code: string }) => p.code)).toEqual(['LISTA']);
    expect(second.body.nextCursor).toBeNull();
    expect((await world.api('GET', '/api/v1/admin/promotions', { token: world.merchantA.token })).status).toBe(403);

    const ended = await admin('POST', '/api/v1/admin/promotions/listb/end');
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    expect(ended.body.endedAt).toEqual(expect.any(String));
    expect((await admin('POST', '/api/v1/admin/promotions/LISTB/end')).body.version).toBe(ended.body.version); // unchanged
    expect((await admin('POST', '/api/v1/admin/promotions/LISTB/end', undefined, { 'If-Match': '"0"' })).status).toBe(412);
    expect((await admin('POST', '/api/v1/admin/promotions/NOPE/end')).status).toBe(404);
    await settled(world);
    const listed = await admin('GET', '/api/v1/admin/promotions?limit=10');
    expect(listed.body.items.find((p: { code: string }) => p.code === 'LISTB')).toMatchObject({ status: 'ended' });

    const sku = await newSku(world, { stock: 5, price: 5000 });
    const buyer = await newBuyer(world);
    const refused = await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { items: [{ skuId: sku.skuId, quantity: 1 }], promotionCode: 'LISTB' } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PROMOTION_INVALID');
  });

  it('lists vouchers with their usage and ends one', async () => {
    expect((await admin('POST', '/api/v1/admin/vouchers', { code: 'VLIST1', amount: cny(500), maxUses: 3 })).status).toBe(201);
    expect((await admin('POST', '/api/v1/admin/vouchers', { code: 'VLIST2', amount: cny(800) })).status).toBe(201);
    const ended = await admin('POST', '/api/v1/admin/vouchers/VLIST1/end');
    expect(ended.status).toBe(200);
    expect(ended.body.endedAt).toEqual(expect.any(String));
    await settled(world);
    const page = await admin('GET', '/api/v1/admin/vouchers?limit=10');
    expect(page.status).toBe(200);
    expect(page.body.items.map((v: { code: string }) => v.code).slice(0, 2)).toEqual(['VLIST2', 'VLIST1']);
    expect(page.body.items[1]).toMatchObject({ status: 'ended', used: 0, remainingUses: 3 });
  });

  it('lists flash sales with their gate counters', async () => {
    const sku = await newSku(world, { stock: 20, price: 5000 });
    const created = await admin('POST', '/api/v1/admin/flash-sales', { skuId: sku.skuId, quantity: 5, price: cny(990) });
    expect(created.status).toBe(201);
    const buyer = await newBuyer(world);
    const bought = await world.api('POST', '/api/v1/orders', { token: buyer.token, body: { items: [line(sku, 2, 990)], shippingAddress: address } });
    expect(bought.status, JSON.stringify(bought.body)).toBe(201);
    await settled(world);
    const page = await admin('GET', '/api/v1/admin/flash-sales?open=true');
    expect(page.status).toBe(200);
    expect(page.body.items[0]).toMatchObject({ id: created.body.id, status: 'running', admitted: 2, remaining: 3 });
    expect((await admin('POST', `/api/v1/admin/flash-sales/${created.body.id}/end`)).status).toBe(200);
    await settled(world);
    expect((await admin('GET', '/api/v1/admin/flash-sales?open=true')).body.items.map((s: { id: string }) => s.id)).not.toContain(created.body.id);
  });
});

describe('products', () => {
  it('finds products of every status by a keyword in the title or the brand; a merchant only its own; bad input is 400', async () => {
    const tag = `kw${Date.now().toString(36)}`;
    const create = async (title: string, status: 'listed' | 'draft', token: string) => {
      const created = await world.api('POST', '/api/v1/admin/products', { token, body: { ...teeBody(world.t, [`${tag}-${title.length}-${status}-${token.length % 7}`], { status }), title } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      await settled(world, created.body.position);
      return created.body.id as string;
    };
    const draft = await create(`Linen ${tag} shirt 亚麻`, 'draft', world.merchantA.token);
    const listed = await create(`${tag.toUpperCase()} 亚麻 trousers`, 'listed', world.merchantA.token);
    const others = await create(`亚麻 ${tag} scarf`, 'listed', world.merchantB.token);
    const ids = async (query: string, token = world.adminToken) => {
      const answer = await world.api('GET', `/api/v1/admin/products?${query}`, { token });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body.items.map((product: { id: string }) => product.id);
    };
    expect(await ids(`q=${tag}`)).toEqual([draft, listed, others]);
    expect(await ids(`q=${encodeURIComponent(` ${tag.toUpperCase()} `)}&status=draft`)).toEqual([draft]);
    expect(await ids(`q=${encodeURIComponent(`${tag} 亚麻`)}`)).toEqual([listed]);
    expect(await ids(`q=${tag}`, world.merchantB.token)).toEqual([others]);
    expect(await ids(`q=${tag}&limit=1`)).toEqual([draft]);
    expect(await ids(`q=${tag}-nothing`)).toEqual([]);
    expect((await world.api('GET', `/api/v1/admin/products?q=${'x'.repeat(101)}`, { token: world.adminToken })).status).toBe(400);
  });
});

describe('users', () => {
  it('finds users by e-mail, phone and nickname prefix and by role, in cursor pages; admin only', async () => {
    for (let i = 0; i < 3; i++) {
      await world.runtime.deps.handlers.user.handle(userStream(`finder-${i}`), {
        type: 'RegisterUser',
        userId: `finder-${i}`,
        phone: `+86139000000${i}0`,
        email: `findme${i}@example.com`,
        nickname: `Finder${i}`,
        passwordHash: 'x',
        roles: ['customer'],
        at: new Date(Date.now() + i).toISOString(),
      });
    }
    await settled(world);
    const byEmail = await admin('GET', '/api/v1/admin/users?q=FindMe&by=email&limit=2');
    expect(byEmail.status, JSON.stringify(byEmail.body)).toBe(200);
    expect(byEmail.body.items.map((u: { email: string }) => u.email)).toEqual(['findme0@example.com', 'findme1@example.com']);
    const rest = await admin('GET', `/api/v1/admin/users?q=FindMe&by=email&limit=2&cursor=${byEmail.body.nextCursor}`);
    expect(rest.body.items.map((u: { email: string }) => u.email)).toEqual(['findme2@example.com']);
    expect(rest.body.nextCursor).toBeNull();
    expect((await admin('GET', '/api/v1/admin/users?q=findme1@')).body.items).toHaveLength(1);
    expect((await admin('GET', '/api/v1/admin/users?q=%2B8613900000010')).body.items.map((u: { id: string }) => u.id)).toEqual(['finder-1']);
    expect((await admin('GET', '/api/v1/admin/users?q=Finder2')).body.items.map((u: { nickname: string }) => u.nickname)).toEqual(['Finder2']);
    expect((await admin('GET', '/api/v1/admin/users?q=Finder&role=admin')).body.items).toEqual([]);
    const user = byEmail.body.items[0];
    expect((await admin('PUT', `/api/v1/admin/users/${user.id}/roles`, { roles: ['customer', 'merchant'] })).status).toBe(200);
    await settled(world);
    expect((await admin('GET', '/api/v1/admin/users?q=Finder&role=merchant')).body.items.map((u: { id: string }) => u.id)).toEqual([user.id]);
    expect((await admin('GET', '/api/v1/admin/users?limit=1')).body.nextCursor).toEqual(expect.any(String));
    expect((await world.api('GET', '/api/v1/admin/users', { token: world.merchantA.token })).status).toBe(403);
  });
});

describe('operations', () => {
  it('shows projections with lease owners; a rebuild asked for over the API runs in the lease holder, never twice at once', async () => {
    const kv = world.runtime.deps.kv;
    await kv.set(leaseKey('orders'), 'host:1:abcd', { ttlMs: 60_000 });
    const overview = await admin('GET', '/api/v1/admin/projections');
    expect(overview.status).toBe(200);
    expect(overview.body.projections.find((p: { name: string }) => p.name === 'orders')).toMatchObject({ kind: 'projection', leaseOwner: 'host:1:abcd', lastRebuild: null });
    expect(overview.body.leases).toContainEqual({ name: 'sweepers', owner: null });
    expect(overview.body.owners).toEqual([{ owner: 'host:1:abcd', role: 'unknown', thread: false, host: 'host', pid: 1, startedAt: '' }]); // it did not say who it is

    const asked = await admin('POST', '/api/v1/admin/projections/orders/rebuild');
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ projection: 'orders', state: 'requested', requestedBy: 'admin-1' });
    expect((await admin('POST', '/api/v1/admin/projections/orders/rebuild')).body.code).toBe('REBUILD_IN_PROGRESS');
    expect((await admin('POST', '/api/v1/admin/projections/nope/rebuild')).status).toBe(404);
    expect((await world.api('POST', '/api/v1/admin/projections/orders/rebuild', { token: world.merchantA.token })).status).toBe(403);

    // A process that does not hold the lease leaves the request alone; the holder runs it.
    const bystander = runRebuildRequests(world.runtime.deps, { owns: () => false }, 'other', ['orders'], 20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await bystander.stop();
    expect(JSON.parse((await kv.get(rebuildRequestKey('orders')))!).state).toBe('requested');
    const holder = runRebuildRequests(world.runtime.deps, { owns: (name) => name === 'orders' }, 'host:1:abcd', ['orders'], 20);
    await expect.poll(async () => JSON.parse((await kv.get(rebuildRequestKey('orders')))!).state, { timeout: 10_000 }).toBe('done');
    await holder.stop();
    const after = await admin('GET', '/api/v1/admin/projections');
    expect(after.body.projections.find((p: { name: string }) => p.name === 'orders').lastRebuild).toMatchObject({ state: 'done', owner: 'host:1:abcd', checkpoint: expect.any(Number) });
    expect((await admin('POST', '/api/v1/admin/projections/orders/rebuild')).status).toBe(202); // may be asked again
    await kv.del(rebuildRequestKey('orders'));
  });
});

describe('orders', () => {
  it('filters by payment and fulfillment status and a creation window; serves item snapshots', async () => {
    const sku = await newSku(world, { stock: 10, price: 1200 });
    const buyer = await newBuyer(world);
    const placed = await world.api('POST', '/api/v1/orders', { token: buyer.token, body: { items: [line(sku)], shippingAddress: address } });
    expect(placed.status).toBe(201);
    await settled(world);
    const orderId = placed.body.orders[0].id as string;
    const ids = async (query: string) => ((await admin('GET', `/api/v1/orders?userId=${buyer.id}&${query}`)).body.items as Array<{ id: string }>).map((o) => o.id);
    expect(await ids('paymentStatus=unpaid')).toEqual([orderId]);
    expect(await ids('paymentStatus=paid')).toEqual([]);
    expect(await ids('fulfillmentStatus=unfulfilled')).toEqual([orderId]);
    const now = Date.now();
    expect(await ids(`createdFrom=${new Date(now - 60_000).toISOString()}&createdTo=${new Date(now + 60_000).toISOString()}`)).toEqual([orderId]);
    expect(await ids(`createdTo=${new Date(now - 60_000).toISOString()}`)).toEqual([]);
    expect(await ids(`createdFrom=${new Date(now + 60_000).toISOString()}`)).toEqual([]);
    expect((await admin('GET', '/api/v1/orders?createdFrom=yesterday')).status).toBe(400);

    const order = await admin('GET', `/api/v1/orders/${orderId}`);
    const snapshot = await world.api('GET', `/api/v1/snapshots/${order.body.items[0].snapshotId}`, { token: buyer.token });
    expect(snapshot.status).toBe(200);
    expect(snapshot.body.content.skus.map((s: { skuId: string }) => s.skuId)).toContain(sku.skuId);
    expect((await world.api('GET', `/api/v1/snapshots/${'0'.repeat(64)}`, { token: buyer.token })).status).toBe(404);
    expect((await world.api('GET', `/api/v1/snapshots/${order.body.items[0].snapshotId}`)).status).toBe(401);
  });

  it('GET /refunds/{id} names the reason, the decision note and when it was asked for', async () => {
    const sku = await newSku(world, { stock: 10, price: 1500 });
    const buyer = await newBuyer(world);
    expect((await admin('POST', `/api/v1/admin/accounts/${buyer.id}/credits`, { amount: cny(10_000), reason: 'test' }, { 'Idempotency-Key': `credit-${buyer.id}` })).status).toBe(201);
    const placed = await world.api('POST', '/api/v1/orders', { token: buyer.token, body: { items: [line(sku)], shippingAddress: address } });
    const paid = await world.api('POST', `/api/v1/pay-orders/${placed.body.payOrderId}/payments`, { token: buyer.token, body: { method: 'wallet' }, headers: { 'Idempotency-Key': `pay-${buyer.id}` } });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    const orderId = placed.body.orders[0].id as string;
    await expect.poll(async () => (await admin('GET', `/api/v1/orders/${orderId}`)).body.paymentStatus).toBe('paid');
    const requested = await world.api('POST', `/api/v1/orders/${orderId}/refunds`, { token: buyer.token, body: { type: 'refund_only', items: [], reason: '尺码不合适' }, headers: { 'Idempotency-Key': `refund-${buyer.id}` } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const refund = await world.api('GET', `/api/v1/refunds/${requested.body.refundId}`, { token: buyer.token });
    expect(refund.status).toBe(200);
    expect(refund.body).toMatchObject({ reason: '尺码不合适', initiator: 'customer', note: null, returnShipment: null, requestedAt: expect.any(String), refundedAt: null });
  });
});
