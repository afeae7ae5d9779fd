import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { card, checkout, drain, newBuyer, newSku, pay } from './payments-support.js';
import { orderWorld, type OrderWorld } from './orders-support.js';

/** GET /api/v1/pay-orders/{id}: why a payment failed; the order timeline shows the failed attempt. */

let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(async () => {
  await world?.runtime.close();
});

describe('GET /api/v1/pay-orders/{id}', () => {
  it('shows each payment attempt with its status and decline reason; the order timeline shows the decline', async () => {
    const buyer = await newBuyer(world);
    const sku = await newSku(world, { price: 2500 });
    const placed = await checkout(world, buyer, [sku]);

    const declined = await pay(world, buyer, placed.payOrderId, card('4000000000000002'));
    expect(declined.status, JSON.stringify(declined.body)).toBe(201);
    await drain(world);

    const afterDecline = await world.api('GET', `/api/v1/pay-orders/${placed.payOrderId}`, { token: buyer.token });
    expect(afterDecline.status, JSON.stringify(afterDecline.body)).toBe(200);
    expect(afterDecline.headers.get('etag')).toMatch(/^"\d+"$/);
    expect(afterDecline.body).toMatchObject({
      id: placed.payOrderId,
      userId: buyer.id,
      status: 'pending',
      paymentStatus: 'unpaid',
      payable: { amount: 2500, currency: 'CNY' },
      paymentInFlight: null,
      orders: [{ id: placed.orders[0]!.id, cancelled: false }],
    });
    expect(afterDecline.body.payments).toEqual([
      expect.objectContaining({ paymentId: declined.body.paymentId, method: 'card', status: 'declined', declineReason: 'card_declined', amount: { amount: 2500, currency: 'CNY' } }),
    ]);

    const paid = await pay(world, buyer, placed.payOrderId, card());
    expect(paid.status).toBe(201);
    await drain(world);
    const afterPayment = await world.api('GET', `/api/v1/pay-orders/${placed.payOrderId}`, { token: buyer.token });
    expect(afterPayment.body.paymentStatus).toBe('paid');
    expect(afterPayment.body.paidBy).toBe(paid.body.paymentId);
    expect(afterPayment.body.payments.map((payment: { status: string; declineReason: string | null }) => [payment.status, payment.declineReason])).toEqual([
      ['declined', 'card_declined'],
      ['captured', null],
    ]);

    const order = await world.api('GET', `/api/v1/orders/${placed.orders[0]!.id}`, { token: buyer.token });
    const types = (order.body.timeline as Array<{ type: string; reason?: string }>).map((entry) => entry.type);
    expect(types).toEqual(['OrderPlaced', 'PaymentDeclined', 'OrderPaid']);
    expect(order.body.timeline[1]).toMatchObject({ type: 'PaymentDeclined', reason: 'card_declined' });
  });

  it('is 404 to another customer and for an unknown id, 401 without a token; an admin may read it', async () => {
    const buyer = await newBuyer(world);
    const other = await newBuyer(world);
    const sku = await newSku(world);
    const placed = await checkout(world, buyer, [sku]);

    const foreign = await world.api('GET', `/api/v1/pay-orders/${placed.payOrderId}`, { token: other.token });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toContain('application/problem+json');
    expect((await world.api('GET', '/api/v1/pay-orders/01JUNKNOWNPAYORDER000000000', { token: buyer.token })).status).toBe(404);
    expect((await world.api('GET', `/api/v1/pay-orders/${placed.payOrderId}`)).status).toBe(401);
    const admin = await world.api('GET', `/api/v1/pay-orders/${placed.payOrderId}`, { token: world.adminToken });
    expect(admin.status).toBe(200);
    expect(admin.body.payments).toEqual([]);
  });
});
