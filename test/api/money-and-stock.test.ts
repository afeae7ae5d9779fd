import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newBuyer, next, orderWorld, stockOf, type OrderWorld } from './orders-support.js';
import { cny, settled } from './catalog-support.js';
import { userStream } from '../../src/domain/users/user.js';
import { balance, card, checkout, drain, newSku, pay, sandboxOf } from './payments-support.js';
import { carrierOf, expectReconciled, orderDetail, paidOrder, ship } from './fulfillment-support.js';
import { accountIds } from '../../src/domain/accounts/account-ids.js';
import { refundStream } from '../../src/domain/refunds/refund.js';
import { settleStuckRefunds } from '../../src/commands/refunds/sweeper.js';

/** Money and stock rules of refunds, fulfilment and the ledger. */
let world: OrderWorld;
beforeAll(async () => {
  // 1 % of the order earned in coins (100 coins = CNY 1.00), 5 % commission.
  world = await orderWorld({ BAZAAR_COINS_EARN_BPS: '100', BAZAAR_COMMISSION_BPS: '500' });
});
afterAll(() => world.runtime.close());

const callback = (body: string, signature?: string) =>
  world.runtime.app.request('/api/v1/fulfillment/callbacks/sandbox', { method: 'POST', headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Signature': signature } : {}) }, body });

const adminRefund = async (orderId: string, items: Array<{ orderItemId: string; quantity: number }>) => {
  const response = await world.api('POST', `/api/v1/admin/orders/${orderId}/refunds`, { token: world.adminToken, body: { type: 'refund_only', items, reason: 'goodwill' } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  await drain(world);
  return response.body.refundId as string;
};

/** A paid order of 2 × CNY 100.00, shipped, delivered and confirmed: 200 coins earned (1 % of 20 000 fen). */
async function completedOrder() {
  const paid = await paidOrder(world, { price: 10_000, quantity: 2 });
  const shipmentId = (await ship(world, paid.orderId)).body.shipmentId as string;
  expect((await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/delivered`, {})).status).toBe(200);
  await drain(world);
  const confirmed = await world.api('POST', `/api/v1/orders/${paid.orderId}/confirm-receipt`, { token: paid.buyer.token });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  expect(confirmed.body.coinsEarned).toBe(200);
  await drain(world);
  expect(await balance(world, accountIds.coins(paid.buyer.id))).toBe(200);
  return { ...paid, item: paid.view.items[0].id as string };
}

describe('coins earned on a completed order are taken back when it is refunded', () => {
  it('in proportion: half refunded takes half back, the rest takes the rest; reconciliation ok', async () => {
    const { orderId, buyer, item } = await completedOrder();
    await adminRefund(orderId, [{ orderItemId: item, quantity: 1 }]);
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(100);
    await adminRefund(orderId, []);
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(0);
    expect(await orderDetail(world, buyer.token, orderId)).toMatchObject({ status: 'closed', paymentStatus: 'refunded' });
    await expectReconciled(world);
  });

  it('a customer who spent them goes no lower than zero; the shortfall is a written-off transfer that reconciles', async () => {
    const { orderId, buyer, item } = await completedOrder();
    // 150 of the 200 coins pay part of another order.
    const other = await newSku(world, { price: 1_000, stock: 5 });
    const placed = await checkout(world, buyer, [other]);
    const spent = await pay(world, buyer, placed.payOrderId, { ...card(), coins: 150 });
    expect(spent.status, JSON.stringify(spent.body)).toBe(201);
    await drain(world);
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(50);
    const shortfallBefore = await balance(world, accountIds.coinsShortfall);

    const refundId = await adminRefund(orderId, [{ orderItemId: item, quantity: 2 }]);
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(0);
    expect(await balance(world, accountIds.coinsShortfall)).toBe(shortfallBefore - 150);
    const { state } = await world.runtime.deps.handlers.refund.load(refundStream(refundId));
    expect(state.status !== 'none' && state.earningsReversal?.coins).toEqual({ due: 200, taken: 50, shortfall: 150 });
    // The reactor runs the follow-ups again: nothing is taken twice.
    await drain(world);
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(0);
    expect(await balance(world, accountIds.coinsShortfall)).toBe(shortfallBefore - 150);
    const accounts = await world.api('GET', '/api/v1/admin/finance/accounts?kind=coins_shortfall', { token: world.adminToken, headers: { 'X-Min-Position': String(await world.runtime.deps.store.headPosition()) } });
    expect(accounts.status).toBe(200);
    expect(accounts.body.items).toEqual([expect.objectContaining({ accountId: 'platform.coins-shortfall', kind: 'coins_shortfall' })]);
    await expectReconciled(world);
  });

  it('refunds before completion take nothing back (the completion earned on what was left)', async () => {
    const paid = await paidOrder(world, { price: 10_000, quantity: 2 });
    await adminRefund(paid.orderId, [{ orderItemId: paid.view.items[0].id as string, quantity: 1 }]);
    const shipmentId = (await ship(world, paid.orderId)).body.shipmentId as string;
    await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/delivered`, {});
    await drain(world);
    const confirmed = await world.api('POST', `/api/v1/orders/${paid.orderId}/confirm-receipt`, { token: paid.buyer.token });
    expect(confirmed.body.coinsEarned).toBe(100);
    await drain(world);
    expect(await balance(world, accountIds.coins(paid.buyer.id))).toBe(100);
    await adminRefund(paid.orderId, []);
    expect(await balance(world, accountIds.coins(paid.buyer.id))).toBe(0);
    await expectReconciled(world);
  });
});

describe('commission is reversed on refunds', () => {
  it('in proportion to the refunded amount: the merchant ends where it started after a full refund; reconciliation ok', async () => {
    const merchant = accountIds.merchantPayable(world.merchantA.id);
    const revenue = accountIds.platformRevenue;
    const merchantBefore = await balance(world, merchant);
    const paid = await paidOrder(world, { price: 10_000, quantity: 2 });
    // 20 000 captured, 5 % (1 000) commission to the platform.
    expect(await balance(world, merchant)).toBe(merchantBefore + 19_000);
    const revenueAfterCapture = await balance(world, revenue);
    await adminRefund(paid.orderId, [{ orderItemId: paid.view.items[0].id as string, quantity: 1 }]);
    expect(await balance(world, merchant)).toBe(merchantBefore + 19_000 - 10_000 + 500);
    expect(await balance(world, revenue)).toBe(revenueAfterCapture - 500);
    await adminRefund(paid.orderId, []);
    expect(await balance(world, merchant)).toBe(merchantBefore);
    expect(await balance(world, revenue)).toBe(revenueAfterCapture - 1_000);
    await expectReconciled(world);
  });

  it('with a shipping fee: the partial refund leaves the fee, the full refund returns it and the whole commission on it', async () => {
    const merchantId = `merchant-money-${next()}-${Date.now()}`;
    await world.runtime.deps.handlers.user.handle(userStream(merchantId), { type: 'RegisterUser', userId: merchantId, phone: null, email: `${merchantId}@example.com`, nickname: merchantId, passwordHash: 'x', roles: ['merchant'], at: new Date().toISOString() });
    const token = await world.runtime.deps.tokens.issueAccessToken({ userId: merchantId, roles: ['merchant'] }, new Date());
    const template = await world.api('POST', '/api/v1/merchant/shipping-templates', { token, body: { name: 'flat', kind: 'flat', rate: { first: cny(1_000) }, default: true } });
    expect(template.status, JSON.stringify(template.body)).toBe(201);
    await settled(world, template.body.position);
    const sku = await newSku(world, { price: 10_000, stock: 5, merchantToken: token });
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku], 2);
    expect(placed.payable).toEqual(cny(21_000));
    expect((await pay(world, buyer, placed.payOrderId, card())).status).toBe(201);
    await drain(world);
    const merchant = accountIds.merchantPayable(merchantId);
    // 21 000 (goods and shipping) less 5 % commission (1 050).
    expect(await balance(world, merchant)).toBe(19_950);
    const orderId = placed.orders[0]!.id;
    const item = (await orderDetail(world, buyer.token, orderId)).items[0].id as string;
    await adminRefund(orderId, [{ orderItemId: item, quantity: 1 }]);
    // 10 000 back, and its share of the commission: floor(1 050 × 10 000 / 21 000) = 500.
    expect(await balance(world, merchant)).toBe(19_950 - 10_000 + 500);
    const rest = await world.api('POST', `/api/v1/admin/orders/${orderId}/refunds`, { token: world.adminToken, body: { type: 'refund_only', items: [], reason: 'goodwill' } });
    expect(rest.body.amount).toEqual(cny(11_000));
    await drain(world);
    expect(await balance(world, merchant)).toBe(0);
    await expectReconciled(world);
  });
});

