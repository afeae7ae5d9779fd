import type { Deps } from '../../deps.js';
import type { EventMetadata, RecordedEvent } from '../../ports/event-store.js';
import { DomainError } from '../../kernel/errors.js';
import { reactorTarget, type Reactor } from '../../kernel/reactor.js';
import { accountIds, accountStream } from '../../domain/accounts/account-ids.js';
import { PAYMENT_EVENT_TYPES, WALLET_PROVIDER, type PaymentEvent } from '../../domain/payments/payment.js';
import { PAYMENTS, type PaymentView } from '../../projections/payments/payments.js';
import { applyCapture, applyDecline, followUp, postPlanned } from './settle.js';
import { every, type Periodic } from '../../kernel/periodic.js';

const paymentEvents = new Set<string>(PAYMENT_EVENT_TYPES);
const isPaymentEvent = (event: RecordedEvent) => event.streamId.startsWith('payment-') && paymentEvents.has(event.type);
const reactorMetadata = (event: RecordedEvent): EventMetadata => ({
  actor: { id: 'system', role: 'system' },
  causationId: event.id,
  ...(event.metadata.correlationId ? { correlationId: event.metadata.correlationId } : {}),
});

/** Posts exactly plannedTransfers(event) for every payment event (PaymentCaptured, PaymentDeclined, PaymentRefundedAfterCancel). */
export function postTransfersOnPaymentCaptured(deps: Deps): Reactor {
  return {
    name: 'payment-transfers',
    handles: isPaymentEvent,
    async react(event) {
      try {
        await postPlanned(deps, event, reactorMetadata(event));
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        deps.logger.error({ err: error, paymentId: (event.data as { paymentId: string }).paymentId, type: event.type }, 'a planned payment transfer was refused; reconciliation lists it');
      }
    },
  };
}

/** Finishes what a payment outcome implies (orders' stock, pay order, voucher, late refund, review flag), at least once. */
export function completePayments(deps: Deps): Reactor {
  return {
    name: 'payment-follow-ups',
    handles: isPaymentEvent,
    async react(event) {
      try {
        await followUp(deps, { type: event.type, data: event.data } as PaymentEvent, reactorMetadata(event));
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        deps.logger.error({ err: error, type: event.type }, 'payment follow-up refused');
      }
    },
  };
}

export interface StuckSweepResult {
  checked: number;
  captured: number;
  declined: number;
}

/**
 * The seed's 查询补单: payments pending longer than BAZAAR_PAYMENT_SETTLE_AFTER_SECONDS are settled by
 * asking the provider (a card), or the ledger (a wallet payment: captured if its wallet transfer posted).
 */
export async function settleStuckPayments(deps: Deps, options: { now?: Date } = {}): Promise<StuckSweepResult> {
  const now = options.now ?? deps.clock.now();
  const cutoff = now.getTime() - deps.config.BAZAAR_PAYMENT_SETTLE_AFTER_SECONDS * 1000;
  const result: StuckSweepResult = { checked: 0, captured: 0, declined: 0 };
  const metadata: EventMetadata = { actor: { id: 'system', role: 'system' }, correlationId: 'settle-stuck-payments' };
  let cursor: string | null = null;
  do {
    const page: { items: PaymentView[]; nextCursor: string | null } = await deps.views.find<PaymentView>(PAYMENTS, { where: { status: 'pending' }, orderBy: { field: 'createdAt', direction: 'asc' }, limit: 100, cursor });
    for (const view of page.items) {
      if (Date.parse(view.createdAt) > cutoff) return result;
      result.checked++;
      try {
        if (view.provider === WALLET_PROVIDER || view.amount.amount === 0) {
          const wallet = await deps.handlers.account.load(accountStream(accountIds.wallet(view.userId)));
          if (view.amount.amount === 0 || wallet.state.posted.has(`payment-${view.id}-wallet`)) {
            await applyCapture(deps, view.id, `${view.provider}-${view.id}`, metadata);
            result.captured++;
          } else {
            await applyDecline(deps, view.id, 'abandoned', metadata);
            result.declined++;
          }
          continue;
        }
        const charge = await deps.paymentProvider.query(view.id);
        if (charge?.status === 'captured' || charge?.status === 'refunded') {
          await applyCapture(deps, view.id, charge.providerRef, metadata);
          result.captured++;
        } else if (charge === null || charge.status === 'declined') {
          await applyDecline(deps, view.id, charge?.declineReason ?? 'not_found_at_provider', metadata);
          result.declined++;
        }
      } catch (error) {
        deps.logger.error({ err: error, paymentId: view.id }, 'could not settle a stuck payment');
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  return result;
}

export const PAYMENT_SWEEP_INTERVAL_MS = 10_000;

export function startPaymentSweeper(deps: Deps, intervalMs = PAYMENT_SWEEP_INTERVAL_MS): Periodic {
  return every(intervalMs, () => settleStuckPayments(deps), {
    logger: deps.logger,
    failure: 'stuck payment sweep failed',
    done: (result) => {
      if (result.checked > 0) deps.logger.info(result, 'stuck payments settled');
    },
  });
}

/** The payment reactors as ProjectionRunner targets; `deps` is read when an event arrives (the runner is built before deps). */
export function paymentReactorTargets(getDeps: () => Deps, views: Deps['views']) {
  const lazy = (make: (deps: Deps) => Reactor, name: string): Reactor => ({
    name,
    handles: isPaymentEvent,
    react: (event) => make(getDeps()).react(event),
  });
  const options = { logger: () => getDeps().logger };
  return [reactorTarget(lazy(postTransfersOnPaymentCaptured, 'payment-transfers'), views, options), reactorTarget(lazy(completePayments, 'payment-follow-ups'), views, options)];
}
