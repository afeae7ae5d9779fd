import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorld, type OrderWorld } from './orders-support.js';
import { checkout, drain, newBuyer, newSku } from './payments-support.js';
import { carrierOf, paidOrder, ship } from './fulfillment-support.js';

/**
 * The order and refund transitions honour If-Match (the order's or refund's ETag, its stream revision):
 * stale → 412 VERSION_CONFLICT, malformed → 400, and neither appends anything; the current version goes
 * through. The table of the other edits is test/api/security-if-match.test.ts.
 */

let world: OrderWorld;

beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world?.runtime.close());

const revision = async (stream: string) => (await world.runtime.deps.store.readStream(stream)).length - 1;

async function honours(stream: string, send: (ifMatch: string) => Promise<{ status: number; body: any }>, ok = 200) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const version = await revision(stream);
  for (const malformed of ['abc', '"1.5"', 'W/"x"']) {
    const response = await send(malformed);
    expect(response.status, `${malformed}: ${JSON.stringify(response.body)}`).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'If-Match' }] });
  }
  for (const stale of [version + 1, ...(version > 0 ? [version - 1] : [])]) {
    const response = await send(`"${stale}"`);
    expect(response.status, `"${stale}" (current ${version}): ${JSON.stringify(response.body)}`).toBe(412);
    expect(response.body.code).toBe('VERSION_CONFLICT');
  }
  expect(await revision(stream)).toBe(version);
  const current = await send(`"${version}"`);
  expect(current.status, JSON.stringify(current.body)).toBe(ok);
  expect(await revision(stream)).toBeGreaterThan(version);
  return current;
}

const refundOf = async (token: string, orderId: string, body: unknown) => {
  const created = await world.api('POST', `/api/v1/orders/${orderId}/refunds`, { token, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.refundId as string;
};

describe('If-Match on order and refund transitions', () => {
  it('POST /orders/{id}/cancel', async () => {
    const sku = await newSku(world);
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku]);
    const orderId = placed.orders[0]!.id as string;
    const cancelled = await honours(`order-${orderId}`, (ifMatch) => world.api('POST', `/api/v1/orders/${orderId}/cancel`, { token: buyer.token, headers: { 'If-Match': ifMatch } }));
    expect(cancelled.body.status).toBe('cancelled');
  });

  it('POST /orders/{id}/confirm-receipt', async () => {
    const { orderId, buyer } = await paidOrder(world);
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    await carrierOf(world).report(shipmentId, 'delivered');
    await drain(world);
    const completed = await honours(`order-${orderId}`, (ifMatch) => world.api('POST', `/api/v1/orders/${orderId}/confirm-receipt`, { token: buyer.token, headers: { 'If-Match': ifMatch } }));
    expect(completed.body.status).toBe('completed');
  });

  it('POST /admin/refunds/{id}/approve and /reject', async () => {
    for (const decision of ['approve', 'reject'] as const) {
      const { orderId, buyer, view } = await paidOrder(world, { quantity: 2 });
      const refundId = await refundOf(buyer.token, orderId, { type: 'refund_only', items: [{ orderItemId: view.items[0].id, quantity: 1 }], reason: 'changed my mind' });
      await honours(`refund-${refundId}`, (ifMatch) => world.api('POST', `/api/v1/admin/refunds/${refundId}/${decision}`, { token: world.adminToken, headers: { 'If-Match': ifMatch } }));
    }
  });

  it('POST /refunds/{id}/return-shipment and /admin/refunds/{id}/receive-return', async () => {
    const { orderId, buyer, view } = await paidOrder(world);
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    await carrierOf(world).report(shipmentId, 'delivered');
    await drain(world);
    const refundId = await refundOf(buyer.token, orderId, { type: 'return_and_refund', items: [{ orderItemId: view.items[0].id, quantity: 1 }], reason: 'too small' });
    expect((await world.api('POST', `/api/v1/admin/refunds/${refundId}/approve`, { token: world.adminToken })).status).toBe(200);
    await honours(`refund-${refundId}`, (ifMatch) =>
      world.api('POST', `/api/v1/refunds/${refundId}/return-shipment`, { token: buyer.token, body: { carrier: 'SF', trackingNumber: 'R1' }, headers: { 'If-Match': ifMatch } }),
    );
    await honours(`refund-${refundId}`, (ifMatch) => world.api('POST', `/api/v1/admin/refunds/${refundId}/receive-return`, { token: world.adminToken, headers: { 'If-Match': ifMatch } }));
  });
});
