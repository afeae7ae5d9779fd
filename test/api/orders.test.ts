import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cny, settled } from './catalog-support.js';
import { address, line, newBuyer, newSku, next, orderWorld, stockOf, type OrderWorld } from './orders-support.js';
import { expireUnpaidOrders } from '../../src/commands/orders/expire-unpaid-orders.js';
import { placeOrder, type PlacedOrder } from '../../src/commands/orders/place-order.js';
import type { EventStore } from '../../src/ports/event-store.js';
import { orderStream } from '../../src/domain/orders/order.js';
import { velocityRule } from '../../src/commands/orders/anti-fraud.js';
import { inventoryCommand } from '../../src/commands/inventory/reservations.js';
import { productStream } from '../../src/domain/catalog/product.js';
import { parseOrderId, userShard } from '../../src/domain/orders/order-id.js';
import { inventoryStream } from '../../src/domain/inventory/inventory.js';
import { promotionStream } from '../../src/domain/promotions/promotion.js';

/** POST /api/v1/orders, the order views, cancel, expiry, promotions. */

let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world.runtime.close());

type Buyer = Awaited<ReturnType<typeof newBuyer>>;
const place = (buyer: Buyer, body: unknown, key?: string) =>
  world.api('POST', '/api/v1/orders', { token: buyer.token, body, headers: key ? { 'Idempotency-Key': key } : {} });
const get = (token: string, path: string, position?: string) => world.api('GET', `/api/v1${path}`, { token, headers: position ? { 'X-Min-Position': position } : {} });
const admin = (method: string, path: string, body?: unknown) => world.api(method, `/api/v1/admin${path}`, { token: world.adminToken, body });

