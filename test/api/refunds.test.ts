import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorld, stockOf, type OrderWorld } from './orders-support.js';
import { balance, card, cny, drain, expectLedgerSound, giveCoins, sandboxOf, topUp } from './payments-support.js';
import { carrierOf, expectReconciled, orderDetail, paidOrder, ship } from './fulfillment-support.js';
import { settled } from './catalog-support.js';
import { accountIds } from '../../src/domain/accounts/account-ids.js';
import { refundStream } from '../../src/domain/refunds/refund.js';
import { orderStream } from '../../src/domain/orders/order.js';
import { inventoryStream } from '../../src/domain/inventory/inventory.js';
import { advanceRefund } from '../../src/commands/refunds/refunds.js';

/** Refund requests, decisions, returns; money back by tender; concurrency on the last unit; reconciliation. */
let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world.runtime.close());

const requestRefund = (token: string, orderId: string, body: unknown, key?: string) =>
  world.api('POST', `/api/v1/orders/${orderId}/refunds`, { token, body, headers: key ? { 'Idempotency-Key': key } : {} });
const decide = (refundId: string, decision: 'approve' | 'reject', body?: unknown) => world.api('POST', `/api/v1/admin/refunds/${refundId}/${decision}`, { token: world.adminToken, ...(body ? { body } : {}) });
const settledOnly = () => settled(world);
const itemOf = (view: { items: Array<{ id: string }> }) => view.items[0]!.id;

