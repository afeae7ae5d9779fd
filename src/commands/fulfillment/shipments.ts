import { ulid } from 'ulid';
import { callbackOfShape, verifiedCallbackBody } from '../../kernel/signed-callback.js';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import type { Actor } from '../../domain/common/actor.js';
import { DomainError, InvalidStateTransition, NotFoundError } from '../../kernel/errors.js';
import { orderStream, requireTransition, type ActiveOrder } from '../../domain/orders/order.js';
import { shipmentStream, type ActiveShipment } from '../../domain/fulfillment/shipment.js';
import { inventoryStream } from '../../domain/inventory/inventory.js';
import type { FulfillmentOutcome } from '../../ports/fulfillment-provider.js';
import { plannedTransfers } from '../../domain/payments/transfers-plan.js';
import { postTransfer } from '../accounts/transfers.js';
import { inventoryCommand } from '../inventory/reservations.js';
import { derivedId } from '../payments/pay.js';
import { requestRefund } from '../refunds/refunds.js';

/**
 * Fulfilment (seed: FulfillmentService, 订单履约和履约结果回调): a paid order is shipped (stock
 * re-validated), its tracking number corrected under If-Match (the ABA fix), and the carrier's signed
 * callback reports delivery (order delivered) or failure (order's fulfilment failed → automatic refund).
 * A delivered order completes when the customer confirms receipt or after BAZAAR_AUTO_COMPLETE_DAYS;
 * completion earns coins (a ledger transfer).
 */
type FulfillmentDeps = Deps;

export interface ShipmentAnswer {
  shipmentId: string;
  orderId: string;
  carrier: string;
  trackingNumber: string;
  status: string;
  revision: number;
  position: number;
}

const shipmentAnswer = (shipment: ActiveShipment, revision: number, position: number): ShipmentAnswer => ({
  shipmentId: shipment.shipmentId,
  orderId: shipment.orderId,
  carrier: shipment.carrier,
  trackingNumber: shipment.trackingNumber,
  status: shipment.status,
  revision,
  position,
});

async function loadOrderFor(deps: FulfillmentDeps, actor: Actor, orderId: string): Promise<ActiveOrder> {
  const { state } = await deps.handlers.order.load(orderStream(orderId));
  if (state.status === 'none') throw new NotFoundError('order');
  if (actor.role === 'merchant' && state.merchantId !== actor.id) throw new NotFoundError('order');
  return state;
}

/**
 * The seed's ValidateStock: a paid order's units must have left the shelf for it (its reservation
 * committed). Units that are not (a "take stock at payment" product that sold out) are taken now, or the
 * shipment is refused with OUT_OF_STOCK.
 */
async function ensureStockTaken(deps: FulfillmentDeps, order: ActiveOrder, at: string, metadata: EventMetadata): Promise<void> {
  const items = [...order.items].sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0));
  for (const item of items) {
    const { state } = await deps.handlers.inventory.load(inventoryStream(item.skuId));
    if (state.status === 'tracked' && state.settled?.[order.orderId] === 'committed') continue;
    if (state.status !== 'tracked' || !state.reservations?.[order.orderId]) {
      await inventoryCommand(deps, item.skuId, { type: 'ReserveStock', orderId: order.orderId, payOrderId: order.payOrderId, quantity: item.quantity, expiresAt: at, at }, metadata);
    }
    await inventoryCommand(deps, item.skuId, { type: 'CommitReservation', orderId: order.orderId, at }, metadata);
  }
}

export async function createShipment(
  deps: FulfillmentDeps,
  actor: Actor,
  input: { orderId: string; carrier: string; trackingNumber: string; idempotencyKey?: string | undefined },
  metadata: EventMetadata,
): Promise<ShipmentAnswer> {
  const at = deps.clock.now().toISOString();
  const order = await loadOrderFor(deps, actor, input.orderId);
  const shipmentId = input.idempotencyKey ? derivedId('shipment', input.orderId, input.idempotencyKey) : ulid();
  if (order.shipmentId !== shipmentId) {
    if (order.shipmentId) throw new InvalidStateTransition(order.status, 'ship an order that has a shipment');
    requireTransition(order.status, 'ship');
    const total = order.items.reduce((sum, item) => sum + item.quantity, 0);
    const claimed = Object.values(order.claimedUnits ?? {}).reduce((sum, units) => sum + units, 0);
    if (claimed >= total) throw new InvalidStateTransition(order.refundStatus, 'ship an order whose every unit is being refunded');
    await ensureStockTaken(deps, order, at, metadata);
    await deps.handlers.order.handle(orderStream(order.orderId), { type: 'ShipOrder', shipmentId, at }, { metadata, maxAttempts: 20 });
  }
  const created = await deps.handlers.shipment.handle(
    shipmentStream(shipmentId),
    { type: 'CreateShipment', shipment: { shipmentId, orderId: order.orderId, userId: order.userId, merchantId: order.merchantId, carrier: input.carrier, trackingNumber: input.trackingNumber }, at },
    { metadata },
  );
  const shipment = created.state as ActiveShipment;
  await deps.fulfillmentProvider.dispatch({ shipmentId, orderId: order.orderId, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber });
  return shipmentAnswer(shipment, created.revision, created.position);
}

