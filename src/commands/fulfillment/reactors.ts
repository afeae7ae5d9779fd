import type { Deps } from '../../deps.js';
import type { EventMetadata, RecordedEvent } from '../../ports/event-store.js';
import { DomainError } from '../../kernel/errors.js';
import { reactorTarget, type Reactor } from '../../kernel/reactor.js';
import { orderStream } from '../../domain/orders/order.js';
import { plannedTransfers } from '../../domain/payments/transfers-plan.js';
import { ORDERS, type OrderView } from '../../projections/orders/orders.js';
import { postTransfer } from '../accounts/transfers.js';
import { advanceRefund, repairRefund } from '../refunds/refunds.js';
import { completeOrder, followUpShipment } from './shipments.js';
import { every, type Periodic } from '../../kernel/periodic.js';

const reactorMetadata = (event: RecordedEvent): EventMetadata => ({
  actor: { id: 'system', role: 'system' },
  causationId: event.id,
  ...(event.metadata.correlationId ? { correlationId: event.metadata.correlationId } : {}),
});

const isShipmentOutcome = (event: RecordedEvent) =>
  event.streamId.startsWith('shipment-') && (event.type === 'ShipmentDelivered' || event.type === 'ShipmentFailed' || event.type === 'ShipmentReturned');
const isRefundEvent = (event: RecordedEvent) => event.streamId.startsWith('refund-') || (event.streamId.startsWith('order-') && event.type === 'OrderRefundRequested');
const isOrderCompleted = (event: RecordedEvent) => event.streamId.startsWith('order-') && event.type === 'OrderCompleted';

function guarded(deps: Deps, name: string, handles: (event: RecordedEvent) => boolean, react: (event: RecordedEvent) => Promise<void>): Reactor {
  return {
    name,
    handles,
    async react(event) {
      try {
        await react(event);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        deps.logger.error({ err: error, type: event.type, streamId: event.streamId }, `${name}: follow-up refused`);
      }
    },
  };
}

/** A carrier's outcome reaches the order (delivered, or failed → automatic refund; returned → back to stock), at least once. */
export const shipmentFollowUps = (deps: Deps) =>
  guarded(deps, 'fulfillment-follow-ups', isShipmentOutcome, (event) => followUpShipment(deps, (event.data as { shipmentId: string }).shipmentId, reactorMetadata(event)));

/**
 * Every refund event moves its refund as far as it can go (release, pay out, record on the order), at
 * least once; a claim on the order (OrderRefundRequested) whose refund stream is missing gets it.
 */
export const refundFollowUps = (deps: Deps) =>
  guarded(deps, 'refund-follow-ups', isRefundEvent, async (event) => {
    const { refundId, orderId } = event.data as { refundId: string; orderId: string };
    // The repair acts for whoever asked for the refund: the claim's own metadata (actor, correlation, key).
    if (event.streamId.startsWith('order-')) await repairRefund(deps, orderId, refundId, { ...event.metadata, causationId: event.id });
    else await advanceRefund(deps, refundId, reactorMetadata(event));
  });

/** The coins a completed order earned (plannedTransfers of OrderCompleted). */
export const completionTransfers = (deps: Deps) =>
  guarded(deps, 'order-completion-transfers', isOrderCompleted, async (event) => {
    for (const transfer of plannedTransfers(event)) await postTransfer(deps, transfer, reactorMetadata(event));
  });

export interface AutoCompleteResult {
  checked: number;
  completed: number;
}

/** Delivered orders older than BAZAAR_AUTO_COMPLETE_DAYS complete by themselves (the clock is injectable: `now`). */
export async function autoCompleteDeliveredOrders(deps: Deps, options: { now?: Date } = {}): Promise<AutoCompleteResult> {
  const now = options.now ?? deps.clock.now();
  const dueBefore = now.getTime() - deps.config.BAZAAR_AUTO_COMPLETE_DAYS * 86_400_000;
  const metadata: EventMetadata = { actor: { id: 'system', role: 'system' }, correlationId: 'auto-complete-orders' };
  const result: AutoCompleteResult = { checked: 0, completed: 0 };
  let cursor: string | null = null;
  do {
    const page: { items: OrderView[]; nextCursor: string | null } = await deps.views.find<OrderView>(ORDERS, { where: { status: 'delivered' }, orderBy: { field: 'createdAt', direction: 'asc' }, limit: 100, cursor });
    for (const view of page.items) {
      result.checked++;
      const { state } = await deps.handlers.order.load(orderStream(view.id));
      if (state.status !== 'delivered' || !state.deliveredAt || Date.parse(state.deliveredAt) > dueBefore) continue;
      try {
        await completeOrder(deps, null, view.id, metadata, now);
        result.completed++;
      } catch (error) {
        deps.logger.error({ err: error, orderId: view.id }, 'could not complete a delivered order');
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  return result;
}

export const AUTO_COMPLETE_INTERVAL_MS = 60_000;

export function startAutoCompleteSweeper(deps: Deps, intervalMs = AUTO_COMPLETE_INTERVAL_MS): Periodic {
  return every(intervalMs, () => autoCompleteDeliveredOrders(deps), {
    logger: deps.logger,
    failure: 'auto-complete sweep failed',
    done: (result) => {
      if (result.completed > 0) deps.logger.info(result, 'delivered orders completed automatically');
    },
  });
}

/** The fulfilment and refund reactors as ProjectionRunner targets; `deps` is read when an event arrives. */
export function fulfillmentReactorTargets(getDeps: () => Deps, views: Deps['views']) {
  const lazy = (make: (deps: Deps) => Reactor, name: string, handles: (event: RecordedEvent) => boolean): Reactor => ({
    name,
    handles,
    react: (event) => make(getDeps()).react(event),
  });
  return [
    reactorTarget(lazy(shipmentFollowUps, 'fulfillment-follow-ups', isShipmentOutcome), views),
    reactorTarget(lazy(refundFollowUps, 'refund-follow-ups', isRefundEvent), views),
    reactorTarget(lazy(completionTransfers, 'order-completion-transfers', isOrderCompleted), views),
  ];
}
