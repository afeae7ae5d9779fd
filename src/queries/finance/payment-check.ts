import type { RecordedEvent } from '../../ports/event-store.js';
import type { PaymentProvider } from '../../ports/payment-provider.js';
import { plannedTransfers } from '../../domain/payments/transfers-plan.js';
import { WALLET_PROVIDER, type PaymentEvent } from '../../domain/payments/payment.js';
import type { RefundEvent } from '../../domain/refunds/refund.js';
import type { MoneyFact, PaymentCheck, SettlementSource } from './reconciliation.js';

const PAYMENT_STREAM = 'payment-';
/**
 * Refunds (`refund-*`: RefundCompleted, and RefundEarningsReversed: commission and earned coins taken back,
 * the coins' shortfall written off) and completed orders (`order-*`: OrderCompleted, coins earned) have
 * planned transfers too.
 */
const hasPlannedTransfers = (event: RecordedEvent) =>
  event.streamId.startsWith(PAYMENT_STREAM) ||
  (event.streamId.startsWith('refund-') && (event.type === 'RefundCompleted' || event.type === 'RefundEarningsReversed')) ||
  (event.streamId.startsWith('order-') && event.type === 'OrderCompleted');

/**
 * The payments module's answer to reconciliation (docs/ledger.md): the transfers of a payment event are
 * `plannedTransfers(event)`; a `PaymentCaptured` is a capture and a `PaymentRefundedAfterCancel` a refund
 * that the card provider's settlement must show (wallet payments have no provider file, but count in the
 * daily totals).
 */
export const paymentsCheck: PaymentCheck = {
  requiredTransfers(event: RecordedEvent): string[] {
    if (!hasPlannedTransfers(event)) return [];
    return plannedTransfers(event).map((transfer) => transfer.transferId);
  },
  moneyFact(event: RecordedEvent): MoneyFact | null {
    if (event.streamId.startsWith('refund-') && event.type === 'RefundCompleted') {
      const { paymentId, provider, providerRef, tenders, amount, at } = (event as unknown as Extract<RefundEvent, { type: 'RefundCompleted' }>).data;
      if (tenders.charged <= 0) return null;
      const refunded = { amount: tenders.charged, currency: amount.currency };
      return { kind: 'refund', provider, paymentId, providerRef, amount: refunded, fee: { amount: 0, currency: amount.currency }, at, settles: provider !== WALLET_PROVIDER };
    }
    if (!event.streamId.startsWith(PAYMENT_STREAM)) return null;
    const known = event as unknown as PaymentEvent;
    if (known.type === 'PaymentCaptured') {
      const { paymentId, provider, providerRef, amount, fee, at } = known.data;
      return { kind: 'capture', provider, paymentId, providerRef, amount, fee, at, settles: provider !== WALLET_PROVIDER };
    }
    if (known.type === 'PaymentRefundedAfterCancel') {
      const { paymentId, provider, amount, at } = known.data;
      // The refund's own provider reference is not the capture's; match refunds by payment id and amount.
      return { kind: 'refund', provider, paymentId, amount, fee: { amount: 0, currency: amount.currency }, at, settles: provider !== WALLET_PROVIDER };
    }
    return null;
  },
};

/** The settlement files reconciliation reads: the card provider's (`deps.paymentProvider`). */
export function settlementSourcesFrom(deps: { paymentProvider?: PaymentProvider | null }): SettlementSource[] {
  const provider = deps.paymentProvider;
  return provider ? [{ provider: provider.name, settlement: (day) => provider.settlement(day) }] : [];
}
