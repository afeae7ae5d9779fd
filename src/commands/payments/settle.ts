import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { DomainError, InvalidStateTransition, NotFoundError } from '../../kernel/errors.js';
import { accountIds, accountStream } from '../../domain/accounts/account-ids.js';
import { payOrderStream } from '../../domain/orders/pay-order.js';
import { orderStream } from '../../domain/orders/order.js';
import { paymentStream, type ActivePayment, type PaymentCaptured, type PaymentEvent } from '../../domain/payments/payment.js';
import { plannedTransfers } from '../../domain/payments/transfers-plan.js';
import { voucherStream } from '../../domain/vouchers/voucher.js';
import { postTransfer } from '../accounts/transfers.js';
import { inventoryCommand } from '../inventory/reservations.js';
import { loadOrder } from '../orders/orders.js';

/**
 * The outcome of a payment and what follows from it. `applyCapture` / `applyDecline` record the
 * provider's answer (duplicates and late contradictions decide nothing); `followUp(event)` does the
 * rest, idempotently: it runs right after the event is appended and again from the payment reactors
 * (at-least-once), so a crash half-way is finished by the reactor.
 */
type PaymentDeps = Pick<Deps, 'handlers' | 'clock' | 'logger' | 'paymentProvider'>;

export async function loadPayment(deps: Pick<Deps, 'handlers'>, paymentId: string): Promise<ActivePayment> {
  const { state } = await deps.handlers.payment.load(paymentStream(paymentId));
  if (state.status === 'none') throw new NotFoundError('payment');
  return state;
}

/** Posts every planned transfer of a payment event (idempotent by transfer id). */
export async function postPlanned(deps: Pick<Deps, 'handlers' | 'clock'>, event: { type: string; data: unknown }, metadata: EventMetadata): Promise<number> {
  let position = 0;
  for (const transfer of plannedTransfers(event)) position = Math.max(position, (await postTransfer(deps, transfer, metadata)).position);
  return position;
}

/** The provider captured the payment: pays the orders still payable, records the capture, follows up. */
export async function applyCapture(deps: PaymentDeps, paymentId: string, providerRef: string, metadata: EventMetadata): Promise<ActivePayment> {
  const payment = await loadPayment(deps, paymentId);
  if (payment.status === 'captured' || payment.status === 'refunded') return payment; // a duplicate
  const at = deps.clock.now().toISOString();
  const cancelledOrderIds: string[] = [];
  if (payment.status === 'pending') {
    for (const allocation of payment.allocations) {
      const loaded = await loadOrder(deps as Deps, allocation.orderId, payment.payOrderId, metadata);
      if (!loaded) {
        cancelledOrderIds.push(allocation.orderId);
        continue;
      }
      try {
        await deps.handlers.order.handle(orderStream(allocation.orderId), { type: 'PayOrder', paymentId, at }, { metadata, maxAttempts: 20 });
      } catch (error) {
        if (!(error instanceof InvalidStateTransition)) throw error;
        cancelledOrderIds.push(allocation.orderId); // cancelled (customer, admin, time-out) before the money arrived
      }
    }
  }
  const result = await deps.handlers.payment.handle(paymentStream(paymentId), { type: 'RecordCapture', providerRef, cancelledOrderIds, at }, { metadata, maxAttempts: 20 });
  for (const event of result.events) await followUp(deps, event, metadata);
  return result.state as ActivePayment;
}

/** The provider declined (or the request could not take the wallet, coins or voucher): gives back what was held. */
export async function applyDecline(deps: PaymentDeps, paymentId: string, reason: string, metadata: EventMetadata): Promise<ActivePayment> {
  const payment = await loadPayment(deps, paymentId);
  if (payment.status !== 'pending') return payment; // the outcome is known already: a late decline changes nothing
  const holdId = `payment-${paymentId}-coins-hold`;
  const coinsHeld = payment.coins > 0 && (await deps.handlers.account.load(accountStream(accountIds.coins(payment.userId)))).state.posted.has(holdId);
  const result = await deps.handlers.payment.handle(
    paymentStream(paymentId),
    { type: 'RecordDecline', reason, coinsHeld, at: deps.clock.now().toISOString() },
    { metadata, maxAttempts: 20 },
  );
  for (const event of result.events) await followUp(deps, event, metadata);
  return result.state as ActivePayment;
}

