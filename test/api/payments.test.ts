import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorld, stockOf, type OrderWorld } from './orders-support.js';
import { balance, card, checkout, cny, drain, expectLedgerSound, giveCoins, newBuyer, newSku, orderView, pay, sandboxOf, topUp } from './payments-support.js';
import { accountIds } from '../../src/domain/accounts/account-ids.js';
import { plannedTransfers } from '../../src/domain/payments/transfers-plan.js';
import { paymentStream } from '../../src/domain/payments/payment.js';
import { settleStuckPayments } from '../../src/commands/payments/reactors.js';

/** POST /pay-orders/:id/payments, the sandbox callbacks, the ledger transfers, the wallet. */
let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world.runtime.close());

const callback = (body: string, signature?: string) =>
  world.runtime.app.request('/api/v1/payments/callbacks/sandbox', { method: 'POST', headers: { 'Content-Type': 'application/json', ...(signature ? { 'X-Signature': signature } : {}) }, body });

describe('card payments', () => {
  it('success via the signed callback: orders paid, reservations committed, transfers posted', async () => {
    const a = await newSku(world, { price: 10_000, stock: 5 });
    const b = await newSku(world, { price: 5_000, stock: 5, merchantToken: world.merchantB.token });
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [a, b]);
    const merchantA = await balance(world, accountIds.merchantPayable('merchant-a'));
    const paid = await pay(world, buyer, placed.payOrderId, card());
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body.amount).toEqual(cny(15_000));
    expect(paid.body.fee).toEqual(cny(90));
    await drain(world);
    for (const order of placed.orders) expect(await orderView(world, buyer, order.id)).toMatchObject({ status: 'paid', paymentStatus: 'paid' });
    expect(await stockOf(world, a.skuId)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await stockOf(world, b.skuId)).toEqual({ onHand: 4, reserved: 0, available: 4 });
    expect(await balance(world, accountIds.merchantPayable('merchant-a'))).toBe(merchantA + 10_000);
    const { state } = await world.runtime.deps.handlers.payment.load(paymentStream(paid.body.paymentId));
    expect(state.status).toBe('captured');
    const events = await world.runtime.deps.store.readStream(paymentStream(paid.body.paymentId));
    const captured = events.find((event) => event.type === 'PaymentCaptured')!;
    const planned = plannedTransfers(captured);
    expect(planned.map((transfer) => transfer.transferId).sort()).toEqual(
      [`payment-${paid.body.paymentId}-fee`, ...placed.orders.map((order) => `payment-${paid.body.paymentId}-capture-${order.id}`)].sort(),
    );
    for (const transfer of planned) {
      const { state: account } = await world.runtime.deps.handlers.account.load(`account-${transfer.to}`);
      expect(account.posted.has(transfer.transferId)).toBe(true);
    }
    await expectLedgerSound(world);
    // Paying again: the orders are paid.
    const again = await pay(world, buyer, placed.payOrderId, card());
    expect(again.status).toBe(409);
  });

  it('decline: coins and voucher returned, orders still payable; a later payment succeeds', async () => {
    const sku = await newSku(world, { price: 10_000, stock: 5 });
    const buyer = await newBuyer(world);
    await giveCoins(world, buyer.id, 1_000);
    const code = `V${Date.now()}D`;
    expect((await world.api('POST', '/api/v1/admin/vouchers', { token: world.adminToken, body: { code, amount: cny(500) } })).status).toBe(201);
    const placed = await checkout(world, buyer, [sku]);
    const declined = await pay(world, buyer, placed.payOrderId, { ...card('4000000000000002'), coins: 1_000, voucherCode: code });
    expect(declined.status, JSON.stringify(declined.body)).toBe(201);
    expect(declined.body.amount).toEqual(cny(10_000 - 500 - 1_000));
    await drain(world);
    expect((await world.runtime.deps.handlers.payment.load(paymentStream(declined.body.paymentId))).state.status).toBe('declined');
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(1_000);
    expect((await world.api('GET', `/api/v1/admin/vouchers/${code}`, { token: world.adminToken })).body.used).toBe(0);
    expect(await orderView(world, buyer, placed.orders[0]!.id)).toMatchObject({ status: 'pending_payment', paymentStatus: 'unpaid' });
    // Mixed tenders: coins + voucher + card.
    const ok = await pay(world, buyer, placed.payOrderId, { ...card(), coins: 1_000, voucherCode: code });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    await drain(world);
    expect(await orderView(world, buyer, placed.orders[0]!.id)).toMatchObject({ status: 'paid' });
    expect(await balance(world, accountIds.coins(buyer.id))).toBe(0);
    expect((await world.api('GET', `/api/v1/admin/vouchers/${code}`, { token: world.adminToken })).body.used).toBe(1);
    await expectLedgerSound(world);
  });

  it('forged or missing signature → 401, nothing recorded; unknown provider → 404', async () => {
    const sku = await newSku(world, { price: 2_000 });
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku]);
    sandboxOf(world).pause();
    const paid = await pay(world, buyer, placed.payOrderId, card());
    const body = JSON.stringify({ paymentId: paid.body.paymentId, providerRef: 'ch_forged', status: 'captured', amount: cny(2_000), fee: cny(12), at: new Date().toISOString(), deliveryId: 'x' });
    const before = await world.runtime.deps.store.headPosition();
    expect((await callback(body, 'a'.repeat(64))).status).toBe(401);
    expect((await callback(body)).status).toBe(401);
    const unknown = await world.runtime.app.request('/api/v1/payments/callbacks/acme', { method: 'POST', body, headers: { 'X-Signature': sandboxOf(world).sign(body) } });
    expect(unknown.status).toBe(404);
    expect(await world.runtime.deps.store.headPosition()).toBe(before);
    await sandboxOf(world).resume();
    await drain(world);
    expect(await orderView(world, buyer, placed.orders[0]!.id)).toMatchObject({ status: 'paid' });
  });

  it('duplicate callbacks (redeliver times=3) and out-of-order ones have one effect', async () => {
    const sku = await newSku(world, { price: 3_000 });
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku]);
    const paid = await pay(world, buyer, placed.payOrderId, card());
    await drain(world);
    const streamLength = async () => (await world.runtime.deps.store.readStream(paymentStream(paid.body.paymentId))).length;
    const length = await streamLength();
    const merchant = await balance(world, accountIds.merchantPayable('merchant-a'));
    const redelivered = await world.api('POST', `/api/v1/dev/sandbox/payments/${paid.body.paymentId}/redeliver?times=3`, {});
    expect(redelivered.status).toBe(200);
    // A decline after the success, signed by the provider: no-op.
    const decline = JSON.stringify({ paymentId: paid.body.paymentId, providerRef: 'ch_x', status: 'declined', declineReason: 'late', amount: cny(3_000), fee: cny(0), at: new Date().toISOString(), deliveryId: 'y' });
    expect((await callback(decline, sandboxOf(world).sign(decline))).status).toBe(200);
    await drain(world);
    expect(await streamLength()).toBe(length);
    expect(await balance(world, accountIds.merchantPayable('merchant-a'))).toBe(merchant);
    expect((await world.runtime.deps.handlers.payment.load(paymentStream(paid.body.paymentId))).state.status).toBe('captured');
    await expectLedgerSound(world);
  });

  it('a success after the order was cancelled is refunded automatically and flagged', async () => {
    const sku = await newSku(world, { price: 4_000, stock: 3 });
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku]);
    sandboxOf(world).pause();
    const paid = await pay(world, buyer, placed.payOrderId, card());
    expect(paid.body.status).toBe('pending');
    const cancelled = await world.api('POST', `/api/v1/orders/${placed.orders[0]!.id}/cancel`, { token: buyer.token });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    await sandboxOf(world).resume();
    await drain(world);
    const { state } = await world.runtime.deps.handlers.payment.load(paymentStream(paid.body.paymentId));
    expect(state).toMatchObject({ status: 'refunded', refunded: true, flagged: 'captured_after_cancel' });
    expect(await orderView(world, buyer, placed.orders[0]!.id)).toMatchObject({ status: 'cancelled' });
    expect(await balance(world, accountIds.refundsPayable)).toBe(0);
    expect((await sandboxOf(world).query(paid.body.paymentId))?.status).toBe('refunded');
    const flagged = await world.api('GET', '/api/v1/admin/payments/flagged', { token: world.adminToken });
    expect(flagged.body.items.map((item: { id: string }) => item.id)).toContain(paid.body.paymentId);
    expect(await stockOf(world, sku.skuId)).toEqual({ onHand: 3, reserved: 0, available: 3 });
    await expectLedgerSound(world);
  });

  it('a payment whose callback was lost is settled by the stuck-payment sweeper (查询补单)', async () => {
    const sku = await newSku(world, { price: 1_500 });
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku]);
    const paid = await pay(world, buyer, placed.payOrderId, card('4000000000000341'));
    await drain(world);
    expect((await world.runtime.deps.handlers.payment.load(paymentStream(paid.body.paymentId))).state.status).toBe('pending');
    const result = await settleStuckPayments(world.runtime.deps, { now: new Date(Date.now() + 3_600_000) });
    expect(result.captured).toBeGreaterThanOrEqual(1);
    await drain(world);
    expect(await orderView(world, buyer, placed.orders[0]!.id)).toMatchObject({ status: 'paid' });
  });

  it('refuses bad requests: another user 404, no card 400, bad Luhn 400, too many coins 400', async () => {
    const sku = await newSku(world, { price: 1_000 });
    const buyer = await newBuyer(world);
    const other = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku]);
    expect((await pay(world, other, placed.payOrderId, card())).status).toBe(404);
    expect((await pay(world, buyer, placed.payOrderId, { method: 'card' })).status).toBe(400);
    expect((await pay(world, buyer, placed.payOrderId, card('4242424242424241'))).status).toBe(400);
    await giveCoins(world, buyer.id, 100_000);
    const tooMany = await pay(world, buyer, placed.payOrderId, { ...card(), coins: 900 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.detail).toBe('coins may pay at most CNY 5.00 of this payable (500 coins)'); // in money, not minor units
    const poor = await pay(world, buyer, placed.payOrderId, { method: 'wallet' });
    expect(poor.status).toBe(409);
    expect(poor.body.code).toBe('INSUFFICIENT_FUNDS');
  });

  it('idempotent request: the same key replays; concurrent attempts make one payment', async () => {
    const sku = await newSku(world, { price: 2_500 });
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku]);
    sandboxOf(world).pause();
    const first = await pay(world, buyer, placed.payOrderId, card(), 'pay-key-1');
    const second = await pay(world, buyer, placed.payOrderId, card(), 'pay-key-1');
    expect(second.status).toBe(201);
    expect(second.body.paymentId).toBe(first.body.paymentId);
    const concurrent = await Promise.all([pay(world, buyer, placed.payOrderId, card()), pay(world, buyer, placed.payOrderId, card())]);
    for (const response of concurrent) {
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('PAYMENT_IN_PROGRESS');
    }
    await sandboxOf(world).resume();
    await drain(world);
    expect(await orderView(world, buyer, placed.orders[0]!.id)).toMatchObject({ status: 'paid' });
  });

  it('concurrent first attempts on one pay order: exactly one payment', async () => {
    const sku = await newSku(world, { price: 2_600 });
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku]);
    const responses = await Promise.all(Array.from({ length: 4 }, () => pay(world, buyer, placed.payOrderId, card())));
    expect(responses.filter((response) => response.status === 201)).toHaveLength(1);
    for (const response of responses.filter((r) => r.status !== 201)) expect(['PAYMENT_IN_PROGRESS', 'INVALID_STATE_TRANSITION']).toContain(response.body.code);
    await drain(world);
  });
});