describe('refunds across mixed tenders', () => {
  it('card + coins + voucher: two partial refunds give each tender back in proportion, exactly, and close the order', async () => {
    const code = `V${Date.now()}R`;
    expect((await world.api('POST', '/api/v1/admin/vouchers', { token: world.adminToken, body: { code, amount: cny(500) } })).status).toBe(201);
    const { orderId, buyer, paymentId, view } = await paidOrder(world, {
      price: 10_000,
      quantity: 2,
      before: (buyer) => giveCoins(world, buyer.id, 1_000),
      payment: { ...card(), coins: 1_000, voucherCode: code },
    });
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(0);
    const item = itemOf(view);

    const first = await requestRefund(buyer.token, orderId, { type: 'refund_only', items: [{ orderItemId: item, quantity: 1 }], reason: 'changed my mind' }, `r1-${orderId}`);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ status: 'requested', amount: cny(10_000), items: [{ orderItemId: item, quantity: 1 }] });
    const replay = await requestRefund(buyer.token, orderId, { type: 'refund_only', items: [{ orderItemId: item, quantity: 1 }], reason: 'changed my mind' }, `r1-${orderId}`);
    expect(replay.body.refundId).toBe(first.body.refundId);
    expect((await orderDetail(world, buyer.token, orderId)).refundStatus).toBe('requested');

    const approved = await decide(first.body.refundId, 'approve', { note: 'ok' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    // The card share waits for the provider's signed refund callback.
    expect(approved.body.status).toBe('refunding');
    await drain(world);
    expect((await world.api('GET', `/api/v1/refunds/${first.body.refundId}`, { token: buyer.token })).body.status).toBe('refunded');
    const { state: refund } = await world.runtime.deps.handlers.refund.load(refundStream(first.body.refundId));
    // 10 000 of 20 000 paid by card 18 500, coins worth 1 000 (1 000 coins), voucher 500.
    expect(refund.status !== 'none' && refund.tenders).toEqual({ charged: 9_250, coins: 500, coinsValue: 500, voucherValue: 250 });
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(500);
    const settlement = await sandboxOf(world).settlement(new Date().toISOString().slice(0, 10));
    expect(settlement.filter((line) => line.paymentId === paymentId && line.kind === 'refund').map((line) => line.amount.amount)).toEqual([9_250]);
    expect(await orderDetail(world, buyer.token, orderId)).toMatchObject({ status: 'paid', paymentStatus: 'partially_refunded', refundStatus: 'partially_refunded' });

    // The rest: an admin-initiated refund of the whole order takes exactly what is left.
    const rest = await world.api('POST', `/api/v1/admin/orders/${orderId}/refunds`, { token: world.adminToken, body: { type: 'refund_only', items: [], reason: 'goodwill' } });
    expect(rest.status, JSON.stringify(rest.body)).toBe(201);
    expect(rest.body).toMatchObject({ status: 'refunding', amount: cny(10_000) });
    await drain(world);
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(1_000);
    const closed = await orderDetail(world, buyer.token, orderId);
    expect(closed).toMatchObject({ status: 'closed', paymentStatus: 'refunded', refundStatus: 'refunded' });
    expect(closed.refunds.map((entry: { status: string }) => entry.status)).toEqual(['refunded', 'refunded']);
    // The voucher paid only this order: reinstated.
    expect((await world.api('GET', `/api/v1/admin/vouchers/${code}`, { token: world.adminToken })).body.used).toBe(0);
    // Nothing is left to refund.
    const more = await requestRefund(buyer.token, orderId, { type: 'refund_only', items: [], reason: 'again' });
    expect(more.status).toBe(409);
    await expectLedgerSound(world);
    await expectReconciled(world);
  });

  it('wallet, return and refund: waits for the return shipment and its receipt, restocks, then refunds to the wallet', async () => {
    const { orderId, buyer, sku, view } = await paidOrder(world, { price: 3_000, quantity: 2, before: async (buyer) => void (await topUp(world, buyer.id, 6_000)), payment: { method: 'wallet' } });
    expect(await balance(world, accountIds.wallet(buyer.id))).toBe(0);
    const item = itemOf(view);
    // Goods never shipped cannot be returned.
    expect((await requestRefund(buyer.token, orderId, { type: 'return_and_refund', items: [{ orderItemId: item, quantity: 1 }], reason: 'x' })).status).toBe(409);
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    await carrierOf(world).report(shipmentId, 'delivered');
    await drain(world);
    const onHand = (await stockOf(world, sku.skuId)).onHand;

    const requested = await requestRefund(buyer.token, orderId, { type: 'return_and_refund', items: [{ orderItemId: item, quantity: 1 }], reason: 'too small' });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const refundId = requested.body.refundId as string;
    expect((await world.api('POST', `/api/v1/refunds/${refundId}/return-shipment`, { token: buyer.token, body: { carrier: 'SF', trackingNumber: 'R1' } })).status).toBe(409);
    const approved = await decide(refundId, 'approve');
    expect(approved.body.status).toBe('awaiting_return');
    expect((await world.api('POST', `/api/v1/admin/refunds/${refundId}/receive-return`, { token: world.adminToken })).status).toBe(409);
    expect((await world.api('POST', `/api/v1/refunds/${refundId}/return-shipment`, { token: world.customerToken, body: { carrier: 'SF', trackingNumber: 'R1' } })).status).toBe(404);
    const shipped = await world.api('POST', `/api/v1/refunds/${refundId}/return-shipment`, { token: buyer.token, body: { carrier: 'SF', trackingNumber: 'R1' } });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    expect(await balance(world, accountIds.wallet(buyer.id))).toBe(0);
    const received = await world.api('POST', `/api/v1/admin/refunds/${refundId}/receive-return`, { token: world.adminToken });
    expect(received.status, JSON.stringify(received.body)).toBe(200);
    expect(received.body.status).toBe('refunded');
    await drain(world);
    expect(await balance(world, accountIds.wallet(buyer.id))).toBe(3_000);
    expect((await stockOf(world, sku.skuId)).onHand).toBe(onHand + 1);
    const detail = await orderDetail(world, buyer.token, orderId);
    expect(detail).toMatchObject({ status: 'delivered', paymentStatus: 'partially_refunded', refundStatus: 'partially_refunded' });
    expect(detail.timeline.map((entry: { type: string }) => entry.type)).toEqual(
      expect.arrayContaining(['RefundRequested', 'RefundApproved', 'RefundReturnAwaited', 'RefundReturnShipped', 'RefundReturnReceived', 'RefundStarted', 'RefundCompleted', 'OrderRefunded']),
    );
    await expectReconciled(world);
  });

  it('a rejected refund (with a note) gives its units back; a merchant decides only on its own orders; another customer sees 404', async () => {
    const { orderId, buyer, view } = await paidOrder(world, { price: 4_000 });
    const item = itemOf(view);
    expect((await requestRefund(world.customerToken, orderId, { type: 'refund_only', items: [], reason: 'x' })).status).toBe(404);
    const requested = await requestRefund(buyer.token, orderId, { type: 'refund_only', items: [{ orderItemId: item, quantity: 1 }], reason: 'late' });
    expect(requested.status).toBe(201);
    const refundId = requested.body.refundId as string;
    expect((await world.api('POST', `/api/v1/admin/refunds/${refundId}/reject`, { token: world.merchantB.token, body: { note: 'no' } })).status).toBe(403);
    const rejected = await world.api('POST', `/api/v1/admin/refunds/${refundId}/reject`, { token: world.merchantA.token, body: { note: 'already on its way' } });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    expect(rejected.body.status).toBe('rejected');
    expect((await decide(refundId, 'approve')).status).toBe(409);
    const detail = await orderDetail(world, buyer.token, orderId);
    expect(detail.refundStatus).toBe('none');
    expect(detail.timeline.find((entry: { type: string }) => entry.type === 'RefundRejected')).toMatchObject({ reason: 'already on its way', actor: { id: 'merchant-a', role: 'merchant' } });
    const again = await requestRefund(buyer.token, orderId, { type: 'refund_only', items: [{ orderItemId: item, quantity: 1 }], reason: 'really' });
    expect(again.status).toBe(201);
    expect((await requestRefund(buyer.token, orderId, { type: 'refund_only', items: [{ orderItemId: item, quantity: 1 }], reason: 'more' })).body.code).toBe('REFUND_EXCEEDS_PAID');
  });
});

