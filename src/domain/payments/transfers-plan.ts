import { accountIds, COINS } from '../accounts/account-ids.js';
import type { TransferRequest } from '../accounts/account.js';
import type { PaymentEvent } from './payment.js';
import type { RefundEvent } from '../refunds/refund.js';
import type { OrderEvent } from '../orders/order.js';
import { earningsReversalTransfers } from '../refunds/earnings-transfers.js';

/**
 * The ledger transfers a payment event must produce (docs/ledger.md, kept in sync with this function).
 * Pure: everything comes from the event. The posting reactor posts exactly these (idempotent by the
 * deterministic transfer ids); reconciliation checks that each of them was posted.
 */
export function plannedTransfers(event: { type: string; data: unknown }): TransferRequest[] {
  const known = event as PaymentEvent;
  switch (known.type) {
    case 'PaymentDeclined': {
      // The hold was posted by the payment request (coinsHeld): listed so reconciliation finds both.
      const { paymentId, userId, coins, coinsHeld } = known.data;
      const cause = paymentCause(paymentId);
      if (coins <= 0 || !coinsHeld) return [];
      return [coinsHold(paymentId, userId, coins, cause), { transferId: `payment-${paymentId}-coins-return`, from: accountIds.coinsIssuance, to: accountIds.coins(userId), amount: coins, currency: COINS, cause }];
    }
    case 'PaymentCaptured': {
      const { paymentId, userId, method, provider, amount, fee, allocations, refundedOrderIds, afterDecline } = known.data;
      const cause = paymentCause(paymentId);
      const currency = amount.currency;
      const clearing = accountIds.providerClearing(provider);
      const out: TransferRequest[] = [];
      if (known.data.coins > 0 && !afterDecline) out.push(coinsHold(paymentId, userId, known.data.coins, cause));
      if (method === 'wallet' && amount.amount > 0) out.push({ transferId: `payment-${paymentId}-wallet`, from: accountIds.wallet(userId), to: clearing, amount: amount.amount, currency, cause });
      if (method === 'card' && fee.amount > 0) out.push({ transferId: `payment-${paymentId}-fee`, from: accountIds.platformRevenue, to: clearing, amount: fee.amount, currency: fee.currency, cause });
      for (const allocation of allocations) {
        const merchant = accountIds.merchantPayable(allocation.merchantId);
        const id = `payment-${paymentId}`;
        if (refundedOrderIds.includes(allocation.orderId)) {
          if (allocation.charged > 0) out.push({ transferId: `${id}-late-${allocation.orderId}`, from: clearing, to: accountIds.refundsPayable, amount: allocation.charged, currency, cause });
          if (allocation.coins > 0 && !afterDecline) {
            out.push({ transferId: `${id}-coins-return-${allocation.orderId}`, from: accountIds.coinsIssuance, to: accountIds.coins(userId), amount: allocation.coins, currency: COINS, cause });
          }
          continue;
        }
        if (allocation.charged > 0) out.push({ transferId: `${id}-capture-${allocation.orderId}`, from: clearing, to: merchant, amount: allocation.charged, currency, cause });
        if (allocation.coinsValue > 0) out.push({ transferId: `${id}-coins-value-${allocation.orderId}`, from: accountIds.platformRevenue, to: merchant, amount: allocation.coinsValue, currency, cause });
        if (allocation.voucherValue > 0) out.push({ transferId: `${id}-voucher-${allocation.orderId}`, from: accountIds.platformRevenue, to: merchant, amount: allocation.voucherValue, currency, cause });
        if (allocation.commission > 0) out.push({ transferId: `${id}-commission-${allocation.orderId}`, from: merchant, to: accountIds.platformRevenue, amount: allocation.commission, currency, cause });
      }
      return out;
    }
    case 'PaymentRefundedAfterCancel': {
      const { paymentId, userId, method, provider, allocations } = known.data;
      const cause = paymentCause(paymentId);
      const to = method === 'wallet' ? accountIds.wallet(userId) : accountIds.providerClearing(provider);
      return allocations
        .filter((allocation) => allocation.charged > 0)
        .map((allocation) => ({ transferId: `payment-${paymentId}-refund-${allocation.orderId}`, from: accountIds.refundsPayable, to, amount: allocation.charged, currency: allocation.total.currency, cause }));
    }
    default:
      return refundAndOrderTransfers(event);
  }
}

/**
 * Refunds and completed orders (docs/fulfillment-and-refunds.md): a completed refund gives back each
 * tender's share (the merchant returns the money it received; the platform takes back what it funded);
 * a completed order issues the coins it earned.
 */
function refundAndOrderTransfers(event: { type: string; data: unknown }): TransferRequest[] {
  const known = event as RefundEvent | OrderEvent;
  if (known.type === 'OrderCompleted') {
    const { orderId, userId, coinsEarned } = known.data;
    if (coinsEarned <= 0) return [];
    return [{ transferId: `order-${orderId}-coins-earned`, from: accountIds.coinsIssuance, to: accountIds.coins(userId), amount: coinsEarned, currency: COINS, cause: { type: 'order', id: orderId } }];
  }
  if (known.type === 'RefundEarningsReversed') return earningsReversalTransfers(known);
  if (known.type !== 'RefundCompleted') return [];
  const { refundId, userId, merchantId, method, provider, amount, tenders } = known.data;
  const cause = { type: 'refund', id: refundId };
  const currency = amount.currency;
  const merchant = accountIds.merchantPayable(merchantId);
  const id = `refund-${refundId}`;
  const out: TransferRequest[] = [];
  if (tenders.charged > 0) {
    out.push({ transferId: `${id}-merchant`, from: merchant, to: accountIds.refundsPayable, amount: tenders.charged, currency, cause });
    const to = method === 'wallet' ? accountIds.wallet(userId) : accountIds.providerClearing(provider);
    out.push({ transferId: `${id}-payout`, from: accountIds.refundsPayable, to, amount: tenders.charged, currency, cause });
  }
  if (tenders.coinsValue > 0) out.push({ transferId: `${id}-coins-value`, from: merchant, to: accountIds.platformRevenue, amount: tenders.coinsValue, currency, cause });
  if (tenders.coins > 0) out.push({ transferId: `${id}-coins`, from: accountIds.coinsIssuance, to: accountIds.coins(userId), amount: tenders.coins, currency: COINS, cause });
  if (tenders.voucherValue > 0) out.push({ transferId: `${id}-voucher`, from: merchant, to: accountIds.platformRevenue, amount: tenders.voucherValue, currency, cause });
  return out;
}

/** Every payment transfer names its payment as its cause. */
export const paymentCause = (paymentId: string) => ({ type: 'payment', id: paymentId });

/** The coins a payment redeems (posted by the payment request itself, before the provider is asked). */
function coinsHold(paymentId: string, userId: string, coins: number, cause: TransferRequest['cause']): TransferRequest {
  return { transferId: `payment-${paymentId}-coins-hold`, from: accountIds.coins(userId), to: accountIds.coinsIssuance, amount: coins, currency: COINS, cause };
}

/** The top-up transfer of `POST /api/v1/admin/accounts/:userId/credits`. */
export function topUpTransfer(topUpId: string, userId: string, amount: { amount: number; currency: string }): TransferRequest {
  return { transferId: `topup-${topUpId}`, from: accountIds.walletFunding, to: accountIds.wallet(userId), amount: amount.amount, currency: amount.currency, cause: { type: 'WalletTopUp', id: topUpId } };
}