describe('a failed delivery is a parcel on its way back', () => {
  it('the refund stays; the goods return to stock when the carrier reports the parcel returned, exactly once', async () => {
    const { orderId, buyer, sku } = await paidOrder(world, { price: 5_000, quantity: 3 });
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    const afterPayment = await stockOf(world, sku.skuId);
    expect(afterPayment.onHand).toBe(17);

    // Returned before it failed contradicts the shipment: ignored, nothing goes back to stock.
    const early = JSON.stringify({ shipmentId, status: 'returned' });
    expect(await (await callback(early, carrierOf(world).sign(early))).json()).toMatchObject({ status: 'in_transit' });
    expect((await stockOf(world, sku.skuId)).onHand).toBe(17);

    expect((await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/failed`, {})).status).toBe(200);
    await drain(world);
    const failed = await orderDetail(world, buyer.token, orderId);
    expect(failed).toMatchObject({ status: 'closed', paymentStatus: 'refunded', refundStatus: 'refunded' });
    // The parcel is still on its way back: no stock yet.
    expect((await stockOf(world, sku.skuId)).onHand).toBe(17);

    // The carrier reports it back, through the sandbox route, twice, and once more as a signed callback.
    const returned = await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/returned`, {});
    expect(returned.status, JSON.stringify(returned.body)).toBe(200);
    expect(returned.body).toEqual({ shipmentId, reported: 'returned' });
    expect((await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/returned`, {})).status).toBe(200);
    const again = JSON.stringify({ shipmentId, status: 'returned' });
    expect(await (await callback(again, carrierOf(world).sign(again))).json()).toMatchObject({ status: 'returned' });
    await drain(world);
    expect((await stockOf(world, sku.skuId)).onHand).toBe(20);

    const shipment = await world.api('GET', `/api/v1/admin/orders/${orderId}/shipments/${shipmentId}`, { token: world.adminToken });
    expect(shipment.body).toMatchObject({ status: 'returned' });
    // The automatic refund stays as it was.
    const view = await orderDetail(world, buyer.token, orderId);
    expect(view.refunds).toEqual([expect.objectContaining({ status: 'refunded', amount: { amount: 15_000, currency: 'CNY' } })]);
    // The order view follows the parcel back: its shipment reads returned, and the timeline says so.
    expect(view.shipments).toEqual([expect.objectContaining({ id: shipmentId, status: 'returned' })]);
    expect(view.timeline.map((entry: { type: string }) => entry.type)).toContain('ShipmentReturned');
    await expectReconciled(world);
  });

  it('goods of a return filed while the parcel was in transit come back once: with the parcel, not again at the receipt', async () => {
    const { orderId, buyer, sku } = await paidOrder(world, { price: 3_000, quantity: 2 });
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    const requested = await world.api('POST', `/api/v1/orders/${orderId}/refunds`, { token: buyer.token, body: { type: 'return_and_refund', items: [], reason: 'changed my mind' } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const refundId = requested.body.refundId as string;
    expect((await world.api('POST', `/api/v1/admin/refunds/${refundId}/approve`, { token: world.adminToken, body: {} })).status).toBe(200);
    expect((await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/failed`, {})).status).toBe(200);
    await drain(world);
    const shippedBack = await world.api('POST', `/api/v1/refunds/${refundId}/return-shipment`, { token: buyer.token, body: { carrier: 'SF', trackingNumber: 'R-1' } });
    expect(shippedBack.status, JSON.stringify(shippedBack.body)).toBe(200);
    const received = await world.api('POST', `/api/v1/admin/refunds/${refundId}/receive-return`, { token: world.adminToken });
    expect(received.status, JSON.stringify(received.body)).toBe(200);
    await drain(world);
    expect((await stockOf(world, sku.skuId)).onHand).toBe(18);
    const back = await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/returned`, {});
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    await drain(world);
    expect((await stockOf(world, sku.skuId)).onHand).toBe(20);
    expect(await orderDetail(world, buyer.token, orderId)).toMatchObject({ status: 'closed', paymentStatus: 'refunded' });
    await expectReconciled(world);
  });

  it('a returned report for a shipment the sandbox never dispatched is 404; a bad signature is 401 and changes nothing', async () => {
    expect((await world.api('POST', '/api/v1/dev/sandbox/shipments/nope/returned', {})).status).toBe(404);
    const { orderId, sku } = await paidOrder(world, { quantity: 1 });
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/failed`, {});
    await drain(world);
    const before = (await stockOf(world, sku.skuId)).onHand;
    const forged = JSON.stringify({ shipmentId, status: 'returned' });
    expect((await callback(forged, 'f'.repeat(64))).status).toBe(401);
    await drain(world);
    expect((await stockOf(world, sku.skuId)).onHand).toBe(before);
  });
});

