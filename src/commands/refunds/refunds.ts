import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import type { Actor } from '../../domain/common/actor.js';
import { DomainError, ForbiddenError, InvalidStateTransition, NotFoundError } from '../../kernel/errors.js';
import { orderStream, type ActiveOrder, type RefundLine } from '../../domain/orders/order.js';
import { paymentStream } from '../../domain/payments/payment.js';
import { plannedTransfers } from '../../domain/payments/transfers-plan.js';
import { refundStream, type ActiveRefund, type RefundEvent, type RefundInitiator, type RefundType } from '../../domain/refunds/refund.js';
import { voucherStream } from '../../domain/vouchers/voucher.js';
import { shipmentStream } from '../../domain/fulfillment/shipment.js';
import { postTransfer } from '../accounts/transfers.js';
import { inventoryCommand } from '../inventory/reservations.js';
import { derivedId } from '../payments/pay.js';
import { reverseEarnings } from './earnings.js';

/**
 * Refunds (seed: UserRefundOrderService, AdminRefundOrderService, FailedFulfillmentRefundOrderService,
 * RefundApproveService, ReturnPurchaseService, RefundService). A refund first reserves its units on the
 * order stream (OrderRefundRequested, priced and split over the tenders there), then opens its own
 * `refund-<id>` stream. `advanceRefund` moves an approved refund forward — wait for the return, give the
 * money back tender by tender, tell the order — idempotently: it runs right after each command and again
 * from the refund reactor (at-least-once), so a crash half-way is finished later.
 */
type RefundDeps = Pick<Deps, 'handlers' | 'clock' | 'logger' | 'paymentProvider' | 'store'>;

export interface RefundRequestInput {
  orderId: string;
  type: RefundType;
  /** Empty: everything still refundable. */
  items: RefundLine[];
  reason: string;
  initiator: RefundInitiator;
  idempotencyKey?: string | undefined;
  /** A fixed refund id (automatic refunds derive it from their cause). */
  refundId?: string;
}

export interface RefundAnswer {
  refundId: string;
  orderId: string;
  status: string;
  type: RefundType;
  amount: { amount: number; currency: string };
  items: RefundLine[];
  revision: number;
  position: number;
}

const answer = (refund: ActiveRefund, revision: number, position: number): RefundAnswer => ({
  refundId: refund.refundId,
  orderId: refund.orderId,
  status: refund.status,
  type: refund.type,
  amount: refund.amount,
  items: refund.items,
  revision,
  position,
});

export async function loadRefund(deps: Pick<Deps, 'handlers'>, refundId: string): Promise<{ refund: ActiveRefund; revision: number; position: number }> {
  const loaded = await deps.handlers.refund.load(refundStream(refundId));
  if (loaded.state.status === 'none') throw new NotFoundError('refund');
  return { refund: loaded.state, revision: loaded.revision, position: loaded.position };
}

/** Customers may refund their own orders; admins any; a merchant the orders of its store. */
function mayAct(actor: Actor, order: { userId: string; merchantId: string }, asCustomer: boolean): boolean {
  if (actor.role === 'admin' || actor.role === 'system') return true;
  if (actor.role === 'merchant') return order.merchantId === actor.id || (asCustomer && order.userId === actor.id);
  return asCustomer && order.userId === actor.id;
}

/** Requests a refund (customer, admin, or the system after a failed delivery); admin and system refunds are approved at once. */
export async function requestRefund(deps: RefundDeps, actor: Actor, input: RefundRequestInput, metadata: EventMetadata): Promise<RefundAnswer> {
  const at = deps.clock.now().toISOString();
  const { state: order } = await deps.handlers.order.load(orderStream(input.orderId));
  if (order.status === 'none' || !mayAct(actor, order, input.initiator === 'customer')) throw new NotFoundError('order');
  const items = [...input.items].sort((a, b) => (a.orderItemId < b.orderItemId ? -1 : a.orderItemId > b.orderItemId ? 1 : 0));
  const requestHash = createHash('sha256').update(JSON.stringify([input.orderId, input.type, items, input.reason])).digest('base64url');
  const refundId = input.refundId ?? (input.idempotencyKey ? derivedId('refund', actor.id, input.orderId, input.idempotencyKey) : ulid());
  const existing = await deps.handlers.refund.load(refundStream(refundId));
  if (existing.state.status !== 'none') {
    if (existing.state.requestHash !== requestHash || existing.state.orderId !== input.orderId) throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another refund request');
    return answer(existing.state, existing.revision, existing.position);
  }
  if (input.type === 'return_and_refund' && order.fulfillmentStatus === 'unfulfilled') {
    throw new InvalidStateTransition(order.status, 'return goods that were never shipped (ask for refund_only)');
  }
  if (!order.paymentId) throw new InvalidStateTransition(order.status, 'refund an unpaid order');
  const { state: payment } = await deps.handlers.payment.load(paymentStream(order.paymentId));
  if (payment.status === 'none') throw new NotFoundError('payment');
  const allocation = payment.allocations.find((candidate) => candidate.orderId === order.orderId);
  if (!allocation) throw new NotFoundError('payment allocation');

  // 1. Reserve the units on the order stream: concurrent refunds are serialised here and can never exceed what was paid.
  const claimed = await deps.handlers.order.handle(
    orderStream(order.orderId),
    {
      type: 'RequestRefund',
      refundId,
      items: input.items,
      allocation: { charged: allocation.charged, coins: allocation.coins, coinsValue: allocation.coinsValue, voucherValue: allocation.voucherValue },
      request: { type: input.type, reason: input.reason, initiator: input.initiator, requestHash },
      at,
    },
    { metadata, maxAttempts: 50 },
  );
  // 2. The refund itself (repairRefund opens it from the claim if this process dies here).
  return openRefund(deps, claimed.state as ActiveOrder, refundId, at, metadata);
}

