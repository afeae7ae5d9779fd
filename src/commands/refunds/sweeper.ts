import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { every, type Periodic } from '../../kernel/periodic.js';
import { REFUNDS, type RefundView } from '../../projections/orders/refunds.js';
import { advanceRefund, confirmCardRefund, loadRefund } from './refunds.js';

export interface StuckRefundSweepResult {
  checked: number;
  completed: number;
  /** Unknown to the provider: asked again (idempotent by refund id). */
  resubmitted: number;
}

/**
 * The seed's 查询补单 for refunds, as `settleStuckPayments` is for payments: a refund `refunding` for longer
 * than BAZAAR_PAYMENT_SETTLE_AFTER_SECONDS has lost its provider callback (or never reached the provider).
 * The provider is asked (`queryRefund`): refunded → the refund completes as the callback would have made it
 * (`confirmCardRefund`, its follow-ups included); unknown → the refund is asked for again; pending or
 * failed → left for the next sweep (a failure is logged for a person). Refunds with no card share complete
 * by themselves (`advanceRefund`). Candidates come from the refunds read model (`status: refunding`); the
 * refund stream decides.
 */
export async function settleStuckRefunds(deps: Deps, options: { now?: Date } = {}): Promise<StuckRefundSweepResult> {
  const now = options.now ?? deps.clock.now();
  const cutoff = now.getTime() - deps.config.BAZAAR_PAYMENT_SETTLE_AFTER_SECONDS * 1000;
  const result: StuckRefundSweepResult = { checked: 0, completed: 0, resubmitted: 0 };
  const metadata: EventMetadata = { actor: { id: 'system', role: 'system' }, correlationId: 'settle-stuck-refunds' };
  let cursor: string | null = null;
  do {
    const page: { items: RefundView[]; nextCursor: string | null } = await deps.views.find<RefundView>(REFUNDS, { where: { status: 'refunding' }, orderBy: { field: 'requestedAt', direction: 'asc' }, limit: 100, cursor });
    for (const view of page.items) {
      if (Date.parse(view.updatedAt) > cutoff) continue;
      try {
        const { refund } = await loadRefund(deps, view.id);
        if (refund.status !== 'refunding' || Date.parse(refund.startedAt ?? view.updatedAt) > cutoff) continue;
        result.checked++;
        if (refund.method !== 'card' || refund.tenders.charged <= 0) {
          await advanceRefund(deps, refund.refundId, metadata);
          continue;
        }
        const known = await deps.paymentProvider.queryRefund(refund.refundId);
        if (known?.status === 'refunded') {
          await confirmCardRefund(deps, { refundId: refund.refundId, paymentId: refund.paymentId, providerRef: known.providerRef }, metadata);
          result.completed++;
        } else if (known === null) {
          await advanceRefund(deps, refund.refundId, metadata);
          result.resubmitted++;
        } else if (known.status === 'failed') {
          deps.logger.error({ refundId: refund.refundId, paymentId: refund.paymentId }, 'the provider failed a refund; a person must pay it back');
        }
      } catch (error) {
        deps.logger.error({ err: error, refundId: view.id }, 'could not settle a stuck refund');
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  return result;
}

export const REFUND_SWEEP_INTERVAL_MS = 10_000;

export function startRefundSweeper(deps: Deps, intervalMs = REFUND_SWEEP_INTERVAL_MS): Periodic {
  return every(intervalMs, () => settleStuckRefunds(deps), {
    logger: deps.logger,
    failure: 'stuck refund sweep failed',
    done: (result) => {
      if (result.checked > 0) deps.logger.info(result, 'stuck refunds settled');
    },
  });
}
