import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cny, settled } from './catalog-support.js';
import { address, line, newBuyer, newSku, orderWorld, stockOf, type OrderWorld } from './orders-support.js';
import { inventoryStream } from '../../src/domain/inventory/inventory.js';
import { admit, gateKey, GATE_QUIET_MS, type GateSample } from '../../src/commands/flash-sales/gate.js';
import { reserveAll } from '../../src/commands/inventory/reservations.js';
import { expireUnpaidOrders } from '../../src/commands/orders/expire-unpaid-orders.js';
import { rebuildGates, repairGates } from '../../src/commands/flash-sales/flash-sales.js';

/** Flash sales: the gate in front of a hot SKU (docs/design.md §5). */

let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world.runtime.close());

async function flashSale(body: Record<string, unknown>) {
  const created = await world.api('POST', '/api/v1/admin/flash-sales', { token: world.adminToken, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

const sale = async (id: string) => (await world.api('GET', `/api/v1/admin/flash-sales/${id}`, { token: world.adminToken })).body;

const buy = (buyer: { token: string }, sku: { skuId: string; price: number }, price = sku.price, headers: Record<string, string> = {}) =>
  world.api('POST', '/api/v1/orders', { token: buyer.token, body: { items: [line(sku, 1, price)], shippingAddress: address }, headers });

async function inventoryReservations(skuId: string) {
  return (await world.runtime.deps.store.readStream(inventoryStream(skuId))).filter((event) => event.type === 'StockReserved').length;
}

describe('creating flash sales', () => {
  it('is admin only, validates the SKU, the quantity against available stock, the window; one running sale per SKU', async () => {
    const sku = await newSku(world, { stock: 20, price: 5000 });
    const body = { skuId: sku.skuId, quantity: 10, price: cny(990) };
    expect((await world.api('POST', '/api/v1/admin/flash-sales', { token: world.customerToken, body })).status).toBe(403);
    expect((await world.api('POST', '/api/v1/admin/flash-sales', { body })).status).toBe(401);

    const tooMany = await world.api('POST', '/api/v1/admin/flash-sales', { token: world.adminToken, body: { ...body, quantity: 21 } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors).toEqual([{ path: 'quantity', message: `only 20 units of SKU ${sku.skuId} are available` }]);
    const unknown = await world.api('POST', '/api/v1/admin/flash-sales', { token: world.adminToken, body: { ...body, skuId: 'no-such-sku' } });
    expect(unknown.status).toBe(400);
    const backwards = await world.api('POST', '/api/v1/admin/flash-sales', {
      token: world.adminToken,
      body: { ...body, startsAt: '2030-01-02T00:00:00Z', endsAt: '2030-01-01T00:00:00Z' },
    });
    expect(backwards.status).toBe(400);
    expect((await world.api('POST', '/api/v1/admin/flash-sales', { token: world.adminToken, body: { ...body, quantity: 0 } })).status).toBe(400);

    const id = await flashSale(body);
    const overlapping = await world.api('POST', '/api/v1/admin/flash-sales', { token: world.adminToken, body: { ...body, quantity: 5 } });
    expect(overlapping.status).toBe(409);
    expect(overlapping.body.code).toBe('FLASH_SALE_CONFLICT');

    expect(await sale(id)).toMatchObject({ id, skuId: sku.skuId, quantity: 10, price: cny(990), status: 'running', admitted: 0, remaining: 10, held: 0, endsAt: null });
    expect((await world.api('GET', '/api/v1/admin/flash-sales/01ARZ3NDEKTSV4RRFFQ69G5FAV', { token: world.adminToken })).status).toBe(404);
    expect((await world.api('GET', '/api/v1/admin/flash-sales/nope', { token: world.adminToken })).status).toBe(404);

    // ending it frees the SKU for the next sale
    const ended = await world.api('POST', `/api/v1/admin/flash-sales/${id}/end`, { token: world.adminToken });
    expect(ended.status).toBe(200);
    expect(ended.body.status).toBe('ended');
    expect((await world.api('POST', `/api/v1/admin/flash-sales/${id}/end`, { token: world.adminToken })).body.status).toBe('ended');
    await flashSale({ ...body, quantity: 5 });
  });
});

describe('the gate', () => {
  it('200 concurrent buyers for 50 units: exactly 50 orders, available 0, every loser OUT_OF_STOCK; later losers never reach the store', async () => {
    const sku = await newSku(world, { stock: 50, price: 2000 });
    const id = await flashSale({ skuId: sku.skuId, quantity: 50 });
    const buyers = await Promise.all(Array.from({ length: 200 }, () => newBuyer(world)));
    const responses = await Promise.all(buyers.map((buyer) => buy(buyer, sku)));
    const won = responses.filter((response) => response.status === 201);
    const lost = responses.filter((response) => response.status !== 201);
    expect(won).toHaveLength(50);
    expect(lost).toHaveLength(150);
    for (const response of lost) expect([response.status, response.body.code]).toEqual([409, 'OUT_OF_STOCK']);
    expect(await stockOf(world, sku.skuId)).toEqual({ onHand: 50, reserved: 50, available: 0 });
    // the inventory stream saw only the winners
    expect(await inventoryReservations(sku.skuId)).toBe(50);
    expect(await sale(id)).toMatchObject({ admitted: 50, remaining: 0, held: 50, status: 'running' });

    // a refused buyer costs one KeyValue call: no read or write of the event store
    const store = world.runtime.deps.store;
    const reads = vi.spyOn(store, 'readStream');
    const appends = vi.spyOn(store, 'append');
    try {
      const late = await Promise.all(buyers.slice(0, 20).map((buyer) => buy(buyer, sku)));
      for (const response of late) expect(response.body.code).toBe('OUT_OF_STOCK');
      expect(reads).not.toHaveBeenCalled();
      expect(appends).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      appends.mockRestore();
    }
  });

  it('gate key lost mid-sale (a Redis restart): rebuilt from the events, still never oversold', async () => {
    const sku = await newSku(world, { stock: 30, price: 3000 });
    const id = await flashSale({ skuId: sku.skuId, quantity: 30 });
    const buyers = await Promise.all(Array.from({ length: 120 }, () => newBuyer(world)));
    const first = await Promise.all(buyers.slice(0, 10).map((buyer) => buy(buyer, sku)));
    expect(first.every((response) => response.status === 201)).toBe(true);

    expect(await world.runtime.deps.kv.del(gateKey(id))).toBe(true);
    expect(await sale(id)).toMatchObject({ admitted: 10, remaining: 20, held: 10 }); // GET rebuilds it too
    expect(await world.runtime.deps.kv.del(gateKey(id))).toBe(true);

    // lost again while buyers are in flight
    const rush = buyers.slice(10).map((buyer, index) => (index === 30 ? world.runtime.deps.kv.del(gateKey(id)).then(() => buy(buyer, sku)) : buy(buyer, sku)));
    const responses = await Promise.all(rush);
    const won = responses.filter((response) => response.status === 201).length;
    expect(won).toBe(20);
    for (const response of responses.filter((r) => r.status !== 201)) expect(response.body.code).toBe('OUT_OF_STOCK');
    expect(await stockOf(world, sku.skuId)).toEqual({ onHand: 30, reserved: 30, available: 0 });
    expect(await inventoryReservations(sku.skuId)).toBe(30);
    expect(await sale(id)).toMatchObject({ held: 30, remaining: 0 });

    // start-up rebuild: only missing counters are written, from the events
    await world.runtime.deps.kv.del(gateKey(id));
    expect(await rebuildGates(world.runtime.deps)).toBeGreaterThanOrEqual(1);
    expect(await world.runtime.deps.kv.get(gateKey(id))).toBe('0');
  });

  it('an admitted buyer whose order fails gives the token back', async () => {
    const sku = await newSku(world, { stock: 5, price: 4000 });
    const id = await flashSale({ skuId: sku.skuId, quantity: 2, price: cny(1500) });
    const buyer = await newBuyer(world);
    const wrongPrice = await buy(buyer, sku, 4000); // the flash price applies now
    expect(wrongPrice.status).toBe(409);
    expect(wrongPrice.body).toMatchObject({ code: 'PRICE_CHANGED', currentUnitPrice: cny(1500) });
    expect(await sale(id)).toMatchObject({ admitted: 0, remaining: 2 });

    const two = await world.api('POST', '/api/v1/orders', { token: buyer.token, body: { items: [line(sku, 3, 1500)], shippingAddress: address } });
    expect([two.status, two.body.code]).toEqual([409, 'OUT_OF_STOCK']); // 3 units > 2 tokens
    expect(await sale(id)).toMatchObject({ admitted: 0, remaining: 2 });

    // an Idempotency-Key retry answers the first order and takes no second token
    const key = { 'Idempotency-Key': `fs-${Date.now()}` };
    const placed = await buy(buyer, sku, 1500, key);
    expect(placed.status).toBe(201);
    expect(await sale(id)).toMatchObject({ admitted: 1, remaining: 1 });
    await world.runtime.deps.kv.del(`idem:${buyer.id}:POST:/api/v1/orders:${key['Idempotency-Key']}`); // past the HTTP replay: placeOrder itself
    const again = await buy(buyer, sku, 1500, key);
    expect(again.status).toBe(201);
    expect(again.body.payOrderId).toBe(placed.body.payOrderId);
    expect(await sale(id)).toMatchObject({ admitted: 1, remaining: 1, held: 1 });
  });

  it("a cancelled order's units go back to the gate once: the sale sells them again", async () => {
    const sku = await newSku(world, { stock: 5, price: 4000 });
    const id = await flashSale({ skuId: sku.skuId, quantity: 2, price: cny(1500) });
    const [a, b, c, d] = await Promise.all([newBuyer(world), newBuyer(world), newBuyer(world), newBuyer(world)]);
    const first = await buy(a, sku, 1500);
    expect(first.status).toBe(201);
    expect((await buy(b, sku, 1500)).status).toBe(201);
    expect((await buy(c, sku, 1500)).body.code).toBe('OUT_OF_STOCK');
    expect(await sale(id)).toMatchObject({ remaining: 0 });

    const orderId = first.body.orders[0].id as string;
    expect((await world.api('POST', `/api/v1/orders/${orderId}/cancel`, { token: a.token })).status).toBe(200);
    expect(await sale(id)).toMatchObject({ remaining: 1 });
    expect((await world.api('POST', `/api/v1/orders/${orderId}/cancel`, { token: a.token })).status).toBeGreaterThanOrEqual(200);
    expect(await sale(id)).toMatchObject({ remaining: 1 }); // a second cancel gives nothing back again

    expect((await buy(c, sku, 1500)).status).toBe(201);
    expect((await buy(d, sku, 1500)).body.code).toBe('OUT_OF_STOCK');
    expect(await stockOf(world, sku.skuId)).toMatchObject({ available: 3 });
    expect(await sale(id)).toMatchObject({ remaining: 0, held: 2 });
  });

  it('units of a checkout that crashed after reserving, before its pay order, go back to the gate once at expiry', async () => {
    const sku = await newSku(world, { stock: 5, price: 4000 });
    const id = await flashSale({ skuId: sku.skuId, quantity: 3, price: cny(1500) });
    const deps = world.runtime.deps;
    const at = new Date().toISOString();
    // what checkout does up to the crash: through the gate, then the reservation naming the sale
    const admission = await admit(deps, [{ skuId: sku.skuId, quantity: 2 }], at);
    expect(admission?.taken.map(({ sale: taken, count }) => [taken.flashSaleId, count])).toEqual([[id, 2]]);
    await reserveAll(deps, [{ skuId: sku.skuId, orderId: 'crashed-flash-order', quantity: 2, flashSaleId: id }], { payOrderId: 'crashed-flash-pay', expiresAt: new Date(Date.now() + 60_000).toISOString(), at }, {});
    expect(await sale(id)).toMatchObject({ remaining: 1, held: 2 });

    await settled(world);
    const later = new Date(Date.now() + 120_000);
    expect(await expireUnpaidOrders(deps, { now: later })).toMatchObject({ released: 1 });
    expect(await sale(id)).toMatchObject({ remaining: 3, held: 0 });
    await settled(world);
    await expireUnpaidOrders(deps, { now: later });
    expect(await sale(id)).toMatchObject({ remaining: 3 }); // given back once
    const buyers = await Promise.all([newBuyer(world), newBuyer(world), newBuyer(world), newBuyer(world)]);
    const outcomes = await Promise.all(buyers.map((buyer) => buy(buyer, sku, 1500)));
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([201, 201, 201, 409]);
  });

  it('tokens of a checkout that crashed before reserving come back once the gate has been quiet for a minute', async () => {
    const sku = await newSku(world, { stock: 5, price: 4000 });
    const id = await flashSale({ skuId: sku.skuId, quantity: 3, price: cny(1500) });
    const deps = world.runtime.deps;
    // through the gate, then a crash: no reservation will ever release these two units
    await admit(deps, [{ skuId: sku.skuId, quantity: 2 }], new Date().toISOString());
    expect(await sale(id)).toMatchObject({ remaining: 1, held: 0 });
    await settled(world);
    const samples = new Map<string, GateSample>();
    const t0 = Date.now();
    expect(await repairGates(deps, samples, t0)).toBe(0); // a deficit of 2: maybe a checkout in flight
    expect(await repairGates(deps, samples, t0 + GATE_QUIET_MS / 2)).toBe(0);
    // an admission in between: not quiet, the minute starts again
    const buyer = await newBuyer(world);
    expect((await buy(buyer, sku, 1500)).status).toBe(201);
    expect(await repairGates(deps, samples, t0 + GATE_QUIET_MS + 1)).toBe(0);
    expect(await sale(id)).toMatchObject({ remaining: 0, held: 1 });
    expect(await repairGates(deps, samples, t0 + 2 * GATE_QUIET_MS + 2)).toBe(2);
    expect(await sale(id)).toMatchObject({ remaining: 2, held: 1 });
    expect(await repairGates(deps, samples, t0 + 4 * GATE_QUIET_MS)).toBe(0); // once
    expect(await repairGates(deps, samples, t0 + 6 * GATE_QUIET_MS)).toBe(0);
    expect(await sale(id)).toMatchObject({ remaining: 2 });
  });

  it('applies the flash price in its window, and the normal price once it has expired', async () => {
    const deps = world.runtime.deps;
    const sku = await newSku(world, { stock: 10, price: 8800 });
    const now = Date.now();
    const id = await flashSale({ skuId: sku.skuId, quantity: 3, price: cny(1000), endsAt: new Date(now + 60_000).toISOString() });
    const buyer = await newBuyer(world);

    const placed = await buy(buyer, sku, 1000);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.payable).toEqual(cny(1000));
    await settled(world, placed.body.position);
    const order = await world.api('GET', `/api/v1/orders/${placed.body.orders[0].id}`, { token: buyer.token });
    expect(order.body.items[0].unitPrice).toEqual(cny(1000));
    const preview = await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { items: [{ skuId: sku.skuId, quantity: 1 }] } });
    expect(preview.body.payable).toEqual(cny(1000));

    const clock = deps.clock;
    deps.clock = { now: () => new Date(Date.now() + 120_000) };
    try {
      const flashPrice = await buy(buyer, sku, 1000);
      expect(flashPrice.body).toMatchObject({ code: 'PRICE_CHANGED', currentUnitPrice: cny(8800) });
      // no gate after the window: more buyers than the sale's quantity get the normal price
      for (let n = 0; n < 4; n++) expect((await buy(await newBuyer(world), sku, 8800)).status).toBe(201);
      expect(await sale(id)).toMatchObject({ status: 'ended', held: 1, remaining: 2, admitted: 1 });
    } finally {
      deps.clock = clock;
    }
  });

  it('a sale that has not started yet does not gate nor change the price', async () => {
    const sku = await newSku(world, { stock: 5, price: 7000 });
    const id = await flashSale({ skuId: sku.skuId, quantity: 1, price: cny(100), startsAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await buy(await newBuyer(world), sku, 7000)).status).toBe(201);
    expect((await buy(await newBuyer(world), sku, 7000)).status).toBe(201);
    expect(await sale(id)).toMatchObject({ status: 'scheduled', remaining: 1, held: 0 });
  });
});