/**
 * Opens the `refund-<id>` stream of a claim on the order (idempotent); admin and system refunds are
 * approved at once. The refund reactor calls it for every OrderRefundRequested, so a claim whose refund
 * stream was never written (a crash between the two appends) is completed.
 */
async function openRefund(deps: RefundDeps, order: ActiveOrder, refundId: string, at: string, metadata: EventMetadata): Promise<RefundAnswer> {
  const claim = order.refundClaims?.[refundId];
  if (!claim?.request) throw new Error(`refund ${refundId} was not claimed on order ${order.orderId}`);
  const request = claim.request;
  if (!order.paymentId) throw new InvalidStateTransition(order.status, 'refund an unpaid order');
  const { state: payment } = await deps.handlers.payment.load(paymentStream(order.paymentId));
  if (payment.status === 'none') throw new NotFoundError('payment');
  const initiator = request.initiator as RefundInitiator;
  const opened = await deps.handlers.refund.handle(
    refundStream(refundId),
    {
      type: 'RequestRefund',
      refund: {
        refundId,
        orderId: order.orderId,
        payOrderId: order.payOrderId,
        paymentId: payment.paymentId,
        userId: order.userId,
        merchantId: order.merchantId,
        type: request.type as RefundType,
        items: claim.items,
        amount: claim.amount,
        tenders: claim.tenders,
        reason: request.reason,
        initiator,
        method: payment.method,
        provider: payment.provider,
        requestHash: request.requestHash,
      },
      at,
    },
    { metadata, maxAttempts: 20 },
  );
  // The refund reactor may open (and approve) the same refund concurrently: both paths converge on advancing it.
  const status = (opened.state as ActiveRefund).status;
  if (initiator !== 'customer' && (status === 'requested' || status === 'approved')) return approveRefund(deps, { id: 'system', role: 'system' }, refundId, null, metadata);
  return answer(opened.state as ActiveRefund, opened.revision, opened.position);
}

/** The refund reactor's repair: a claim on the order whose refund stream is missing gets it. */
export async function repairRefund(deps: RefundDeps, orderId: string, refundId: string, metadata: EventMetadata): Promise<void> {
  const { state: existing } = await deps.handlers.refund.load(refundStream(refundId));
  if (existing.status !== 'none') return;
  const { state: order } = await deps.handlers.order.load(orderStream(orderId));
  if (order.status === 'none' || !order.refundClaims?.[refundId]?.request) return;
  await openRefund(deps, order, refundId, deps.clock.now().toISOString(), metadata);
}

/** Admin, or the order's merchant, approves; a refund-only then pays out at once. */
export async function approveRefund(deps: RefundDeps, actor: Actor, refundId: string, note: string | null, metadata: EventMetadata, expectedVersion?: number): Promise<RefundAnswer> {
  const { refund } = await loadRefund(deps, refundId);
  if (!mayAct(actor, refund, false)) throw new ForbiddenError('only an admin or the order’s merchant may decide on this refund');
  await deps.handlers.refund.handle(refundStream(refundId), { type: 'ApproveRefund', note, at: deps.clock.now().toISOString() }, { metadata, maxAttempts: 20, ...(expectedVersion === undefined ? {} : { expectedRevision: expectedVersion }) });
  return advanceRefund(deps, refundId, metadata);
}