/** Everything a payment event implies beyond itself; idempotent, safe to run any number of times. */
export async function followUp(deps: PaymentDeps, event: PaymentEvent, metadata: EventMetadata): Promise<void> {
  switch (event.type) {
    case 'PaymentDeclined':
      await postPlanned(deps, event, metadata);
      await releaseVoucher(deps, event.data.voucherCode, event.data.paymentId, event.data.at, metadata);
      await endPayment(deps, event.data.payOrderId, event.data.paymentId, 'declined', event.data.at, metadata);
      return;
    case 'PaymentCaptured':
      await completeCapture(deps, event, metadata);
      return;
    case 'PaymentRefundedAfterCancel':
      await postPlanned(deps, event, metadata);
      return;
    default:
      return;
  }
}

async function completeCapture(deps: PaymentDeps, event: PaymentCaptured, metadata: EventMetadata): Promise<void> {
  const data = event.data;
  await postPlanned(deps, event, metadata);
  const paid = data.allocations.filter((allocation) => !data.refundedOrderIds.includes(allocation.orderId));
  for (const allocation of paid) await takeStock(deps, allocation.orderId, data.payOrderId, data.at, metadata);
  if (paid.length > 0) await deps.handlers.payOrder.handle(payOrderStream(data.payOrderId), { type: 'RecordPaid', paymentId: data.paymentId, at: data.at }, { metadata, maxAttempts: 20 });
  if (data.refundedOrderIds.length > 0) {
    const payment = await loadPayment(deps, data.paymentId);
    if (!payment.refunded) {
      const refunded = data.allocations.filter((allocation) => data.refundedOrderIds.includes(allocation.orderId));
      const amount = refunded.reduce((sum, allocation) => sum + allocation.charged, 0);
      let providerRef = data.method === 'wallet' ? `wallet-${data.paymentId}-late` : 'none';
      if (data.method === 'card' && amount > 0) {
        providerRef = (await deps.paymentProvider.refund({ refundId: `${data.paymentId}-late`, paymentId: data.paymentId, amount: { amount, currency: data.amount.currency } })).providerRef;
      }
      const result = await deps.handlers.payment.handle(paymentStream(data.paymentId), { type: 'RecordRefundAfterCancel', providerRef, at: deps.clock.now().toISOString() }, { metadata, maxAttempts: 20 });
      for (const refundEvent of result.events) await postPlanned(deps, refundEvent, metadata);
    }
    await deps.handlers.payment.handle(
      paymentStream(data.paymentId),
      { type: 'FlagForReview', reason: data.afterDecline ? 'captured_after_decline' : 'captured_after_cancel', at: data.at },
      { metadata, maxAttempts: 20 },
    );
    if (paid.length === 0 && !data.afterDecline) await releaseVoucher(deps, data.voucherCode, data.paymentId, data.at, metadata);
  }
  await endPayment(deps, data.payOrderId, data.paymentId, paid.length > 0 ? 'captured' : 'refunded', data.at, metadata);
}

/** The paid order's units leave the shelf: its reservations are committed; "take stock at payment" items are reserved and committed now. */
async function takeStock(deps: PaymentDeps, orderId: string, payOrderId: string, at: string, metadata: EventMetadata): Promise<void> {
  const loaded = await loadOrder(deps as Deps, orderId, payOrderId, metadata);
  if (!loaded) return;
  const items = [...loaded.order.items].sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0));
  for (const item of items) {
    try {
      if (!item.reserved) await inventoryCommand(deps, item.skuId, { type: 'ReserveStock', orderId, payOrderId, quantity: item.quantity, expiresAt: at, at }, metadata);
      await inventoryCommand(deps, item.skuId, { type: 'CommitReservation', orderId, at }, metadata);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // Sold out between checkout and payment (take stock at payment): the order is paid; a person ships or refunds it.
      deps.logger.warn({ err: error, orderId, skuId: item.skuId }, 'paid order could not take its stock');
    }
  }
}

async function releaseVoucher(deps: PaymentDeps, code: string | null, paymentId: string, at: string, metadata: EventMetadata): Promise<void> {
  if (!code) return;
  await deps.handlers.voucher.handle(voucherStream(code), { type: 'ReleaseVoucher', redemptionId: paymentId, at }, { metadata, maxAttempts: 20 });
}

async function endPayment(deps: PaymentDeps, payOrderId: string, paymentId: string, outcome: 'captured' | 'declined' | 'refunded', at: string, metadata: EventMetadata): Promise<void> {
  await deps.handlers.payOrder.handle(payOrderStream(payOrderId), { type: 'EndPayment', paymentId, outcome, at }, { metadata, maxAttempts: 20 });
}