async function promotion(body: Record<string, unknown>) {
  const code = `P${next()}X`;
  const created = await admin('POST', '/promotions', { code, ...body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return code;
}
const promotionState = async (code: string) => (await admin('GET', `/promotions/${code}`)).body;

describe('placing an order', () => {
  it('splits the checkout by merchant: one pay order, two orders, stock reserved, views built', async () => {
    const a = await newSku(world, { price: 9900, stock: 5 });
    const b = await newSku(world, { price: 5000, stock: 5, merchantToken: world.merchantB.token });
    const buyer = await newBuyer(world);
    const response = await place(buyer, { items: [line(a, 2), line(b, 1)], shippingAddress: address });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const body = response.body;
    expect(body.orders).toHaveLength(2);
    expect(body.payable).toEqual(cny(9900 * 2 + 5000));
    expect(body.orders.map((order: { total: { amount: number } }) => order.total.amount).sort((x: number, y: number) => x - y)).toEqual([5000, 19800]);
    expect(body.orders.every((order: { status: string }) => order.status === 'pending_payment')).toBe(true);
    expect(response.headers.get('X-Position')).toBe(body.position);
    const parsed = parseOrderId(body.orders[0].id)!;
    expect(parsed.shard).toBe(userShard(buyer.id));
    expect(parsed.nodeId).toBe(0);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(1790 * 1000);
    expect(await stockOf(world, a.skuId)).toEqual({ onHand: 5, reserved: 2, available: 3 });
    expect(await stockOf(world, b.skuId)).toEqual({ onHand: 5, reserved: 1, available: 4 });

    const ordersOfA = body.orders.find((order: { total: { amount: number } }) => order.total.amount === 19800);
    const detail = await get(buyer.token, `/orders/${ordersOfA.id}`, body.position);
    expect(detail.status).toBe(200);
    const { state: product } = await world.runtime.deps.handlers.product.load(productStream(a.productId));
    expect(detail.body).toMatchObject({
      id: ordersOfA.id,
      payOrderId: body.payOrderId,
      userId: buyer.id,
      merchantId: 'merchant-a',
      status: 'pending_payment',
      paymentStatus: 'unpaid',
      fulfillmentStatus: 'unfulfilled',
      refundStatus: 'none',
      subtotal: cny(19800),
      discount: cny(0),
      shipping: cny(0),
      total: cny(19800),
      shipments: [],
      refunds: [],
      items: [{ id: `${ordersOfA.id}-1`, skuId: a.skuId, title: '纯棉T恤', quantity: 2, unitPrice: cny(9900), snapshotId: product.status === 'none' ? '' : product.currentSnapshotId }],
    });
    expect(detail.body.timeline).toEqual([{ at: expect.any(String), type: 'OrderPlaced', actor: { id: buyer.id, role: 'customer' } }]);

    // the product page shows the reservation
    await settled(world);
    const page = await world.api('GET', `/api/v1/products/${a.productId}`);
    expect(page.body.skus[0].available).toBe(3);

    // list: newest first, status filter, another customer sees none of them and gets 404 on the detail
    const list = await get(buyer.token, '/orders?limit=1');
    expect(list.body.items).toHaveLength(1);
    const rest = await get(buyer.token, `/orders?limit=10&cursor=${list.body.nextCursor}`);
    expect([...list.body.items, ...rest.body.items].map((order: { id: string }) => order.id).sort()).toEqual(body.orders.map((order: { id: string }) => order.id).sort());
    expect((await get(buyer.token, '/orders?status=cancelled')).body.items).toEqual([]);
    const stranger = await newBuyer(world);
    expect((await get(stranger.token, `/orders/${ordersOfA.id}`)).status).toBe(404);
    expect((await get(stranger.token, '/orders')).body.items).toEqual([]);
    expect((await get(world.adminToken, `/orders/${ordersOfA.id}`)).status).toBe(200);
    expect((await get(world.adminToken, `/orders?userId=${buyer.id}`)).body.items).toHaveLength(2);
  });

  it('applies a promotion, allocating the discount across orders and items exactly', async () => {
    const a = await newSku(world, { price: 3333, stock: 5 });
    const b = await newSku(world, { price: 1001, stock: 5, merchantToken: world.merchantB.token });
    const code = await promotion({ kind: 'percent', value: 10, budget: cny(100_000) });
    const buyer = await newBuyer(world);
    const response = await place(buyer, { items: [line(a, 1), line(b, 2)], shippingAddress: address, promotionCode: code.toLowerCase() });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const subtotal = 3333 + 2002;
    const discount = Math.floor(subtotal / 10);
    expect(response.body.payable).toEqual(cny(subtotal - discount));
    const totals = response.body.orders.reduce((sum: number, order: { total: { amount: number } }) => sum + order.total.amount, 0);
    expect(totals).toBe(subtotal - discount);
    const state = await promotionState(code);
    expect(state).toMatchObject({ used: 1, spent: cny(discount), remainingBudget: cny(100_000 - discount) });
    for (const order of response.body.orders) {
      const detail = await get(buyer.token, `/orders/${order.id}`, response.body.position);
      const itemDiscounts = detail.body.items.reduce((sum: number, item: { discount: { amount: number } }) => sum + item.discount.amount, 0);
      expect(itemDiscounts).toBe(detail.body.discount.amount);
      expect(detail.body.subtotal.amount - detail.body.discount.amount).toBe(detail.body.total.amount);
    }
  });

  it('takes no stock at order time for a product that takes it at payment, but checks it', async () => {
    const sku = await newSku(world, { stock: 2, takeStockAt: 'payment' });
    const buyer = await newBuyer(world);
    expect((await place(buyer, { items: [line(sku, 2)], shippingAddress: address })).status).toBe(201);
    expect(await stockOf(world, sku.skuId)).toEqual({ onHand: 2, reserved: 0, available: 2 });
    const tooMany = await place(buyer, { items: [line(sku, 3)], shippingAddress: address });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.code).toBe('OUT_OF_STOCK');
  });
});

describe("a merchant's orders", () => {
  it("lists and shows a shop's own orders only; other shops and customers get 404 or 403", async () => {
    const a = await newSku(world, { price: 3000, stock: 5 });
    const b = await newSku(world, { price: 4000, stock: 5, merchantToken: world.merchantB.token });
    const buyer = await newBuyer(world);
    const placed = await place(buyer, { items: [line(a, 1), line(b, 1)], shippingAddress: address });
    expect(placed.status).toBe(201);
    const orderOf = (amount: number) => placed.body.orders.find((order: { total: { amount: number } }) => order.total.amount === amount).id as string;
    const [ofA, ofB] = [orderOf(3000), orderOf(4000)];
    await settled(world, placed.body.position);

    const listA = await get(world.merchantA.token, '/merchant/orders?limit=100');
    expect(listA.status).toBe(200);
    const idsA = listA.body.items.map((order: { id: string }) => order.id);
    expect(idsA).toContain(ofA);
    expect(idsA).not.toContain(ofB);
    expect(listA.body.items.every((order: { merchantId: string }) => order.merchantId === world.merchantA.id)).toBe(true);
    const pendingB = await get(world.merchantB.token, '/merchant/orders?status=pending_payment&limit=100');
    expect(pendingB.body.items.map((order: { id: string }) => order.id)).toContain(ofB);
    expect((await get(world.merchantB.token, '/merchant/orders?status=paid&limit=100')).body.items.map((order: { id: string }) => order.id)).not.toContain(ofB);

    expect((await get(world.merchantA.token, `/orders/${ofA}`)).body).toMatchObject({ id: ofA, merchantId: world.merchantA.id, userId: buyer.id });
    expect((await get(world.merchantA.token, `/orders/${ofB}`)).status).toBe(404);
    expect((await get(buyer.token, '/merchant/orders')).status).toBe(403);
    expect((await get(world.merchantA.token, '/merchant/orders?status=lost')).status).toBe(400);
  });
});

describe('refused orders leave nothing taken', () => {
  it.each([
    ['PRODUCT_UNAVAILABLE', 409],
    ['PRICE_CHANGED', 409],
    ['PROMOTION_INVALID', 409],
    ['FRAUD_SUSPECTED', 403],
    ['OUT_OF_STOCK', 409],
  ])('%s', async (code, status) => {
    const ok = await newSku(world, { price: 9900, stock: 3 });
    const other = await newSku(world, { price: 500, stock: 1, status: code === 'PRODUCT_UNAVAILABLE' ? 'draft' : 'listed' });
    const promo = await promotion({ kind: 'fixed', value: 100, ...(code === 'PROMOTION_INVALID' ? { minSpend: cny(1_000_000) } : {}) });
    const buyer = await newBuyer(world);
    const items =
      code === 'PRICE_CHANGED'
        ? [line(ok, 1), line(other, 1, 499)]
        : code === 'FRAUD_SUSPECTED'
          ? [line(ok, 999)]
          : code === 'OUT_OF_STOCK'
            ? [line(ok, 1), line(other, 2)]
            : [line(ok, 1), line(other, 1)];
    const response = await place(buyer, { items, shippingAddress: address, promotionCode: promo });
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(response.body.code).toBe(code);
    if (code === 'PRICE_CHANGED') expect(response.body).toMatchObject({ currentUnitPrice: cny(500), items: [{ skuId: other.skuId, expectedUnitPrice: cny(499), currentUnitPrice: cny(500) }] });
    if (code === 'OUT_OF_STOCK') expect(response.body).toMatchObject({ skuId: other.skuId, available: 1 });
    if (code === 'PROMOTION_INVALID') expect(response.body.reason).toBe('min_spend');
    expect(await stockOf(world, ok.skuId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect((await promotionState(promo)).used).toBe(0);
    await settled(world);
    expect((await get(buyer.token, '/orders')).body.items).toEqual([]);
  });

  it('refuses an exhausted promotion budget, an unknown code, an inactive account and a second line of the same SKU', async () => {
    const sku = await newSku(world, { price: 9900, stock: 3 });
    const promo = await promotion({ kind: 'percent', value: 10, budget: cny(500) });
    const buyer = await newBuyer(world);
    const over = await place(buyer, { items: [line(sku, 1)], shippingAddress: address, promotionCode: promo });
    expect(over.body).toMatchObject({ code: 'PROMOTION_INVALID', reason: 'budget' });
    expect((await place(buyer, { items: [line(sku, 1)], shippingAddress: address, promotionCode: 'NOPE' })).body.code).toBe('PROMOTION_INVALID');
    const noAccount = await world.api('POST', '/api/v1/orders', { token: world.customerToken, body: { items: [line(sku, 1)], shippingAddress: address } });
    expect(noAccount.status).toBe(403);
    const twice = await place(buyer, { items: [line(sku, 1), line(sku, 1)], shippingAddress: address });
    expect(twice.status).toBe(400);
    expect((await place(buyer, { items: [], shippingAddress: address })).status).toBe(400);
    expect(await stockOf(world, sku.skuId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
  });

  it('applies velocity rules per user (pluggable rule list)', async () => {
    const sku = await newSku(world, { stock: 10 });
    const buyer = await newBuyer(world);
    const rules = [velocityRule(world.runtime.deps, `test-${next()}`, (facts) => facts.userId, 2, 60_000)];
    const input = { userId: buyer.id, ip: '10.0.0.1', items: [line(sku, 1)], shippingAddress: address };
    await placeOrder(world.runtime.deps, input, {}, { fraudRules: rules });
    await placeOrder(world.runtime.deps, input, {}, { fraudRules: rules });
    await expect(placeOrder(world.runtime.deps, input, {}, { fraudRules: rules })).rejects.toMatchObject({ code: 'FRAUD_SUSPECTED' });
    expect(await stockOf(world, sku.skuId)).toMatchObject({ reserved: 2 });
  });
});

describe('the commit point: the pay order and its orders are appended together', () => {
  const checkout = async (store: (real: EventStore) => EventStore) => {
    const a = await newSku(world, { price: 9900, stock: 4 });
    const b = await newSku(world, { price: 5000, stock: 4, merchantToken: world.merchantB.token });
    const code = await promotion({ kind: 'fixed', value: 100 });
    const buyer = await newBuyer(world);
    const deps = { ...world.runtime.deps, store: store(world.runtime.deps.store) };
    const input = { userId: buyer.id, ip: '203.0.113.9', items: [line(a, 2), line(b, 1)], shippingAddress: address, promotionCode: code, idempotencyKey: `commit-${next()}` };
    return { a, b, code, buyer, outcome: await placeOrder(deps, input, {}).then((placed) => ({ placed }), (error: unknown) => ({ error })) };
  };

  it('in one transaction: a failed append leaves no pay order and no order, and gives back stock and promotion', async () => {
    const { a, b, code, outcome } = await checkout((real) => ({ ...real, appendAll: () => Promise.reject(new Error('disk I/O error')) }));
    expect(outcome).toEqual({ error: new Error('disk I/O error') });
    expect(await stockOf(world, a.skuId)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await stockOf(world, b.skuId)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect((await promotionState(code)).used).toBe(0);
  });

  it('on an engine without multi-stream transactions, a failure after the pay order keeps it, completes its orders and gives nothing back', async () => {
    const { a, b, code, outcome } = await checkout((real) => ({
      ...real,
      atomicAppends: false,
      appendAll: async ([first]) => {
        await real.append(first!.streamId, first!.events, first!.expected);
        throw new Error('connection reset after the first append');
      },
    }));
    expect(outcome).toHaveProperty('placed');
    const placed = (outcome as { placed: PlacedOrder }).placed;
    expect(placed.orders).toHaveLength(2);
    for (const order of placed.orders) {
      expect((await world.runtime.deps.store.readStream(orderStream(order.id))).map((event) => event.type)).toEqual(['OrderPlaced']);
    }
    expect(await stockOf(world, a.skuId)).toEqual({ onHand: 4, reserved: 2, available: 2 });
    expect(await stockOf(world, b.skuId)).toEqual({ onHand: 4, reserved: 1, available: 3 });
    expect((await promotionState(code)).used).toBe(1);
  });
});

describe('idempotency', () => {
  it('replays the same answer for the same key and places one order; another body with the key is 422', async () => {
    const sku = await newSku(world, { stock: 5 });
    const buyer = await newBuyer(world);
    const body = { items: [line(sku, 1)], shippingAddress: address };
    const first = await place(buyer, body, 'key-1');
    const second = await place(buyer, body, 'key-1');
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect((await place(buyer, { ...body, items: [line(sku, 2)] }, 'key-1')).status).toBe(422);
    expect(await stockOf(world, sku.skuId)).toMatchObject({ reserved: 1 });
    // the command itself is idempotent too (a retry after a crash, past the HTTP record)
    const again = await placeOrder(world.runtime.deps, { userId: buyer.id, ip: 'x', ...body, idempotencyKey: 'key-1' }, {});
    expect(again.payOrderId).toBe(first.body.payOrderId);
    expect(again.orders.map((order) => order.id)).toEqual(first.body.orders.map((order: { id: string }) => order.id));
    await expect(placeOrder(world.runtime.deps, { userId: buyer.id, ip: 'x', ...body, items: [line(sku, 3)], idempotencyKey: 'key-1' }, {})).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('20 concurrent requests with one key place one order', async () => {
    const sku = await newSku(world, { stock: 50 });
    const buyer = await newBuyer(world);
    const body = { items: [line(sku, 1)], shippingAddress: address };
    const answers = await Promise.all(Array.from({ length: 20 }, () => place(buyer, body, 'same-key')));
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(201));
    expect(new Set(answers.map((answer) => answer.body.payOrderId)).size).toBe(1);
    expect(await stockOf(world, sku.skuId)).toMatchObject({ reserved: 1 });
    // and 20 concurrent commands (no HTTP record in front): one pay order, the losers give their stock back
    const commands = await Promise.all(
      Array.from({ length: 20 }, () => placeOrder(world.runtime.deps, { userId: buyer.id, ip: 'x', ...body, idempotencyKey: 'direct-key' }, {})),
    );
    expect(new Set(commands.map((answer) => answer.orders[0]!.id)).size).toBe(1);
    expect(await stockOf(world, sku.skuId)).toMatchObject({ reserved: 2 });
    await settled(world);
    expect((await get(buyer.token, '/orders')).body.items).toHaveLength(2);
  });
});

describe('cancel and expiry', () => {
  it('cancelling gives back the stock and the promotion; only the owner or an admin may; once', async () => {
    const sku = await newSku(world, { stock: 4 });
    const code = await promotion({ kind: 'fixed', value: 300, budget: cny(1000), usageLimit: 5 });
    const buyer = await newBuyer(world);
    const placed = await place(buyer, { items: [line(sku, 2)], shippingAddress: address, promotionCode: code });
    expect(placed.status).toBe(201);
    const orderId = placed.body.orders[0].id;
    expect(await promotionState(code)).toMatchObject({ used: 1, remainingBudget: cny(700) });
    const stranger = await newBuyer(world);
    expect((await world.api('POST', `/api/v1/orders/${orderId}/cancel`, { token: stranger.token })).status).toBe(404);
    const cancelled = await world.api('POST', `/api/v1/orders/${orderId}/cancel`, { token: buyer.token });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: 'customer' });
    expect(await stockOf(world, sku.skuId)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await promotionState(code)).toMatchObject({ used: 0, remainingBudget: cny(1000) });
    expect((await world.api('POST', `/api/v1/orders/${orderId}/cancel`, { token: buyer.token })).status).toBe(200);
    const events = await world.runtime.deps.store.readStream(inventoryStream(sku.skuId));
    expect(events.filter((event) => event.type === 'ReservationReleased')).toHaveLength(1);
    const view = await get(buyer.token, `/orders/${orderId}`, cancelled.body.position);
    expect(view.body).toMatchObject({ status: 'cancelled', cancelReason: 'customer' });
    expect(view.body.timeline.map((entry: { type: string }) => entry.type)).toEqual(['OrderPlaced', 'OrderCancelled']);
    expect((await get(buyer.token, '/orders?status=cancelled')).body.items.map((order: { id: string }) => order.id)).toEqual([orderId]);
  });

  it('the sweeper cancels unpaid orders past expiry and gives stock and promotion back exactly once', async () => {
    const sku = await newSku(world, { stock: 3 });
    const code = await promotion({ kind: 'fixed', value: 100, budget: cny(10_000) });
    const buyer = await newBuyer(world);
    const placed = await place(buyer, { items: [line(sku, 3)], shippingAddress: address, promotionCode: code });
    expect(placed.status).toBe(201);
    await settled(world, placed.body.position);
    const deps = world.runtime.deps;
    // not yet due
    await expireUnpaidOrders(deps, { now: new Date(Date.parse(placed.body.expiresAt) - 1000) });
    expect(await stockOf(world, sku.skuId)).toMatchObject({ available: 0 });
    const later = new Date(Date.parse(placed.body.expiresAt) + 1000);
    const sweeps = await Promise.all([expireUnpaidOrders(deps, { now: later }), expireUnpaidOrders(deps, { now: later })]);
    expect(sweeps.reduce((sum, sweep) => sum + sweep.expired, 0)).toBeGreaterThanOrEqual(1);
    await settled(world);
    await expireUnpaidOrders(deps, { now: later });
    expect(await stockOf(world, sku.skuId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    expect(await promotionState(code)).toMatchObject({ used: 0, spent: cny(0) });
    const released = (await deps.store.readStream(inventoryStream(sku.skuId))).filter((event) => event.type === 'ReservationReleased');
    expect(released).toHaveLength(1);
    expect((await deps.store.readStream(promotionStream(code))).filter((event) => event.type === 'PromotionReturned')).toHaveLength(1);
    const view = await get(buyer.token, `/orders/${placed.body.orders[0].id}`);
    expect(view.body).toMatchObject({ status: 'cancelled', cancelReason: 'payment_timeout' });
    expect(view.body.timeline.at(-1)).toMatchObject({ type: 'OrderCancelled', actor: { id: 'system', role: 'system' } });
  });

  it('the sweeper releases reservations and promotion shares of a checkout that never wrote its order', async () => {
    const sku = await newSku(world, { stock: 2 });
    const code = await promotion({ kind: 'fixed', value: 100 });
    const deps = world.runtime.deps;
    const at = new Date().toISOString();
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    // a checkout that crashed after taking stock and promotion, before its pay order
    await inventoryCommand(deps, sku.skuId, { type: 'ReserveStock', orderId: 'crashed-order', payOrderId: 'crashed-pay', quantity: 2, expiresAt, at }, {});
    await deps.handlers.promotion.handle(promotionStream(code), {
      type: 'RedeemPromotion',
      redemptionId: 'crashed-pay',
      userId: 'u',
      subtotal: cny(9900),
      discount: cny(100),
      shares: { 'crashed-order': 100 },
      expiresAt,
      at,
    });
    await settled(world);
    expect(await stockOf(world, sku.skuId)).toMatchObject({ available: 0 });
    await expireUnpaidOrders(deps, { now: new Date(Date.now() + 120_000) });
    expect(await stockOf(world, sku.skuId)).toEqual({ onHand: 2, reserved: 0, available: 2 });
    expect(await promotionState(code)).toMatchObject({ used: 0 });
    await settled(world);
    await expireUnpaidOrders(deps, { now: new Date(Date.now() + 120_000) });
    expect((await deps.store.readStream(inventoryStream(sku.skuId))).filter((event) => event.type === 'ReservationReleased')).toHaveLength(1);
  });
});

describe('promotions admin', () => {
  it('creates (idempotently), reads usage and refuses bad input and non-admins', async () => {
    const body = { code: `ADM${next()}`, kind: 'percent', value: 15, usageLimit: 10, budget: cny(5000) };
    const created = await admin('POST', '/promotions', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: body.code, used: 0, remainingUses: 10, remainingBudget: cny(5000) });
    expect((await admin('POST', '/promotions', body)).status).toBe(201);
    expect((await admin('POST', '/promotions', { ...body, value: 20 })).body.code).toBe('PROMOTION_EXISTS');
    expect((await admin('POST', '/promotions', { ...body, code: 'X1', value: 200 })).status).toBe(400);
    expect((await admin('GET', '/promotions/unknown-code')).status).toBe(404);
    expect((await world.api('POST', '/api/v1/admin/promotions', { token: world.customerToken, body })).status).toBe(403);
  });

  it('previews a checkout without taking anything', async () => {
    const sku = await newSku(world, { price: 2000, stock: 1 });
    const code = await promotion({ kind: 'percent', value: 50 });
    const buyer = await newBuyer(world);
    const preview = await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { items: [{ skuId: sku.skuId, quantity: 1 }], promotionCode: code } });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({ subtotal: cny(2000), discount: cny(1000), payable: cny(1000) });
    expect(await stockOf(world, sku.skuId)).toMatchObject({ reserved: 0 });
    expect((await promotionState(code)).used).toBe(0);
  });
});
