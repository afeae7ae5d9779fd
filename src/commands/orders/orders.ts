import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError } from '../../kernel/errors.js';
import type { Actor } from '../../domain/common/actor.js';
import { orderStream, type ActiveOrder, type OrderCommand } from '../../domain/orders/order.js';
import { payOrderStream } from '../../domain/orders/pay-order.js';
import { releaseAll } from '../inventory/reservations.js';
import { returnReleasedToGates } from '../flash-sales/gate.js';
import { returnPromotion } from '../promotions/promotions.js';
import { ensureOrders } from './place-order.js';
import { ORDERS, type OrderView } from '../../projections/orders/orders.js';

/** Cancel and expire orders; each gives back what the order holds (stock, promotion share), idempotently. */
export interface OrderCommandResult {
  order: ActiveOrder;
  version: number;
  position: number;
}

/**
 * The order from its stream; when the stream is missing but its pay order names it (a crash between
 * the appends), the order is appended from the pay order first. `payOrderId` is where to look.
 */
export async function loadOrder(deps: Deps, orderId: string, payOrderId: string | null, metadata: EventMetadata): Promise<{ order: ActiveOrder; revision: number } | null> {
  let loaded = await deps.handlers.order.load(orderStream(orderId));
  if (loaded.state.status === 'none' && payOrderId) {
    const { state: payOrder } = await deps.handlers.payOrder.load(payOrderStream(payOrderId));
    if (payOrder.status !== 'none' && payOrder.orders.some((order) => order.orderId === orderId)) {
      await ensureOrders(deps, payOrder, metadata);
      loaded = await deps.handlers.order.load(orderStream(orderId));
    }
  }
  return loaded.state.status === 'none' ? null : { order: loaded.state, revision: loaded.revision };
}

/** What a cancelled order gives back: its stock reservations, its promotion share; and the pay order learns of it. */
export async function releaseCancelled(deps: Deps, order: ActiveOrder, metadata: EventMetadata): Promise<void> {
  const at = deps.clock.now().toISOString();
  const reason = order.cancelReason ?? 'cancelled';
  const released = await releaseAll(deps, order.items.filter((item) => item.reserved).map((item) => ({ skuId: item.skuId, orderId: order.orderId })), reason, at, metadata);
  await returnReleasedToGates(deps, released, (skuId) => order.items.find((item) => item.skuId === skuId)?.flashSaleId);
  if (order.promotionCode && order.discount.amount > 0) {
    await returnPromotion(deps, { code: order.promotionCode, redemptionId: order.payOrderId, orderIds: [order.orderId], at }, metadata);
  }
  await deps.handlers.payOrder.handle(payOrderStream(order.payOrderId), { type: 'RecordOrderCancelled', orderId: order.orderId, at }, { metadata, maxAttempts: 20 });
}

async function run(
  deps: Deps,
  orderId: string,
  command: OrderCommand,
  metadata: EventMetadata,
  payOrderId: string | null,
  allowed?: (order: ActiveOrder) => boolean,
  expectedVersion?: number,
): Promise<OrderCommandResult> {
  const loaded = await loadOrder(deps, orderId, payOrderId, metadata);
  if (!loaded || (allowed && !allowed(loaded.order))) throw new NotFoundError('order');
  // If-Match (expectedVersion): the order's revision the client last saw; stale → VersionConflict (412).
  const result = await deps.handlers.order.handle(orderStream(orderId), command, { metadata, maxAttempts: 20, ...(expectedVersion === undefined ? {} : { expectedRevision: expectedVersion }) });
  const order = result.state as ActiveOrder;
  // Also when the order was already cancelled: a retry finishes what a crash left undone.
  if (order.status === 'cancelled') await releaseCancelled(deps, order, metadata);
  return { order, version: result.revision, position: result.position };
}

/** POST /orders/:id/cancel: the owner or an admin, only while pending_payment (else INVALID_STATE_TRANSITION); another customer's order is 404. */
export async function cancelOrder(deps: Deps, actor: Actor, orderId: string, metadata: EventMetadata, expectedVersion?: number): Promise<OrderCommandResult> {
  const reason = actor.role === 'admin' ? 'admin' : 'customer';
  const view = await deps.views.get<OrderView>(ORDERS, orderId);
  const owns = (order: ActiveOrder) => actor.role === 'admin' || order.userId === actor.id;
  return run(deps, orderId, { type: 'CancelOrder', reason, at: deps.clock.now().toISOString() }, metadata, view?.payOrderId ?? null, owns, expectedVersion);
}

/** The payment time-out (refused before expiresAt). */
export function expireOrder(deps: Deps, orderId: string, payOrderId: string | null, at: Date, metadata: EventMetadata): Promise<OrderCommandResult> {
  return run(deps, orderId, { type: 'ExpireOrder', at: at.toISOString() }, metadata, payOrderId);
}
