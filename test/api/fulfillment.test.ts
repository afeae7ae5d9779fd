import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorld, type OrderWorld } from './orders-support.js';
import { balance, drain } from './payments-support.js';
import { carrierOf, expectReconciled, orderDetail, paidOrder, ship } from './fulfillment-support.js';
import { accountIds } from '../../src/domain/accounts/account-ids.js';
import { autoCompleteDeliveredOrders } from '../../src/commands/fulfillment/reactors.js';
import { orderStream } from '../../src/domain/orders/order.js';

/** Shipments, the tracking-number ABA story, carrier callbacks, completion and coins. */
let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld({ BAZAAR_AUTO_COMPLETE_DAYS: '7', BAZAAR_COINS_EARN_BPS: '100' });
});
afterAll(() => world.runtime.close());

const callback = (body: string, signature?: string) =>
  world.runtime.app.request('/api/v1/fulfillment/callbacks/sandbox', { method: 'POST', headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Signature': signature } : {}) }, body });

describe('shipments', () => {
  it('the seed’s ABA story: 123 → 456, and the delayed retry of the old edit gets 412; the number stays 456', async () => {
    const { orderId, buyer } = await paidOrder(world);
    const created = await ship(world, orderId, '123');
    const shipmentId = created.body.shipmentId as string;
    expect(created.headers.get('ETag')).toBe('"0"');
    const path = `/api/v1/admin/orders/${orderId}/shipments/${shipmentId}`;
    // Request B: the merchant corrects 123 to 456 with the version it read.
    const corrected = await world.api('PATCH', path, { token: world.adminToken, body: { trackingNumber: '456' }, headers: { 'If-Match': '"0"' } });
    expect(corrected.status, JSON.stringify(corrected.body)).toBe(200);
    expect(corrected.headers.get('ETag')).toBe('"1"');
    // Request A's retry: it still carries version 0 and the old number.
    const stale = await world.api('PATCH', path, { token: world.adminToken, body: { trackingNumber: '123' }, headers: { 'If-Match': '"0"' } });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT', currentVersion: 1 });
    // Without If-Match the edit is refused too (it could be a stale retry).
    expect((await world.api('PATCH', path, { token: world.adminToken, body: { trackingNumber: '123' } })).status).toBe(428);
    const current = await world.api('GET', path, { token: world.adminToken });
    expect(current.body).toMatchObject({ trackingNumber: '456', status: 'in_transit', version: 1 });
    const view = await orderDetail(world, buyer.token, orderId);
    expect(view).toMatchObject({ status: 'shipped', fulfillmentStatus: 'shipped', shipments: [{ id: shipmentId, carrier: 'SF Express', trackingNumber: '456', status: 'in_transit' }] });
  });

  it('only a paid order ships, once; a merchant ships only its own orders; the same Idempotency-Key answers the same shipment', async () => {
    const { orderId } = await paidOrder(world);
    expect((await world.api('POST', `/api/v1/admin/orders/${orderId}/shipments`, { token: world.merchantB.token, body: { carrier: 'SF', trackingNumber: '1' } })).status).toBe(404);
    const headers = { 'Idempotency-Key': `ship-${orderId}` };
    const first = await world.api('POST', `/api/v1/admin/orders/${orderId}/shipments`, { token: world.merchantA.token, body: { carrier: 'SF', trackingNumber: '1' }, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await world.api('POST', `/api/v1/admin/orders/${orderId}/shipments`, { token: world.merchantA.token, body: { carrier: 'SF', trackingNumber: '1' }, headers });
    expect(again.body.shipmentId).toBe(first.body.shipmentId);
    const second = await world.api('POST', `/api/v1/admin/orders/${orderId}/shipments`, { token: world.adminToken, body: { carrier: 'SF', trackingNumber: '2' } });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('INVALID_STATE_TRANSITION');
    expect((await world.api('POST', `/api/v1/orders/${orderId}/confirm-receipt`, { token: world.adminToken })).status).toBe(409);
  });
});

describe('carrier callbacks and completion', () => {
  it('signed delivery callback → delivered (bad signature 401, duplicates no-ops) → confirm-receipt → completed with coins; timeline has every actor', async () => {
    const { orderId, buyer } = await paidOrder(world, { price: 20_000 });
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    const raw = JSON.stringify({ shipmentId, status: 'delivered' });
    expect((await callback(raw, 'f'.repeat(64))).status).toBe(401);
    expect((await callback(raw)).status).toBe(401);
    expect((await world.api('POST', '/api/v1/fulfillment/callbacks/other', { body: raw, headers: { 'X-Signature': carrierOf(world).sign(raw) } })).status).toBe(404);
    expect((await orderDetail(world, buyer.token, orderId)).status).toBe('shipped');

    const reported = await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/delivered`, {});
    expect(reported.status, JSON.stringify(reported.body)).toBe(200);
    const signed = await callback(raw, carrierOf(world).sign(raw));
    expect(signed.status).toBe(200);
    expect((await callback(raw, carrierOf(world).sign(raw))).status).toBe(200);
    const before = (await world.runtime.deps.store.readStream(orderStream(orderId))).length;
    await drain(world);
    expect((await world.runtime.deps.store.readStream(orderStream(orderId))).length).toBe(before);
    expect(await orderDetail(world, buyer.token, orderId)).toMatchObject({ status: 'delivered', fulfillmentStatus: 'delivered', shipments: [{ status: 'delivered' }] });
    // A contradicting failure after delivery changes nothing.
    const failed = JSON.stringify({ shipmentId, status: 'failed' });
    expect(await (await callback(failed, carrierOf(world).sign(failed))).json()).toMatchObject({ status: 'delivered' });

    // Another customer cannot confirm; the owner can, once.
    const other = await world.api('POST', `/api/v1/orders/${orderId}/confirm-receipt`, { token: world.customerToken });
    expect(other.status).toBe(404);
    const coinsBefore = await balance(world, accountIds.coins(buyer.id));
    const confirmed = await world.api('POST', `/api/v1/orders/${orderId}/confirm-receipt`, { token: buyer.token });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    // 1 % of CNY 200.00 = CNY 2.00 = 200 coins at 100 coins per CNY.
    expect(confirmed.body).toMatchObject({ status: 'completed', coinsEarned: 200 });
    expect((await world.api('POST', `/api/v1/orders/${orderId}/confirm-receipt`, { token: buyer.token })).status).toBe(200);
    await drain(world);
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(coinsBefore + 200);

    const adminView = await orderDetail(world, world.adminToken, orderId);
    expect(adminView.status).toBe('completed');
    const steps = (adminView.timeline as Array<{ type: string; actor?: { id: string; role: string } }>).map((entry) => [entry.type, entry.actor?.role]);
    expect(steps).toEqual(
      expect.arrayContaining([
        ['OrderPlaced', 'customer'],
        ['ShipmentCreated', 'admin'],
        ['OrderShipped', 'admin'],
        ['ShipmentDelivered', 'system'],
        ['OrderDelivered', 'system'],
        ['OrderCompleted', 'customer'],
      ]),
    );
    await expectReconciled(world);
  });

  it('a delivered order completes by itself after BAZAAR_AUTO_COMPLETE_DAYS (injected clock), not before', async () => {
    const { orderId, buyer } = await paidOrder(world);
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    await carrierOf(world).report(shipmentId, 'delivered');
    await drain(world);
    const soon = await autoCompleteDeliveredOrders(world.runtime.deps, { now: new Date(Date.now() + 6 * 86_400_000) });
    expect(soon.completed).toBe(0);
    expect((await orderDetail(world, buyer.token, orderId)).status).toBe('delivered');
    const later = await autoCompleteDeliveredOrders(world.runtime.deps, { now: new Date(Date.now() + 8 * 86_400_000) });
    expect(later.completed).toBeGreaterThanOrEqual(1);
    const view = await orderDetail(world, buyer.token, orderId);
    expect(view.status).toBe('completed');
    expect(view.timeline.at(-1)).toMatchObject({ type: 'OrderCompleted', actor: { role: 'system' }, reason: 'auto' });
    await expectReconciled(world);
  });

  it('failed fulfilment → automatic refund of the whole order → closed; reconciliation stays ok', async () => {
    const { orderId, buyer } = await paidOrder(world, { price: 12_345, quantity: 2 });
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    const reported = await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/failed`, {});
    expect(reported.status).toBe(200);
    await drain(world);
    const view = await orderDetail(world, buyer.token, orderId);
    expect(view).toMatchObject({ status: 'closed', paymentStatus: 'refunded', refundStatus: 'refunded', fulfillmentStatus: 'failed', shipments: [{ status: 'failed' }] });
    expect(view.refunds).toEqual([expect.objectContaining({ status: 'refunded', amount: { amount: 24_690, currency: 'CNY' } })]);
    expect(view.timeline.find((entry: { type: string }) => entry.type === 'RefundRequested')).toMatchObject({ actor: { role: 'system' } });
    await expectReconciled(world);
  });
});
