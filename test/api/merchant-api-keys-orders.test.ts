import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorld, type OrderWorld } from './orders-support.js';
import { card, checkout, drain, newBuyer, newSku, pay } from './payments-support.js';
import { registerUser } from './security-support.js';

/** A merchant's API key on its order routes: list, read, ship (and tracking edits); its shop only. */
let world: OrderWorld;
let keyA: string;
let keyB: string;

const withKey = (key: string) => (method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
  world.api(method, path, { ...options, headers: { ...options.headers, Authorization: `ApiKey ${key}` } });

async function issueKey(token: string) {
  const created = await world.api('POST', '/api/v1/admin/api-keys', { token, body: { name: 'ERP orders' } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; key: string };
}

async function paidOrderOf(merchantToken: string) {
  const sku = await newSku(world, { price: 4_000, stock: 5, merchantToken });
  const buyer = await newBuyer(world);
  const placed = await checkout(world, buyer, [sku]);
  expect((await pay(world, buyer, placed.payOrderId, card())).status).toBe(201);
  await drain(world);
  return { buyer, orderId: placed.orders[0]!.id };
}

beforeAll(async () => {
  world = await orderWorld();
  // A key acts only while its owner holds the merchant role: the owners exist as users.
  await registerUser(world, world.merchantA.id, ['merchant']);
  await registerUser(world, world.merchantB.id, ['merchant']);
  keyA = (await issueKey(world.merchantA.token)).key;
  keyB = (await issueKey(world.merchantB.token)).key;
});
afterAll(() => world.runtime.close());

describe('merchant API keys on the order routes', () => {
  it('list and read the shop’s orders, and nothing of another shop', async () => {
    const mine = await paidOrderOf(world.merchantA.token);
    const theirs = await paidOrderOf(world.merchantB.token);
    const erp = withKey(keyA);

    const list = await erp('GET', '/api/v1/merchant/orders?limit=100');
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    const listed = list.body.items.map((order: { id: string }) => order.id);
    expect(listed).toContain(mine.orderId);
    expect(listed).not.toContain(theirs.orderId);
    expect(list.body.items.every((order: { merchantId: string }) => order.merchantId === world.merchantA.id)).toBe(true);
    expect((await erp('GET', '/api/v1/merchant/orders?status=paid&limit=1')).body.items).toHaveLength(1);

    const read = await erp('GET', `/api/v1/orders/${mine.orderId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: mine.orderId, merchantId: world.merchantA.id, status: 'paid' });
    expect(read.headers.get('ETag')).toBeTruthy();
    const other = await erp('GET', `/api/v1/orders/${theirs.orderId}`);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('NOT_FOUND');
    expect((await withKey(keyB)('GET', `/api/v1/orders/${theirs.orderId}`)).status).toBe(200);
  });

  it('ships the shop’s order and edits its tracking number; another shop’s order is 404 and stays unshipped', async () => {
    const mine = await paidOrderOf(world.merchantA.token);
    const theirs = await paidOrderOf(world.merchantB.token);
    const erp = withKey(keyA);

    const refused = await erp('POST', `/api/v1/admin/orders/${theirs.orderId}/shipments`, { body: { carrier: 'SF Express', trackingNumber: 'SF100' } });
    expect(refused.status).toBe(404);
    await drain(world);
    const untouched = await world.api('GET', `/api/v1/orders/${theirs.orderId}`, { token: theirs.buyer.token });
    expect(untouched.body).toMatchObject({ status: 'paid', fulfillmentStatus: 'unfulfilled', shipments: [] });

    const shipped = await erp('POST', `/api/v1/admin/orders/${mine.orderId}/shipments`, { body: { carrier: 'SF Express', trackingNumber: 'SF200' } });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(201);
    const shipmentId = shipped.body.shipmentId as string;
    const shipment = await erp('GET', `/api/v1/admin/orders/${mine.orderId}/shipments/${shipmentId}`);
    expect(shipment.status).toBe(200);
    const changed = await erp('PATCH', `/api/v1/admin/orders/${mine.orderId}/shipments/${shipmentId}`, { body: { trackingNumber: 'SF201' }, headers: { 'If-Match': shipment.headers.get('ETag')! } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);

    const view = await erp('GET', `/api/v1/orders/${mine.orderId}`, { headers: { 'X-Min-Position': changed.body.position } });
    expect(view.body).toMatchObject({ status: 'shipped', fulfillmentStatus: 'shipped', shipments: [{ id: shipmentId, carrier: 'SF Express', trackingNumber: 'SF201' }] });
    // The key acts as its merchant: the timeline names the merchant.
    expect(view.body.timeline.find((entry: { type: string }) => entry.type === 'OrderShipped')?.actor).toEqual({ id: world.merchantA.id, role: 'merchant' });
    expect((await withKey(keyB)('GET', `/api/v1/admin/orders/${mine.orderId}/shipments/${shipmentId}`)).status).toBe(404);
  });

  it('stays off the routes that are not the merchant’s order handling, and stops when revoked', async () => {
    const mine = await paidOrderOf(world.merchantA.token);
    const erp = withKey(keyA);
    for (const [method, path, body] of [
      ['GET', '/api/v1/orders', undefined],
      ['POST', `/api/v1/orders/${mine.orderId}/cancel`, undefined],
      ['POST', `/api/v1/orders/${mine.orderId}/refunds`, { type: 'refund_only', items: [], reason: 'x' }],
      ['POST', `/api/v1/admin/orders/${mine.orderId}/refunds`, { type: 'refund_only', items: [], reason: 'x' }],
      ['GET', '/api/v1/admin/refunds', undefined],
      ['POST', '/api/v1/admin/api-keys', { name: 'another' }],
    ] as const) {
      const response = await erp(method, path, body === undefined ? {} : { body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.code).toBe('FORBIDDEN');
    }

    const spare = await issueKey(world.merchantA.token);
    expect((await withKey(spare.key)('GET', '/api/v1/merchant/orders')).status).toBe(200);
    expect((await world.api('DELETE', `/api/v1/admin/api-keys/${spare.id}`, { token: world.merchantA.token })).status).toBe(204);
    const revoked = await withKey(spare.key)('GET', '/api/v1/merchant/orders');
    expect(revoked.status).toBe(401);
    expect((await withKey(spare.key)('POST', `/api/v1/admin/orders/${mine.orderId}/shipments`, { body: { carrier: 'SF Express', trackingNumber: 'SF300' } })).status).toBe(401);
  });

  it('the OpenAPI document says which order routes take a key', async () => {
    const doc = (await world.api('GET', '/openapi.json')).body;
    const schemes = (path: string, method: string) => (doc.paths[path][method].security as Array<Record<string, unknown>>).flatMap((entry) => Object.keys(entry));
    expect(schemes('/api/v1/merchant/orders', 'get')).toEqual(['bearerAuth', 'apiKeyAuth']);
    expect(schemes('/api/v1/orders/{id}', 'get')).toEqual(['bearerAuth', 'apiKeyAuth']);
    expect(schemes('/api/v1/admin/orders/{id}/shipments', 'post')).toEqual(['bearerAuth', 'apiKeyAuth']);
    expect(schemes('/api/v1/orders/{id}/cancel', 'post')).toEqual(['bearerAuth']);
  });
});
