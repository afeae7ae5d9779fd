import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { card, checkout, drain, newBuyer, newSku, pay } from './payments-support.js';
import { orderWorld, type OrderWorld } from './orders-support.js';
import { paidOrder } from './fulfillment-support.js';

/** The customer's own payments (and refunds) as cursor-paginated lists. */

let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(async () => {
  await world?.runtime.close();
});

describe('GET /api/v1/me/payments', () => {
  it('lists my payment attempts newest first, page by page, and nobody else’s', async () => {
    const buyer = await newBuyer(world);
    const other = await newBuyer(world);
    const sku = await newSku(world, { price: 1800 });
    const placed = await checkout(world, buyer, [sku]);
    const declined = await pay(world, buyer, placed.payOrderId, card('4000000000000002'));
    await drain(world);
    const captured = await pay(world, buyer, placed.payOrderId, card());
    await drain(world);
    const elsewhere = await checkout(world, other, [sku]);
    expect((await pay(world, other, elsewhere.payOrderId, card())).status).toBe(201);
    await drain(world);

    const first = await world.api('GET', '/api/v1/me/payments?limit=1', { token: buyer.token });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.items).toEqual([expect.objectContaining({ paymentId: captured.body.paymentId, payOrderId: placed.payOrderId, status: 'captured', declineReason: null })]);
    expect(first.body.nextCursor).toEqual(expect.any(String));

    const second = await world.api('GET', `/api/v1/me/payments?limit=1&cursor=${first.body.nextCursor}`, { token: buyer.token });
    expect(second.body.items).toEqual([expect.objectContaining({ paymentId: declined.body.paymentId, status: 'declined', declineReason: 'card_declined' })]);
    if (second.body.nextCursor !== null) {
      const third = await world.api('GET', `/api/v1/me/payments?limit=1&cursor=${second.body.nextCursor}`, { token: buyer.token });
      expect(third.body).toEqual({ items: [], nextCursor: null });
    }
  });

  it('refuses a bad page request with 400 and answers 401 without a token', async () => {
    const buyer = await newBuyer(world);
    const bad = await world.api('GET', '/api/v1/me/payments?cursor=not-a-cursor!', { token: buyer.token });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect((await world.api('GET', '/api/v1/me/payments?limit=0', { token: buyer.token })).status).toBe(400);
    expect((await world.api('GET', '/api/v1/me/payments')).status).toBe(401);
  });
});

describe('GET /api/v1/me/refunds', () => {
  it('lists my refunds newest first, page by page, and nobody else’s', async () => {
    const mine = await paidOrder(world, { price: 3000, quantity: 2 });
    const itemId = mine.view.items[0].id as string;
    const request = (body: unknown) => world.api('POST', `/api/v1/orders/${mine.orderId}/refunds`, { token: mine.buyer.token, body });
    const first = await request({ type: 'refund_only', items: [{ orderItemId: itemId, quantity: 1 }], reason: 'one was broken' });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const rejected = await world.api('POST', `/api/v1/admin/refunds/${first.body.refundId}/reject`, { token: world.adminToken, body: { note: 'no photo' } });
    expect(rejected.status, JSON.stringify(rejected.body)).toBeLessThan(300);
    const second = await request({ type: 'refund_only', items: [{ orderItemId: itemId, quantity: 1 }], reason: 'broken, photo attached' });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    const someoneElse = await paidOrder(world);
    expect((await world.api('POST', `/api/v1/orders/${someoneElse.orderId}/refunds`, { token: someoneElse.buyer.token, body: { type: 'refund_only', items: [{ orderItemId: someoneElse.view.items[0].id, quantity: 1 }], reason: 'x' } })).status).toBe(201);

    const page1 = await world.api('GET', '/api/v1/me/refunds?limit=1', { token: mine.buyer.token });
    expect(page1.status, JSON.stringify(page1.body)).toBe(200);
    expect(page1.body.items).toEqual([expect.objectContaining({ id: second.body.refundId, orderId: mine.orderId, status: 'requested', reason: 'broken, photo attached', amount: { amount: 3000, currency: 'CNY' } })]);
    expect(page1.body.items[0]).not.toHaveProperty('userId');
    const page2 = await world.api('GET', `/api/v1/me/refunds?limit=1&cursor=${page1.body.nextCursor}`, { token: mine.buyer.token });
    expect(page2.body.items).toEqual([expect.objectContaining({ id: first.body.refundId, status: 'rejected', note: 'no photo' })]);
    const all = await world.api('GET', '/api/v1/me/refunds', { token: mine.buyer.token });
    expect(all.body.items.map((refund: { id: string }) => refund.id)).toEqual([second.body.refundId, first.body.refundId]);
    expect(all.body.nextCursor).toBeNull();
  });

  it('refuses a bad cursor with 400 and answers 401 without a token', async () => {
    const buyer = await newBuyer(world);
    expect((await world.api('GET', '/api/v1/me/refunds?cursor=%7B%7D', { token: buyer.token })).status).toBe(400);
    expect((await world.api('GET', '/api/v1/me/refunds')).status).toBe(401);
  });
});