describe('card refunds: the provider\'s signed refund callback', () => {
  const callback = (body: string, signature?: string) =>
    world.runtime.app.request('/api/v1/payments/callbacks/sandbox', { method: 'POST', headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Signature': signature } : {}) }, body });

  it('stays refunding until the callback arrives; a forged callback is 401 and records nothing; duplicates decide nothing', async () => {
    const { orderId, buyer, paymentId } = await paidOrder(world, { price: 1_200 });
    const sandbox = sandboxOf(world);
    sandbox.pause();
    let refundId: string;
    try {
      const created = await world.api('POST', `/api/v1/admin/orders/${orderId}/refunds`, { token: world.adminToken, body: { type: 'refund_only', items: [], reason: 'callback' } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.status).toBe('refunding');
      refundId = created.body.refundId as string;
      await settledOnly();
      expect((await world.runtime.deps.handlers.refund.load(refundStream(refundId))).state.status).toBe('refunding');

      // Forged: a body the provider never signed.
      const forged = JSON.stringify({ type: 'refund', deliveryId: 'x', refundId, paymentId, providerRef: 're_forged', status: 'refunded', amount: cny(1_200), at: new Date().toISOString() });
      expect((await callback(forged, 'ab'.repeat(32))).status).toBe(401);
      expect((await callback(forged)).status).toBe(401);
      expect((await world.runtime.deps.handlers.refund.load(refundStream(refundId))).state.status).toBe('refunding');
    } finally {
      await sandbox.resume();
    }
    await drain(world);
    const { state: refunded, revision } = await world.runtime.deps.handlers.refund.load(refundStream(refundId));
    expect(refunded.status).toBe('refunded');
    const settlement = await sandbox.settlement(new Date().toISOString().slice(0, 10));
    const line = settlement.find((entry) => entry.paymentId === paymentId && entry.kind === 'refund');
    expect(refunded.status === 'refunded' && refunded.providerRef).toBe(line?.providerRef);

    // The same callback again (twice) changes nothing.
    expect(await sandbox.redeliverRefund(refundId, 2)).toBe(true);
    await drain(world);
    expect((await world.runtime.deps.handlers.refund.load(refundStream(refundId))).revision).toBe(revision);
    expect(await orderDetail(world, buyer.token, orderId)).toMatchObject({ status: 'closed', refundStatus: 'refunded' });
    await expectLedgerSound(world);
    await expectReconciled(world);
  });
});

describe('repair', () => {
  it('a claim on the order whose refund stream was never written (a crash between the appends) is completed by the refund reactor', async () => {
    const { orderId, buyer, paymentId, view } = await paidOrder(world, { price: 1_500 });
    const { state: payment } = await world.runtime.deps.handlers.payment.load(`payment-${paymentId}`);
    if (payment.status === 'none') throw new Error('no payment');
    const allocation = payment.allocations[0]!;
    await world.runtime.deps.handlers.order.handle(
      orderStream(orderId),
      {
        type: 'RequestRefund',
        refundId: `crash-${orderId}`,
        items: [{ orderItemId: itemOf(view), quantity: 1 }],
        allocation: { charged: allocation.charged, coins: allocation.coins, coinsValue: allocation.coinsValue, voucherValue: allocation.voucherValue },
        request: { type: 'refund_only', reason: 'crash', initiator: 'admin', requestHash: 'h' },
        at: new Date().toISOString(),
      },
      { metadata: { actor: { id: 'admin-1', role: 'admin' } } },
    );
    await drain(world);
    await drain(world);
    const { state: refund } = await world.runtime.deps.handlers.refund.load(refundStream(`crash-${orderId}`));
    expect(refund.status).toBe('refunded');
    expect(await orderDetail(world, buyer.token, orderId)).toMatchObject({ status: 'closed', refunds: [{ id: `crash-${orderId}`, status: 'refunded' }] });
    await expectReconciled(world);
  });
  it('a crash between the receipt of a return and its restock: the refund reactor restocks, exactly once', async () => {
    const { orderId, buyer, sku, view } = await paidOrder(world, { price: 2_000, quantity: 2, before: async (buyer) => void (await topUp(world, buyer.id, 4_000)), payment: { method: 'wallet' } });
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    await carrierOf(world).report(shipmentId, 'delivered');
    await drain(world);
    const onHand = (await stockOf(world, sku.skuId)).onHand;
    const requested = await requestRefund(buyer.token, orderId, { type: 'return_and_refund', items: [{ orderItemId: itemOf(view), quantity: 2 }], reason: 'broken' });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const refundId = requested.body.refundId as string;
    expect((await decide(refundId, 'approve')).body.status).toBe('awaiting_return');
    expect((await world.api('POST', `/api/v1/refunds/${refundId}/return-shipment`, { token: buyer.token, body: { carrier: 'SF', trackingNumber: 'R9' } })).status).toBe(200);

    // The request records the receipt and dies before restocking: only the reactor path runs.
    await world.runtime.deps.handlers.refund.handle(refundStream(refundId), { type: 'ReceiveReturn', at: new Date().toISOString() }, { metadata: { actor: { id: 'admin-1', role: 'admin' } } });
    await drain(world);
    await drain(world);
    expect((await stockOf(world, sku.skuId)).onHand).toBe(onHand + 2);
    const { state: refund } = await world.runtime.deps.handlers.refund.load(refundStream(refundId));
    expect(refund.status).toBe('refunded');

    // Every later run (advanceRefund by hand, the reactor again; a late receipt is refused) restocks nothing more.
    const resent = await world.api('POST', `/api/v1/admin/refunds/${refundId}/receive-return`, { token: world.adminToken });
    expect(resent.status, JSON.stringify(resent.body)).toBe(409);
    await advanceRefund(world.runtime.deps, refundId, { actor: { id: 'system', role: 'system' } });
    await drain(world);
    expect((await stockOf(world, sku.skuId)).onHand).toBe(onHand + 2);
    const restocks = (await world.runtime.deps.store.readStream(inventoryStream(sku.skuId))).filter((event) => event.type === 'StockReturned');
    expect(restocks.map((event) => event.data)).toEqual([expect.objectContaining({ refundId, quantity: 2, onHand: onHand + 2 })]);
    expect(await balance(world, accountIds.wallet(buyer.id))).toBe(4_000);
    await expectReconciled(world);
  });
});

describe('concurrency', () => {
  it('two refunds racing for the last refundable unit: exactly one succeeds', async () => {
    for (let round = 0; round < 3; round++) {
      const { orderId, buyer, view } = await paidOrder(world, { price: 2_500 });
      const body = { type: 'refund_only', items: [{ orderItemId: itemOf(view), quantity: 1 }], reason: 'race' };
      const results = await Promise.all([requestRefund(buyer.token, orderId, body, `a-${orderId}`), requestRefund(buyer.token, orderId, body, `b-${orderId}`)]);
      const statuses = results.map((result) => result.status).sort();
      expect(statuses, JSON.stringify(results.map((result) => result.body))).toEqual([201, 409]);
      expect(results.find((result) => result.status === 409)!.body.code).toBe('REFUND_EXCEEDS_PAID');
      const winner = results.find((result) => result.status === 201)!;
      expect((await decide(winner.body.refundId, 'approve')).body.status).toBe('refunding');
      await drain(world);
      expect((await world.runtime.deps.handlers.refund.load(refundStream(winner.body.refundId as string))).state.status).toBe('refunded');
    }
    await expectReconciled(world);
  });
});