describe('wallet', () => {
  it('top-up, then pay by wallet with and without enough balance', async () => {
    const sku = await newSku(world, { price: 8_000 });
    const buyer = await newBuyer(world);
    const placed = await checkout(world, buyer, [sku]);
    const credited = await topUp(world, buyer.id, 5_000, 'top-1');
    expect(credited.status, JSON.stringify(credited.body)).toBe(201);
    expect(credited.body.balance).toEqual(cny(5_000));
    expect((await topUp(world, buyer.id, 5_000, 'top-1')).body.transfer.transferId).toBe(credited.body.transfer.transferId);
    const short = await pay(world, buyer, placed.payOrderId, { method: 'wallet' });
    expect(short.status).toBe(409);
    expect(short.body.code).toBe('INSUFFICIENT_FUNDS');
    expect(await balance(world, accountIds.wallet(buyer.id))).toBe(5_000);
    await topUp(world, buyer.id, 4_000);
    const paid = await pay(world, buyer, placed.payOrderId, { method: 'wallet' });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    expect(paid.body).toMatchObject({ status: 'captured', amount: cny(8_000), fee: cny(0) });
    await drain(world);
    expect(await orderView(world, buyer, placed.orders[0]!.id)).toMatchObject({ status: 'paid' });
    const wallet = await world.api('GET', '/api/v1/me/wallet', { token: buyer.token });
    expect(wallet.status).toBe(200);
    expect(wallet.body.balance).toEqual(cny(1_000));
    expect(wallet.body.entries[0]).toMatchObject({ direction: 'debit', amount: cny(8_000) });
    expect(wallet.body.entries).toHaveLength(3);
    const page = await world.api('GET', '/api/v1/me/wallet?limit=2', { token: buyer.token });
    expect(page.body.entries).toHaveLength(2);
    const rest = await world.api('GET', `/api/v1/me/wallet?limit=2&cursor=${page.body.nextCursor}`, { token: buyer.token });
    expect(rest.body.entries).toHaveLength(1);
    await expectLedgerSound(world);
  });

  it('top-up refuses unknown users (404) and non-positive amounts (400); customers 403', async () => {
    const buyer = await newBuyer(world);
    expect((await topUp(world, 'nobody-here', 100)).status).toBe(404);
    expect((await topUp(world, buyer.id, 0)).status).toBe(400);
    expect((await topUp(world, buyer.id, -5)).status).toBe(400);
    const forbidden = await world.api('POST', `/api/v1/admin/accounts/${buyer.id}/credits`, { token: buyer.token, body: { amount: cny(1), reason: 'x' } });
    expect(forbidden.status).toBe(403);
  });
});
