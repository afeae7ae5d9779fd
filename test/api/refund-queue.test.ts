import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorld, type OrderWorld } from './orders-support.js';
import { card, checkout, drain, newBuyer, newSku, pay } from './payments-support.js';

/** The refund queue (GET /admin/refunds) and the order lists filtered by refundStatus, for admins and merchants. */
let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world.runtime.close());

type Refund = { id: string; orderId: string; merchantId: string; status: string; requestedAt: string; position: unknown };

/** A paid order of one unit sold by the merchant (its token), for a new buyer. */
async function paidOrderOf(merchantToken: string) {
  const sku = await newSku(world, { price: 5_000, stock: 5, merchantToken });
  const buyer = await newBuyer(world);
  const placed = await checkout(world, buyer, [sku]);
  expect((await pay(world, buyer, placed.payOrderId, card())).status).toBe(201);
  await drain(world);
  return { buyer, orderId: placed.orders[0]!.id };
}

const askRefund = async (order: { buyer: { token: string }; orderId: string }) => {
  const response = await world.api('POST', `/api/v1/orders/${order.orderId}/refunds`, { token: order.buyer.token, body: { type: 'refund_only', items: [], reason: 'arrived broken' } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { refundId: string; position: string };
};

const queue = (token: string, query = '', headers: Record<string, string> = {}) => world.api('GET', `/api/v1/admin/refunds${query}`, { token, headers });
const ids = (items: Array<{ id: string }>) => items.map((item) => item.id);

describe('the refund queue', () => {
  let a1: Awaited<ReturnType<typeof paidOrderOf>>;
  let a2: Awaited<ReturnType<typeof paidOrderOf>>;
  let b1: Awaited<ReturnType<typeof paidOrderOf>>;
  let refundA1: string;
  let refundA2: string;
  let refundB1: string;

  beforeAll(async () => {
    [a1, a2, b1] = [await paidOrderOf(world.merchantA.token), await paidOrderOf(world.merchantA.token), await paidOrderOf(world.merchantB.token)];
    refundA1 = (await askRefund(a1)).refundId;
    refundB1 = (await askRefund(b1)).refundId;
    refundA2 = (await askRefund(a2)).refundId;
    const approved = await world.api('POST', `/api/v1/admin/refunds/${refundA2}/approve`, { token: world.adminToken });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    await drain(world); // the card refund's callback: refundA2 → refunded
  });

  it('lists what waits for a decision, oldest first: everything for an admin', async () => {
    const requested = await queue(world.adminToken, '?status=requested');
    expect(requested.status).toBe(200);
    expect(ids(requested.body.items)).toEqual([refundA1, refundB1]);
    const first = requested.body.items[0] as Refund;
    expect(first).toMatchObject({ orderId: a1.orderId, merchantId: world.merchantA.id, userId: a1.buyer.id, status: 'requested', type: 'refund_only', amount: { amount: 5_000, currency: 'CNY' }, reason: 'arrived broken', initiator: 'customer' });
    expect(typeof first.position).toBe('string');
    expect(ids((await queue(world.adminToken, '?status=refunded')).body.items)).toEqual([refundA2]);
    expect(ids((await queue(world.adminToken)).body.items)).toEqual([refundA1, refundB1, refundA2]);
  });

  it('shows a merchant only the refunds of its own shop', async () => {
    expect(ids((await queue(world.merchantA.token, '?status=requested')).body.items)).toEqual([refundA1]);
    expect(ids((await queue(world.merchantA.token)).body.items)).toEqual([refundA1, refundA2]);
    expect(ids((await queue(world.merchantB.token)).body.items)).toEqual([refundB1]);
    expect(ids((await queue(world.merchantB.token, '?status=refunded')).body.items)).toEqual([]);
    expect((await queue(world.customerToken)).status).toBe(403);
    expect((await world.api('GET', '/api/v1/admin/refunds')).status).toBe(401);
  });

  it('pages with a cursor and refuses bad input with a problem', async () => {
    const page1 = await queue(world.adminToken, '?limit=2');
    expect(ids(page1.body.items)).toEqual([refundA1, refundB1]);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await queue(world.adminToken, `?limit=2&cursor=${page1.body.nextCursor}`);
    expect(ids(page2.body.items)).toEqual([refundA2]);
    expect(page2.body.nextCursor).toBeNull();

    for (const query of ['?status=pending', '?limit=0', '?limit=101', '?cursor=not-a-cursor', `?cursor=${Buffer.from('[{"a":1},"x"]').toString('base64url')}`]) {
      const refused = await queue(world.adminToken, query);
      expect(refused.status, query).toBe(400);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('follows a decision: an approved refund leaves the requested queue; X-Min-Position reads the write', async () => {
    const order = await paidOrderOf(world.merchantB.token);
    const asked = await askRefund(order);
    const seen = await queue(world.merchantB.token, '?status=requested', { 'X-Min-Position': asked.position });
    expect(seen.headers.get('X-Consistency')).toBe('consistent');
    expect(ids(seen.body.items)).toEqual([refundB1, asked.refundId]);
    const rejected = await world.api('POST', `/api/v1/admin/refunds/${asked.refundId}/reject`, { token: world.merchantB.token, body: { note: 'used' } });
    expect(rejected.status).toBe(200);
    const after = await queue(world.merchantB.token, '?status=rejected', { 'X-Min-Position': rejected.body.position });
    expect(after.body.items).toEqual([expect.objectContaining({ id: asked.refundId, status: 'rejected', note: 'used' })]);
    expect(ids((await queue(world.merchantB.token, '?status=requested')).body.items)).toEqual([refundB1]);
  });
});

describe('order lists by refundStatus', () => {
  it('filters the admin’s, the merchant’s and the buyer’s lists', async () => {
    const mine = await paidOrderOf(world.merchantA.token);
    const quiet = await paidOrderOf(world.merchantA.token);
    const asked = await askRefund(mine);
    await drain(world);

    const merchant = await world.api('GET', `/api/v1/merchant/orders?refundStatus=requested&limit=100`, { token: world.merchantA.token, headers: { 'X-Min-Position': asked.position } });
    expect(merchant.status).toBe(200);
    expect(ids(merchant.body.items)).toContain(mine.orderId);
    expect(ids(merchant.body.items)).not.toContain(quiet.orderId);
    expect(merchant.body.items.every((order: { refundStatus: string; merchantId: string }) => order.refundStatus === 'requested' && order.merchantId === world.merchantA.id)).toBe(true);
    const otherShop = await world.api('GET', `/api/v1/merchant/orders?refundStatus=requested&limit=100`, { token: world.merchantB.token });
    expect(ids(otherShop.body.items)).not.toContain(mine.orderId);

    const admin = await world.api('GET', `/api/v1/orders?refundStatus=requested&limit=100`, { token: world.adminToken });
    expect(ids(admin.body.items)).toContain(mine.orderId);
    expect(ids(admin.body.items)).not.toContain(quiet.orderId);
    expect(admin.body.items.every((order: { refundStatus: string }) => order.refundStatus === 'requested')).toBe(true);
    const none = await world.api('GET', `/api/v1/orders?refundStatus=none&status=paid&limit=100`, { token: world.adminToken });
    expect(ids(none.body.items)).toContain(quiet.orderId);
    expect(ids(none.body.items)).not.toContain(mine.orderId);

    const buyer = await world.api('GET', '/api/v1/orders?refundStatus=requested', { token: mine.buyer.token });
    expect(ids(buyer.body.items)).toEqual([mine.orderId]);
    expect((await world.api('GET', '/api/v1/orders?refundStatus=requested', { token: quiet.buyer.token })).body.items).toEqual([]);

    const refused = await world.api('GET', '/api/v1/merchant/orders?refundStatus=maybe', { token: world.merchantA.token });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('VALIDATION_FAILED');
  });
});