/** Admin, or the order's merchant, rejects with a note; the units go back to the order's refundable pool. */
export async function rejectRefund(deps: RefundDeps, actor: Actor, refundId: string, note: string | null, metadata: EventMetadata, expectedVersion?: number): Promise<RefundAnswer> {
  const { refund } = await loadRefund(deps, refundId);
  if (!mayAct(actor, refund, false)) throw new ForbiddenError('only an admin or the order’s merchant may decide on this refund');
  await deps.handlers.refund.handle(refundStream(refundId), { type: 'RejectRefund', note, at: deps.clock.now().toISOString() }, { metadata, maxAttempts: 20, ...(expectedVersion === undefined ? {} : { expectedRevision: expectedVersion }) });
  return advanceRefund(deps, refundId, metadata);
}

/** The customer sends the goods back (return-and-refund, once approved). */
export async function recordReturnShipment(
  deps: RefundDeps,
  actor: Actor,
  refundId: string,
  shipment: { carrier: string; trackingNumber: string },
  metadata: EventMetadata,
  expectedVersion?: number,
): Promise<RefundAnswer> {
  const { refund } = await loadRefund(deps, refundId);
  if (actor.role !== 'admin' && refund.userId !== actor.id) throw new NotFoundError('refund');
  const result = await deps.handlers.refund.handle(refundStream(refundId), { type: 'RecordReturnShipment', ...shipment, at: deps.clock.now().toISOString() }, { metadata, maxAttempts: 20, ...(expectedVersion === undefined ? {} : { expectedRevision: expectedVersion }) });
  return answer(result.state as ActiveRefund, result.revision, result.position);
}

/** The goods are back: they return to stock, then the money moves. */
export async function receiveReturn(deps: RefundDeps, actor: Actor, refundId: string, metadata: EventMetadata, expectedVersion?: number): Promise<RefundAnswer> {
  const { refund } = await loadRefund(deps, refundId);
  if (!mayAct(actor, refund, false)) throw new ForbiddenError('only an admin or the order’s merchant may receive a return');
  await deps.handlers.refund.handle(refundStream(refundId), { type: 'ReceiveReturn', at: deps.clock.now().toISOString() }, { metadata, maxAttempts: 20, ...(expectedVersion === undefined ? {} : { expectedRevision: expectedVersion }) });
  // advanceRefund restocks (RestockReturn, idempotent per refund) before the money moves; the refund
  // reactor runs it again, so a crash between the receipt and the restock is repaired.
  return advanceRefund(deps, refundId, metadata);
}

/**
 * Goods of a received return back to stock: one RestockReturn per SKU, keyed by the refund (a resend decides
 * nothing). Goods whose delivery failed never reached the customer: they come back with the carrier's
 * returned parcel, which restocks the whole order, so a return of them restocks nothing more.
 */
async function restock(deps: RefundDeps, refund: ActiveRefund, metadata: EventMetadata): Promise<void> {
  const { state: order } = await deps.handlers.order.load(orderStream(refund.orderId));
  if (order.status === 'none') return;
  if (order.shipmentId) {
    const { state: shipment } = await deps.handlers.shipment.load(shipmentStream(order.shipmentId));
    if (shipment.status === 'failed' || shipment.status === 'returned') return;
  }
  const bySku = new Map<string, number>();
  for (const line of refund.items) {
    const item = order.items.find((candidate) => candidate.id === line.orderItemId);
    if (item) bySku.set(item.skuId, (bySku.get(item.skuId) ?? 0) + line.quantity);
  }
  const at = deps.clock.now().toISOString();
  for (const [skuId, quantity] of bySku) {
    try {
      await inventoryCommand(deps, skuId, { type: 'RestockReturn', refundId: refund.refundId, quantity, at }, metadata);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      deps.logger.warn({ err: error, refundId: refund.refundId, skuId }, 'returned goods could not go back to stock');
    }
  }
}

/**
 * Does the next step of a refund, as far as it can go: rejected → the order's units are released;
 * approved refund-only or returned → refunding → money back (card via the provider, wallet, coins) →
 * refunded → the order records it (and closes when everything is refunded); the voucher is reinstated
 * when the refund closes an order that was its payment's only order.
 */
