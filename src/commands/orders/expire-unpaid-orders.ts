import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import type { FindPage } from '../../ports/view-store.js';
import { systemActor } from '../../domain/common/actor.js';
import { ORDER_HOLDS, ORDERS, type OrderHoldDoc, type OrderView } from '../../projections/orders/orders.js';
import { releaseAll } from '../inventory/reservations.js';
import { returnReleasedToGates } from '../flash-sales/gate.js';
import { returnPromotion } from '../promotions/promotions.js';
import { expireOrder, loadOrder, releaseCancelled } from './orders.js';
import { every, type Periodic } from '../../kernel/periodic.js';

/**
 * The payment time-out reactor (docs/design.md §5). Each sweep:
 * 1. cancels the pending orders past `expiresAt` (order view, oldest expiry first; reason
 *    payment_timeout), giving back their stock and promotion share;
 * 2. goes through what orders still hold past their expiry (the `order_holds` view): an order that was
 *    never written (a checkout that crashed before its pay order) gets its reservations released and its
 *    promotion share returned; a pay order whose orders are missing gets them appended, then expired; a
 *    cancelled order whose give-back failed gets it redone. Paid orders are left alone.
 * Every step is an idempotent command, so overlapping sweeps or a crash mid-sweep release nothing twice.
 */
export interface SweepResult {
  expired: number;
  released: number;
}

const BATCH = 100;
const metadataFor = (orderId: string): EventMetadata => ({ actor: systemActor, correlationId: `expire-${orderId}` });

export async function expireUnpaidOrders(deps: Deps, options: { now?: Date; maxBatches?: number } = {}): Promise<SweepResult> {
  const now = options.now ?? deps.clock.now();
  const nowIso = now.toISOString();
  const result: SweepResult = { expired: 0, released: 0 };
  const maxBatches = options.maxBatches ?? 10;

  for (let batch = 0, cursor: string | null = null; batch < maxBatches; batch++) {
    const page: FindPage<OrderView> = await deps.views.find<OrderView>(ORDERS, { where: { status: 'pending_payment' }, orderBy: { field: 'expiresAt', direction: 'asc' }, limit: BATCH, cursor });
    const due = page.items.filter((order) => order.expiresAt <= nowIso);
    for (const order of due) {
      try {
        const expired = await expireOrder(deps, order.id, order.payOrderId, now, metadataFor(order.id));
        if (expired.order.status === 'cancelled') result.expired++;
      } catch (error) {
        deps.logger.error({ err: error, orderId: order.id }, 'could not expire an unpaid order');
      }
    }
    if (due.length < page.items.length || !page.nextCursor) break;
    cursor = page.nextCursor;
  }

  for (let batch = 0, cursor: string | null = null; batch < maxBatches; batch++) {
    const page: FindPage<OrderHoldDoc> = await deps.views.find<OrderHoldDoc>(ORDER_HOLDS, { orderBy: { field: 'expiresAt', direction: 'asc' }, limit: BATCH, cursor });
    const due = page.items.filter((hold) => hold.expiresAt <= nowIso);
    for (const hold of due) {
      try {
        if (await settleHold(deps, hold, now)) result.released++;
      } catch (error) {
        deps.logger.error({ err: error, orderId: hold.id }, 'could not settle what an expired order holds');
      }
    }
    if (due.length < page.items.length || !page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return result;
}

/** True when it gave something back. */
async function settleHold(deps: Deps, hold: OrderHoldDoc, now: Date): Promise<boolean> {
  const metadata = metadataFor(hold.id);
  const loaded = await loadOrder(deps, hold.id, hold.payOrderId, metadata);
  if (!loaded) {
    // The checkout never wrote its pay order: nothing will ever pay for these. Units a flash sale's gate
    // admitted go back to it (once: only what this call released).
    const at = now.toISOString();
    const released = await releaseAll(deps, Object.keys(hold.stock).map((skuId) => ({ skuId, orderId: hold.id })), 'abandoned', at, metadata);
    await returnReleasedToGates(deps, released, (skuId) => hold.flashSales?.[skuId]);
    if (hold.promotion) await returnPromotion(deps, { code: hold.promotion.code, redemptionId: hold.promotion.redemptionId, orderIds: [hold.id], at }, metadata);
    return true;
  }
  if (loaded.order.status === 'pending_payment') {
    await expireOrder(deps, hold.id, hold.payOrderId, now, metadata);
    return true;
  }
  if (loaded.order.status === 'cancelled') {
    await releaseCancelled(deps, loaded.order, metadata);
    return true;
  }
  return false;
}

export const SWEEP_INTERVAL_MS = 5000;

/** Runs the sweep every `intervalMs` (unref'd: it never keeps the process alive); `stop` waits for a running sweep. */
export function startExpirySweeper(deps: Deps, intervalMs = SWEEP_INTERVAL_MS): Periodic {
  return every(intervalMs, () => expireUnpaidOrders(deps), {
    logger: deps.logger,
    failure: 'expiry sweep failed',
    done: (result) => {
      if (result.expired + result.released > 0) deps.logger.info(result, 'unpaid orders expired');
    },
  });
}