export async function getShipment(deps: FulfillmentDeps, actor: Actor, orderId: string, shipmentId: string): Promise<ShipmentAnswer> {
  await loadOrderFor(deps, actor, orderId);
  const loaded = await deps.handlers.shipment.load(shipmentStream(shipmentId));
  if (loaded.state.status === 'none' || loaded.state.orderId !== orderId) throw new NotFoundError('shipment');
  return shipmentAnswer(loaded.state, loaded.revision, loaded.position);
}

/** PATCH with If-Match (required: without it a delayed retry could overwrite a newer number → 428). */
export async function changeTrackingNumber(
  deps: FulfillmentDeps,
  actor: Actor,
  input: { orderId: string; shipmentId: string; trackingNumber: string; expectedRevision: number | undefined },
  metadata: EventMetadata,
): Promise<ShipmentAnswer> {
  if (input.expectedRevision === undefined) throw new DomainError('PRECONDITION_REQUIRED', 'send If-Match with the ETag of the shipment you last read');
  await getShipment(deps, actor, input.orderId, input.shipmentId);
  const result = await deps.handlers.shipment.handle(
    shipmentStream(input.shipmentId),
    { type: 'ChangeTrackingNumber', trackingNumber: input.trackingNumber, at: deps.clock.now().toISOString() },
    { metadata, expectedRevision: input.expectedRevision, maxAttempts: 1 },
  );
  return shipmentAnswer(result.state as ActiveShipment, result.revision, result.position);
}

/**
 * The carrier's outcome. Duplicates decide nothing; a contradiction (delivered after failed) is ignored
 * and answered with the shipment as it is. The order follows; a failure refunds the order automatically.
 */
export async function recordOutcome(deps: FulfillmentDeps, shipmentId: string, outcome: FulfillmentOutcome, reason: string | undefined, metadata: EventMetadata): Promise<ShipmentAnswer> {
  const at = deps.clock.now().toISOString();
  try {
    await deps.handlers.shipment.handle(
      shipmentStream(shipmentId),
      outcome === 'delivered' ? { type: 'RecordDelivered', at } : outcome === 'returned' ? { type: 'RecordReturned', at } : { type: 'RecordFailed', reason: reason ?? 'carrier_failed', at },
      { metadata, maxAttempts: 20 },
    );
  } catch (error) {
    if (!(error instanceof InvalidStateTransition)) throw error;
    deps.logger.warn({ shipmentId, outcome }, 'carrier outcome contradicts the shipment; ignored');
  }
  await followUpShipment(deps, shipmentId, metadata);
  const loaded = await deps.handlers.shipment.load(shipmentStream(shipmentId));
  return shipmentAnswer(loaded.state as ActiveShipment, loaded.revision, loaded.position);
}

