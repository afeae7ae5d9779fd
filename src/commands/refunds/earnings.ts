import type { Deps } from '../../deps.js';
import type { EventMetadata, RecordedEvent } from '../../ports/event-store.js';
import { accountStream } from '../../domain/accounts/account-ids.js';
import type { AccountEvent } from '../../domain/accounts/account.js';
import { orderStream, type OrderEvent } from '../../domain/orders/order.js';
import { paymentStream } from '../../domain/payments/payment.js';
import { plannedTransfers } from '../../domain/payments/transfers-plan.js';
import { coinsClawback } from '../../domain/refunds/earnings-transfers.js';
import { refundStream, type ActiveRefund, type EarningsReversal } from '../../domain/refunds/refund.js';
import { postTransfer } from '../accounts/transfers.js';

/**
 * What a refund takes back of what its order earned, once the order has recorded the refund:
 *
 * - the platform's commission on the order (`allocation.commission`, BAZAAR_COMMISSION_BPS) goes back to the
 *   merchant in proportion to the amount refunded;
 * - the coins a completed order earned (`coinsEarned`, issued by `order-<O>-coins-earned`) go back from the
 *   customer in proportion to the amount refunded after the completion (a full refund takes them all).
 *
 * Both are cumulative over the order's refunds in the order stream's order (the stream serialises them),
 * so the shares of several partial refunds add up exactly to the whole: refund k takes
 * floor(E × R_k / B) − floor(E × R_{k−1} / B), R_k the amount refunded up to and including refund k, B the
 * base. The coins are debited "up to" what the customer still holds (the account decider takes the
 * smaller of the two atomically); what is missing is written off by its own transfer
 * (`platform.coins-shortfall` → `platform.coins-issuance`) and recorded in `RefundEarningsReversed`, whose
 * planned transfers reconciliation requires. Idempotent: the request and the refund reactor both run it.
 */
type EarningsDeps = Pick<Deps, 'handlers' | 'clock' | 'store'>;

export async function reverseEarnings(deps: EarningsDeps, refund: ActiveRefund, metadata: EventMetadata): Promise<void> {
  if (refund.status !== 'refunded') return;
  let reversal = refund.earningsReversal ?? null;
  if (!reversal) {
    const { state: order } = await deps.handlers.order.load(orderStream(refund.orderId));
    if (order.status === 'none') return;
    const { state: payment } = await deps.handlers.payment.load(paymentStream(refund.paymentId));
    const commission = payment.status === 'none' ? 0 : (payment.allocations.find((allocation) => allocation.orderId === refund.orderId)?.commission ?? 0);
    if (commission <= 0 && !(order.coinsEarned && order.coinsEarned > 0)) return; // nothing was earned: nothing to take back
    const shares = earningsShares(await deps.store.readStream(orderStream(refund.orderId)), refund.refundId, commission);
    if (!shares) return; // the order has not recorded this refund yet
    const coins = await takeBackCoins(deps, refund, shares.coins, metadata);
    if (shares.commission === 0 && coins.due === 0) return;
    const recorded = await deps.handlers.refund.handle(
      refundStream(refund.refundId),
      { type: 'RecordEarningsReversal', reversal: { commission: shares.commission, coins }, at: deps.clock.now().toISOString() },
      { metadata, maxAttempts: 20 },
    );
    reversal = (recorded.state as ActiveRefund).earningsReversal ?? null;
  }
  if (!reversal) return;
  const event = {
    type: 'RefundEarningsReversed',
    data: { refundId: refund.refundId, orderId: refund.orderId, userId: refund.userId, merchantId: refund.merchantId, currency: refund.amount.currency, ...reversal, at: refund.refundedAt ?? '' },
  };
  for (const transfer of plannedTransfers(event)) await postTransfer(deps, transfer, metadata);
}

/**
 * The commission and coins refund `refundId` takes back, from the order's events (pure): null until the
 * order has recorded the refund (OrderRefunded). Coins count only refunds recorded after OrderCompleted.
 */
export function earningsShares(events: Array<Pick<RecordedEvent, 'type' | 'data'>>, refundId: string, commission: number): { commission: number; coins: number } | null {
  let total = 0;
  let refunded = 0;
  let completed: { coinsEarned: number; refundedBefore: number } | null = null;
  for (const raw of events) {
    const event = raw as OrderEvent;
    if (event.type === 'OrderPlaced') total = event.data.total.amount;
    else if (event.type === 'OrderCompleted') completed = { coinsEarned: event.data.coinsEarned, refundedBefore: refunded };
    else if (event.type === 'OrderRefunded') {
      const before = refunded;
      refunded += event.data.amount.amount;
      if (event.data.refundId !== refundId) continue;
      const everything = event.data.fullyRefunded;
      const commissionShare = share(commission, before, refunded, total, everything);
      let coins = 0;
      if (completed && completed.coinsEarned > 0) {
        const base = total - completed.refundedBefore;
        coins = share(completed.coinsEarned, before - completed.refundedBefore, refunded - completed.refundedBefore, base, everything);
      }
      return { commission: commissionShare, coins };
    }
  }
  return null;
}

/** floor(whole × after / base) − floor(whole × before / base), exact (BigInt); everything refunded takes the rest. */
function share(whole: number, before: number, after: number, base: number, everything: boolean): number {
  if (whole <= 0 || base <= 0) return 0;
  const upTo = (amount: number) => (amount >= base ? BigInt(whole) : (BigInt(whole) * BigInt(Math.max(0, amount))) / BigInt(base));
  return Number((everything ? BigInt(whole) : upTo(after)) - upTo(before));
}

/**
 * Debits the customer's coins "up to" `due` (transfer `refund-<R>-coins-clawback`): the account decider
 * takes min(due, balance) atomically. A retry after a crash finds the leg already posted and reads its amount.
 */
async function takeBackCoins(deps: EarningsDeps, refund: ActiveRefund, due: number, metadata: EventMetadata): Promise<EarningsReversal['coins']> {
  if (due <= 0) return { due: 0, taken: 0, shortfall: 0 };
  const transfer = coinsClawback(refund.refundId, refund.userId, due);
  const stream = accountStream(transfer.from);
  const leg = { transferId: transfer.transferId, accountId: transfer.from, counterpartyId: transfer.to, amount: due, currency: transfer.currency, cause: transfer.cause, at: deps.clock.now().toISOString() };
  const result = await deps.handlers.account.handle(stream, { type: 'Debit', leg, allowNegative: false, upTo: true }, { metadata, maxAttempts: 50 });
  let taken = result.events[0]?.data.amount ?? 0;
  if (result.events.length === 0 && result.state.posted.has(transfer.transferId)) taken = await postedDebit(deps, stream, transfer.transferId);
  return { due, taken, shortfall: due - taken };
}

async function postedDebit(deps: EarningsDeps, stream: string, transferId: string): Promise<number> {
  const events = await deps.store.readStream(stream);
  const leg = events.find((event) => event.type === 'AccountDebited' && (event as unknown as AccountEvent).data.transferId === transferId);
  return leg ? (leg as unknown as AccountEvent).data.amount : 0;
}