export async function advanceRefund(deps: RefundDeps, refundId: string, metadata: EventMetadata): Promise<RefundAnswer> {
  let { refund } = await loadRefund(deps, refundId);
  const at = () => deps.clock.now().toISOString();
  if (refund.status === 'rejected') {
    await deps.handlers.order.handle(orderStream(refund.orderId), { type: 'ReleaseRefund', refundId, at: at() }, { metadata, maxAttempts: 50 });
  }
  if (refund.type === 'return_and_refund' && (refund.status === 'returned' || refund.status === 'refunding' || refund.status === 'refunded')) await restock(deps, refund, metadata);
  if ((refund.status === 'approved' && refund.type === 'refund_only') || refund.status === 'returned') {
    refund = (await deps.handlers.refund.handle(refundStream(refundId), { type: 'StartRefund', at: at() }, { metadata, maxAttempts: 20 })).state as ActiveRefund;
  }
  if (refund.status === 'refunding') {
    if (paysBackToCard(refund)) {
      // The provider answers with its reference at once, but the money has moved only when its signed
      // refund callback says so (confirmCardRefund); until then the refund stays `refunding`.
      // Asking again (the reactor) is idempotent at the provider, keyed by the refund id.
      await deps.paymentProvider.refund({ refundId, paymentId: refund.paymentId, amount: { amount: refund.tenders.charged, currency: refund.amount.currency } });
    } else {
      const completed = await deps.handlers.refund.handle(refundStream(refundId), { type: 'CompleteRefund', providerRef: `${refund.method}-${refundId}`, at: at() }, { metadata, maxAttempts: 20 });
      refund = completed.state as ActiveRefund;
    }
  }
  if (refund.status === 'refunded') await followUpCompleted(deps, refund, metadata);
  const loaded = await loadRefund(deps, refundId);
  return answer(loaded.refund, loaded.revision, loaded.position);
}

const paysBackToCard = (refund: ActiveRefund) => refund.method === 'card' && refund.tenders.charged > 0;

/**
 * The provider's signed refund callback (POST /payments/callbacks/:provider with `type: "refund"`): the
 * card share is back, so the refund completes with the provider's reference and its follow-ups run
 * (transfers, the order). A duplicate decides nothing and only repeats the idempotent follow-ups.
 */
export async function confirmCardRefund(deps: RefundDeps, callback: { refundId: string; paymentId: string; providerRef: string }, metadata: EventMetadata): Promise<RefundAnswer> {
  const { refund: current } = await loadRefund(deps, callback.refundId);
  if (current.paymentId !== callback.paymentId || !paysBackToCard(current)) throw new NotFoundError('card refund');
  const completed = await deps.handlers.refund.handle(refundStream(callback.refundId), { type: 'CompleteRefund', providerRef: callback.providerRef, at: deps.clock.now().toISOString() }, { metadata, maxAttempts: 20 });
  const refund = completed.state as ActiveRefund;
  if (refund.status === 'refunded') await followUpCompleted(deps, refund, metadata);
  const loaded = await loadRefund(deps, callback.refundId);
  return answer(loaded.refund, loaded.revision, loaded.position);
}

async function followUpCompleted(deps: RefundDeps, refund: ActiveRefund, metadata: EventMetadata): Promise<void> {
  const completed: RefundEvent = {
    type: 'RefundCompleted',
    data: {
      refundId: refund.refundId,
      orderId: refund.orderId,
      paymentId: refund.paymentId,
      payOrderId: refund.payOrderId,
      userId: refund.userId,
      merchantId: refund.merchantId,
      method: refund.method,
      provider: refund.provider,
      amount: refund.amount,
      tenders: refund.tenders,
      type: refund.type,
      providerRef: refund.providerRef ?? '',
      at: refund.refundedAt ?? deps.clock.now().toISOString(),
    },
  };
  for (const transfer of plannedTransfers(completed)) await postTransfer(deps, transfer, metadata);
  const recorded = await deps.handlers.order.handle(
    orderStream(refund.orderId),
    { type: 'RecordRefund', refundId: refund.refundId, returned: refund.type === 'return_and_refund', at: completed.data.at },
    { metadata, maxAttempts: 50 },
  );
  // What the order earned (the platform's commission, the coins of a completed order) goes back in proportion.
  await reverseEarnings(deps, refund, metadata);
  const order = recorded.state as ActiveOrder;
  if (order.status !== 'closed') return;
  const { state: payment } = await deps.handlers.payment.load(paymentStream(refund.paymentId));
  if (payment.status !== 'none' && payment.voucherCode && payment.allocations.length === 1) {
    await deps.handlers.voucher.handle(voucherStream(payment.voucherCode), { type: 'ReleaseVoucher', redemptionId: payment.paymentId, at: completed.data.at }, { metadata, maxAttempts: 20 });
  }
}

/** The order of a refund, for the routes' visibility check. */
export async function refundVisibleTo(deps: Pick<Deps, 'handlers'>, actor: Actor, refundId: string): Promise<ActiveRefund> {
  const { refund } = await loadRefund(deps, refundId);
  if (!mayAct(actor, refund, true)) throw new NotFoundError('refund');
  return refund;
}