describe('a lost refund callback', () => {
  it('is re-queried at the provider by the sweeper once the refund is overdue; the late callback then changes nothing', async () => {
    const { orderId, buyer, paymentId } = await paidOrder(world, { price: 4_000, quantity: 1 });
    const sandbox = sandboxOf(world);
    sandbox.pause(); // the provider's refund callback is held back: lost, as far as Bazaar knows
    try {
      const response = await world.api('POST', `/api/v1/admin/orders/${orderId}/refunds`, { token: world.adminToken, body: { type: 'refund_only', items: [], reason: 'goodwill' } });
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      expect(response.body.status).toBe('refunding');
      const refundId = response.body.refundId as string;
      await drain(world);
      const status = async () => (await world.api('GET', `/api/v1/refunds/${refundId}`, { token: buyer.token })).body.status;
      expect(await status()).toBe('refunding');

      // Not overdue yet: the sweeper leaves it.
      expect(await settleStuckRefunds(world.runtime.deps)).toMatchObject({ checked: 0, completed: 0 });
      expect(await status()).toBe('refunding');

      const later = new Date(Date.now() + (world.runtime.deps.config.BAZAAR_PAYMENT_SETTLE_AFTER_SECONDS + 5) * 1000);
      expect(await settleStuckRefunds(world.runtime.deps, { now: later })).toMatchObject({ checked: 1, completed: 1 });
      await drain(world);
      expect(await status()).toBe('refunded');
      const { state } = await world.runtime.deps.handlers.refund.load(refundStream(refundId));
      const known = await sandbox.queryRefund(refundId);
      expect(state.status !== 'none' && state.providerRef).toBe(known?.providerRef);
      expect(await orderDetail(world, buyer.token, orderId)).toMatchObject({ status: 'closed', paymentStatus: 'refunded' });
      // A second sweep finds nothing to do.
      expect(await settleStuckRefunds(world.runtime.deps, { now: later })).toMatchObject({ checked: 0 });
    } finally {
      await sandbox.resume(); // the late callback arrives: a no-op
    }
    await drain(world);
    const settlement = await sandbox.settlement(new Date().toISOString().slice(0, 10));
    expect(settlement.filter((line) => line.paymentId === paymentId && line.kind === 'refund').map((line) => line.amount.amount)).toEqual([4_000]);
    await expectReconciled(world);
  });
});