/** What a shipment's status implies for its order; idempotent (also run by the fulfilment reactor). */
export async function followUpShipment(deps: FulfillmentDeps, shipmentId: string, metadata: EventMetadata): Promise<void> {
  const { state: shipment } = await deps.handlers.shipment.load(shipmentStream(shipmentId));
  if (shipment.status === 'none') throw new NotFoundError('shipment');
  const stream = orderStream(shipment.orderId);
  if (shipment.status === 'delivered') {
    await deps.handlers.order.handle(stream, { type: 'DeliverOrder', shipmentId, at: shipment.deliveredAt! }, { metadata, maxAttempts: 20 });
  } else if (shipment.status === 'failed' || shipment.status === 'returned') {
    // Once a return refund closed the order (fulfilment `returned`), the failure has nothing left to change there.
    const { state: current } = await deps.handlers.order.load(stream);
    if (current.status !== 'none' && current.fulfillmentStatus === 'shipped') {
      await deps.handlers.order.handle(stream, { type: 'FailFulfillment', shipmentId, reason: shipment.failureReason ?? 'failed', at: shipment.failedAt! }, { metadata, maxAttempts: 20 });
    }
    if (shipment.status === 'returned') await restockReturnedParcel(deps, shipment, metadata);
    // FailedFulfillmentRefundOrderService: everything still refundable goes back, automatically.
    const { state: order } = await deps.handlers.order.load(stream);
    if (order.status === 'none' || order.status === 'closed') return;
    await requestRefund(
      deps,
      { id: 'system', role: 'system' },
      { orderId: shipment.orderId, type: 'refund_only', items: [], reason: `fulfillment failed: ${shipment.failureReason ?? 'failed'}`, initiator: 'system', refundId: `${shipmentId}-failed` },
      metadata,
    ).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'NOTHING_TO_REFUND') return null;
      throw error;
    });
  }
}

/**
 * The parcel of a failed delivery is back: every unit of the order returns to stock, one RestockReturn
 * per SKU keyed by `returned-<shipmentId>` (the inventory remembers the key, so a duplicate callback or a
 * re-run of this follow-up adds nothing).
 */
async function restockReturnedParcel(deps: FulfillmentDeps, shipment: ActiveShipment, metadata: EventMetadata): Promise<void> {
  const { state: order } = await deps.handlers.order.load(orderStream(shipment.orderId));
  if (order.status === 'none') return;
  const bySku = new Map<string, number>();
  for (const item of order.items) bySku.set(item.skuId, (bySku.get(item.skuId) ?? 0) + item.quantity);
  const at = shipment.returnedAt ?? deps.clock.now().toISOString();
  for (const [skuId, quantity] of [...bySku].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    try {
      await inventoryCommand(deps, skuId, { type: 'RestockReturn', refundId: `returned-${shipment.shipmentId}`, quantity, at }, metadata);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      deps.logger.warn({ err: error, shipmentId: shipment.shipmentId, skuId }, 'a returned parcel could not go back to stock');
    }
  }
}

const CallbackSchema = z.object({
  shipmentId: z.string().min(1).max(100),
  status: z.enum(['delivered', 'failed', 'returned']),
  reason: z.string().max(200).optional(),
});

/** POST /fulfillment/callbacks/:provider: signature first (401), then the outcome. */
export async function receiveFulfillmentCallback(deps: FulfillmentDeps, providerName: string, rawBody: string, signature: string | undefined, metadata: EventMetadata = {}): Promise<ShipmentAnswer> {
  const provider = deps.fulfillmentProvider;
  const callback = callbackOfShape(CallbackSchema, verifiedCallbackBody(provider, providerName, rawBody, signature, 'fulfillment provider'));
  const meta: EventMetadata = { ...metadata, actor: { id: `carrier:${provider.name}`, role: 'system' } };
  return recordOutcome(deps, callback.shipmentId, callback.status, callback.reason, meta);
}

/** Completes a delivered order (customer: owner only) and issues the coins it earned. */
export async function completeOrder(
  deps: FulfillmentDeps,
  actor: Actor | null,
  orderId: string,
  metadata: EventMetadata,
  now = deps.clock.now(),
  expectedVersion?: number,
): Promise<{ order: ActiveOrder; revision: number; position: number }> {
  const { state } = await deps.handlers.order.load(orderStream(orderId));
  if (state.status === 'none' || (actor && actor.role !== 'admin' && state.userId !== actor.id)) throw new NotFoundError('order');
  const result = await deps.handlers.order.handle(
    orderStream(orderId),
    { type: 'CompleteOrder', by: actor ? 'customer' : 'auto', autoCompleteAfterDays: deps.config.BAZAAR_AUTO_COMPLETE_DAYS, coinsEarnBps: deps.config.BAZAAR_COINS_EARN_BPS, coinsPerCny: deps.config.BAZAAR_COINS_PER_CNY, at: now.toISOString() },
    { metadata, maxAttempts: 20, ...(expectedVersion === undefined ? {} : { expectedRevision: expectedVersion }) },
  );
  for (const event of result.events) for (const transfer of plannedTransfers(event)) await postTransfer(deps, transfer, metadata);
  return { order: result.state as ActiveOrder, revision: result.revision, position: result.position };
}
