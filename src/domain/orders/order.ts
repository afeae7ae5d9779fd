import { DomainError, InvalidStateTransition, NotFoundError, ValidationError } from '../../kernel/errors.js';
import { allocate } from './allocation.js';
import type { Decider } from '../../kernel/decider.js';
import type { Money } from '../common/money.js';
import type { Address } from '../users/user.js';

/**
 * An order (`order-<id>`, an order row with its item rows): the part of a checkout sold by one merchant.
 * Status (docs/orders.md): pending_payment → paid → shipped → delivered → completed, `cancelled` (from
 * pending_payment only: the customer, an admin, the payment time-out) and `closed` (all refunded). Beside
 * it, as an order table keeps them, paymentStatus, fulfillmentStatus and refundStatus.
 *
 * Today the decider places, cancels and expires orders; ORDER_TRANSITIONS lists, for every action, the
 * statuses it is allowed from, and anything else is INVALID_STATE_TRANSITION. Payment, fulfilment and
 * refunds add their commands against the same table.
 */
export const ORDER_STATUSES = ['pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled', 'closed'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PAYMENT_STATUSES = ['unpaid', 'paid', 'partially_refunded', 'refunded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const FULFILLMENT_STATUSES = ['unfulfilled', 'shipped', 'delivered', 'failed', 'returned'] as const;
export type FulfillmentStatus = (typeof FULFILLMENT_STATUSES)[number];
export const REFUND_STATUSES = ['none', 'requested', 'partially_refunded', 'refunded'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
export const CANCEL_REASONS = ['customer', 'admin', 'payment_timeout'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export type OrderAction = 'cancel' | 'expire' | 'pay' | 'ship' | 'deliver' | 'fail_fulfillment' | 'complete' | 'refund' | 'close';

/** The statuses each action is allowed from (the state machine); every other pair is refused. */
export const ORDER_TRANSITIONS: Record<OrderAction, { from: OrderStatus[]; to: OrderStatus }> = {
  cancel: { from: ['pending_payment'], to: 'cancelled' },
  expire: { from: ['pending_payment'], to: 'cancelled' },
  pay: { from: ['pending_payment'], to: 'paid' },
  ship: { from: ['paid'], to: 'shipped' },
  deliver: { from: ['shipped'], to: 'delivered' },
  /** The carrier reports a failure: the status stays `shipped` (fulfillmentStatus `failed`) until the automatic refund closes it. */
  fail_fulfillment: { from: ['shipped'], to: 'shipped' },
  complete: { from: ['delivered'], to: 'completed' },
  /** Reserving refundable units (src/domain/refunds); the order becomes `closed` once everything is refunded. */
  refund: { from: ['paid', 'shipped', 'delivered', 'completed'], to: 'closed' },
  close: { from: ['paid', 'shipped', 'delivered', 'completed'], to: 'closed' },
};

export interface OrderItem {
  /** Order item id: `<orderId>-<n>`, n from 1. */
  id: string;
  skuId: string;
  productId: string;
  title: string;
  skuCode: string;
  salesAttributes: Record<string, string>;
  quantity: number;
  unitPrice: Money;
  /** unitPrice × quantity. */
  lineTotal: Money;
  /** This item's share of the promotion discount (largest remainder). */
  discount: Money;
  /** The product content the buyer saw (its item snapshot). */
  snapshotId: string;
  /** True when stock was reserved at order time (the product's takeStockAt is 'order'). */
  reserved: boolean;
  /** The flash sale whose gate admitted this line: a cancellation gives its units back to that gate. */
  flashSaleId?: string;
}

export interface OrderDefinition {
  orderId: string;
  payOrderId: string;
  userId: string;
  merchantId: string;
  items: OrderItem[];
  subtotal: Money;
  discount: Money;
  shipping: Money;
  total: Money;
  promotionCode: string | null;
  shippingAddress: Address;
  /** Unpaid after this, the order is cancelled (payment_timeout). */
  expiresAt: string;
}

/** One order line of a refund. */
export interface RefundLine {
  orderItemId: string;
  quantity: number;
}

/** A refund's share of each tender the order was paid with (minor units; coins in COIN). */
export interface RefundTenders {
  charged: number;
  coins: number;
  coinsValue: number;
  voucherValue: number;
}

/** A refund's claim on the order: the units it reserves and what they are worth. */
export interface RefundClaim {
  refundId: string;
  items: RefundLine[];
  amount: Money;
  tenders: RefundTenders;
  shipping: number;
  /** The amount of each order item's units in this claim. */
  itemAmounts?: Record<string, number>;
  /** What the refund was asked for: enough to open its `refund-<id>` stream again after a crash. */
  request?: RefundClaimRequest;
  settled: boolean;
}

export interface RefundClaimRequest {
  type: string;
  reason: string;
  initiator: string;
  requestHash: string;
}

export type OrderEvent =
  | { type: 'OrderPlaced'; data: OrderDefinition & { at: string } }
  | { type: 'OrderCancelled'; data: { orderId: string; reason: CancelReason; at: string } }
  /** The payment `paymentId` captured this order's share (src/commands/payments). */
  | { type: 'OrderPaid'; data: { orderId: string; payOrderId: string; paymentId: string; at: string } }
  /** Fulfilment (src/domain/fulfillment): the order's shipment left, arrived or failed. */
  | { type: 'OrderShipped'; data: { orderId: string; shipmentId: string; at: string } }
  | { type: 'OrderDelivered'; data: { orderId: string; shipmentId: string; at: string } }
  | { type: 'OrderFulfillmentFailed'; data: { orderId: string; shipmentId: string; reason: string; at: string } }
  /** Confirmed by the customer or automatically after BAZAAR_AUTO_COMPLETE_DAYS; `coinsEarned` are issued to the buyer. */
  | { type: 'OrderCompleted'; data: { orderId: string; userId: string; by: 'customer' | 'auto'; coinsEarned: number; at: string } }
  /** Refunds (src/domain/refunds): units reserved by a refund, given back (rejected), or refunded. */
  | { type: 'OrderRefundRequested'; data: RefundClaim & { orderId: string; at: string } }
  | { type: 'OrderRefundReleased'; data: { orderId: string; refundId: string; at: string } }
  | { type: 'OrderRefunded'; data: { orderId: string; refundId: string; items: RefundLine[]; amount: Money; returned: boolean; fullyRefunded: boolean; at: string } };

export type OrderCommand =
  | { type: 'PlaceOrder'; order: OrderDefinition; at: string }
  | { type: 'CancelOrder'; reason: 'customer' | 'admin'; at: string }
  /** The payment time-out: refused before expiresAt. */
  | { type: 'ExpireOrder'; at: string }
  /** Payment captured: pending_payment → paid; the same payment again decides nothing. */
  | { type: 'PayOrder'; paymentId: string; at: string }
  /** paid → shipped; the same shipment again decides nothing. */
  | { type: 'ShipOrder'; shipmentId: string; at: string }
  | { type: 'DeliverOrder'; shipmentId: string; at: string }
  | { type: 'FailFulfillment'; shipmentId: string; reason: string; at: string }
  /**
   * delivered → completed. `auto` is refused before deliveredAt + autoCompleteAfterDays. Coins earned:
   * (total − refunded) × coinsEarnBps / 10000 in CNY, × coinsPerCny coins per CNY 1.00, rounded down.
   */
  | { type: 'CompleteOrder'; by: 'customer' | 'auto'; autoCompleteAfterDays: number; coinsEarnBps: number; coinsPerCny: number; at: string }
  /**
   * Reserves refundable units for refund `refundId` (no items: everything still refundable). The order
   * stream serialises refunds, so concurrent requests can never together exceed what was paid.
   * `allocation` is the order's share of each tender of its payment.
   */
  | { type: 'RequestRefund'; refundId: string; items: RefundLine[]; allocation: RefundTenders; request?: RefundClaimRequest; at: string }
  | { type: 'ReleaseRefund'; refundId: string; at: string }
  | { type: 'RecordRefund'; refundId: string; returned: boolean; at: string };

export type ActiveOrder = OrderDefinition & {
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  fulfillmentStatus: FulfillmentStatus;
  refundStatus: RefundStatus;
  placedAt: string;
  cancelledAt: string | null;
  cancelReason: CancelReason | null;
  paymentId?: string | null;
  paidAt?: string | null;
  shipmentId?: string | null;
  deliveredAt?: string | null;
  completedAt?: string | null;
  coinsEarned?: number;
  /** Refund claims by refund id (open and settled). */
  refundClaims?: Record<string, RefundClaim>;
  /** Units claimed by refunds (open or settled) per order item, and the amount they are worth. */
  claimedUnits?: Record<string, number>;
  claimedAmount?: Record<string, number>;
  claimedTenders?: RefundTenders;
  claimedShipping?: number;
  /** Units refunded per order item. */
  refundedUnits?: Record<string, number>;
  refundedAmount?: number;
};

export type Order = { status: 'none' } | ActiveOrder;

export function evolve(state: Order, event: OrderEvent): Order {
  switch (event.type) {
    case 'OrderPlaced': {
      const { at, ...definition } = event.data;
      return { ...definition, status: 'pending_payment', paymentStatus: 'unpaid', fulfillmentStatus: 'unfulfilled', refundStatus: 'none', placedAt: at, cancelledAt: null, cancelReason: null };
    }
    case 'OrderCancelled':
      return state.status === 'none' ? state : { ...state, status: 'cancelled', cancelledAt: event.data.at, cancelReason: event.data.reason };
    case 'OrderPaid':
      return state.status === 'none' ? state : { ...state, status: 'paid', paymentStatus: 'paid', paymentId: event.data.paymentId, paidAt: event.data.at };
    default:
      return state.status === 'none' ? state : evolveAfterPayment(state, event);
  }
}

const NO_TENDERS: RefundTenders = { charged: 0, coins: 0, coinsValue: 0, voucherValue: 0 };
const addTenders = (a: RefundTenders, b: RefundTenders, sign = 1): RefundTenders => ({
  charged: a.charged + sign * b.charged,
  coins: a.coins + sign * b.coins,
  coinsValue: a.coinsValue + sign * b.coinsValue,
  voucherValue: a.voucherValue + sign * b.voucherValue,
});
const addUnits = (counts: Record<string, number>, lines: RefundLine[], sign = 1): Record<string, number> => {
  const next = { ...counts };
  for (const line of lines) next[line.orderItemId] = (next[line.orderItemId] ?? 0) + sign * line.quantity;
  return next;
};

function evolveAfterPayment(state: ActiveOrder, event: OrderEvent): ActiveOrder {
  switch (event.type) {
    case 'OrderShipped':
      return { ...state, status: 'shipped', fulfillmentStatus: 'shipped', shipmentId: event.data.shipmentId };
    case 'OrderDelivered':
      return { ...state, status: 'delivered', fulfillmentStatus: 'delivered', deliveredAt: event.data.at };
    case 'OrderFulfillmentFailed':
      return { ...state, fulfillmentStatus: 'failed' };
    case 'OrderCompleted':
      return { ...state, status: 'completed', completedAt: event.data.at, coinsEarned: event.data.coinsEarned };
    case 'OrderRefundRequested': {
      const { orderId: _orderId, at: _at, ...claim } = event.data;
      const claimedAmount = { ...(state.claimedAmount ?? {}) };
      for (const [itemId, amount] of Object.entries(claim.itemAmounts ?? {})) claimedAmount[itemId] = (claimedAmount[itemId] ?? 0) + amount;
      const next: ActiveOrder = {
        ...state,
        refundClaims: { ...(state.refundClaims ?? {}), [claim.refundId]: claim },
        claimedUnits: addUnits(state.claimedUnits ?? {}, claim.items),
        claimedAmount,
        claimedTenders: addTenders(state.claimedTenders ?? NO_TENDERS, claim.tenders),
        claimedShipping: (state.claimedShipping ?? 0) + claim.shipping,
      };
      return { ...next, refundStatus: refundStatusOf(next) };
    }
    case 'OrderRefundReleased': {
      const claim = state.refundClaims?.[event.data.refundId];
      if (!claim) return state;
      const claims = { ...(state.refundClaims ?? {}) };
      delete claims[claim.refundId];
      const claimedAmount = { ...(state.claimedAmount ?? {}) };
      for (const [itemId, amount] of Object.entries(claim.itemAmounts ?? {})) claimedAmount[itemId] = (claimedAmount[itemId] ?? 0) - amount;
      const next: ActiveOrder = {
        ...state,
        refundClaims: claims,
        claimedUnits: addUnits(state.claimedUnits ?? {}, claim.items, -1),
        claimedAmount,
        claimedTenders: addTenders(state.claimedTenders ?? NO_TENDERS, claim.tenders, -1),
        claimedShipping: (state.claimedShipping ?? 0) - claim.shipping,
      };
      return { ...next, refundStatus: refundStatusOf(next) };
    }
    case 'OrderRefunded': {
      const claim = state.refundClaims?.[event.data.refundId];
      if (!claim) return state;
      const next: ActiveOrder = {
        ...state,
        refundClaims: { ...(state.refundClaims ?? {}), [claim.refundId]: { ...claim, settled: true } },
        refundedUnits: addUnits(state.refundedUnits ?? {}, claim.items),
        refundedAmount: (state.refundedAmount ?? 0) + claim.amount.amount,
      };
      const everything = event.data.fullyRefunded;
      return {
        ...next,
        refundStatus: refundStatusOf(next),
        paymentStatus: everything ? 'refunded' : 'partially_refunded',
        status: everything ? 'closed' : next.status,
        fulfillmentStatus: everything && event.data.returned ? 'returned' : next.fulfillmentStatus,
      };
    }
    default:
      return state;
  }
}

/** The amount each order item's share of a claim is worth (see `claimRefund`). */
function claimAmounts(state: ActiveOrder, lines: RefundLine[]): Record<string, number> {
  const amounts: Record<string, number> = {};
  for (const line of lines) {
    const item = state.items.find((candidate) => candidate.id === line.orderItemId);
    if (!item) continue;
    const paid = item.lineTotal.amount - item.discount.amount;
    const claimed = state.claimedUnits?.[item.id] ?? 0;
    // The last units take what is left, so the claims of an item add up to exactly what was paid for it.
    amounts[item.id] = claimed + line.quantity === item.quantity ? paid - (state.claimedAmount?.[item.id] ?? 0) : Math.floor((paid * line.quantity) / item.quantity);
  }
  return amounts;
}

function refundStatusOf(order: ActiveOrder): RefundStatus {
  const claims = Object.values(order.refundClaims ?? {});
  if (claims.some((claim) => !claim.settled)) return 'requested';
  const refunded = Object.values(order.refundedUnits ?? {}).reduce((sum, units) => sum + units, 0);
  if (refunded === 0) return 'none';
  return refunded === order.items.reduce((sum, item) => sum + item.quantity, 0) ? 'refunded' : 'partially_refunded';
}

/** Units of an order item that no refund has claimed yet. */
export function refundableUnits(order: ActiveOrder, orderItemId: string): number {
  const item = order.items.find((candidate) => candidate.id === orderItemId);
  return item ? item.quantity - (order.claimedUnits?.[orderItemId] ?? 0) : 0;
}

export function decide(command: OrderCommand, state: Order): OrderEvent[] {
  switch (command.type) {
    case 'PlaceOrder':
      if (state.status !== 'none') {
        if (state.orderId === command.order.orderId && state.payOrderId === command.order.payOrderId) return []; // resent
        throw new InvalidStateTransition(state.status, 'place an order that already exists');
      }
      return [{ type: 'OrderPlaced', data: { ...command.order, at: command.at } }];
    case 'CancelOrder':
      return cancel(requireOrder(state), 'cancel', command.reason, command.at);
    case 'ExpireOrder': {
      const order = requireOrder(state);
      if (order.status === 'pending_payment' && Date.parse(command.at) < Date.parse(order.expiresAt)) {
        throw new DomainError('ORDER_NOT_EXPIRED', `the order can be paid until ${order.expiresAt}`);
      }
      return cancel(order, 'expire', 'payment_timeout', command.at);
    }
    case 'PayOrder': {
      const order = requireOrder(state);
      if (order.paymentId === command.paymentId) return []; // paid by this payment already
      requireTransition(order.status, 'pay');
      return [{ type: 'OrderPaid', data: { orderId: order.orderId, payOrderId: order.payOrderId, paymentId: command.paymentId, at: command.at } }];
    }
    case 'ShipOrder': {
      const order = requireOrder(state);
      if (order.shipmentId === command.shipmentId) return [];
      requireTransition(order.status, 'ship');
      return [{ type: 'OrderShipped', data: { orderId: order.orderId, shipmentId: command.shipmentId, at: command.at } }];
    }
    case 'DeliverOrder': {
      const order = requireOrder(state);
      if (order.shipmentId === command.shipmentId && order.fulfillmentStatus === 'delivered') return [];
      if (order.shipmentId !== command.shipmentId) throw new InvalidStateTransition(order.status, `deliver shipment ${command.shipmentId}, which is not the order's,`);
      requireTransition(order.status, 'deliver');
      return [{ type: 'OrderDelivered', data: { orderId: order.orderId, shipmentId: command.shipmentId, at: command.at } }];
    }
    case 'FailFulfillment': {
      const order = requireOrder(state);
      if (order.shipmentId === command.shipmentId && order.fulfillmentStatus === 'failed') return [];
      if (order.shipmentId !== command.shipmentId) throw new InvalidStateTransition(order.status, `fail shipment ${command.shipmentId}, which is not the order's,`);
      requireTransition(order.status, 'fail_fulfillment');
      return [{ type: 'OrderFulfillmentFailed', data: { orderId: order.orderId, shipmentId: command.shipmentId, reason: command.reason, at: command.at } }];
    }
    case 'CompleteOrder': {
      const order = requireOrder(state);
      if (order.status === 'completed') return [];
      requireTransition(order.status, 'complete');
      if (command.by === 'auto') {
        const due = Date.parse(order.deliveredAt ?? order.placedAt) + command.autoCompleteAfterDays * 86_400_000;
        if (Date.parse(command.at) < due) throw new DomainError('ORDER_NOT_DUE', `the order completes automatically from ${new Date(due).toISOString()}`);
      }
      const base = Math.max(0, order.total.amount - (order.refundedAmount ?? 0));
      const coinsEarned = Number((BigInt(base) * BigInt(command.coinsEarnBps) * BigInt(command.coinsPerCny)) / 1_000_000n);
      return [{ type: 'OrderCompleted', data: { orderId: order.orderId, userId: order.userId, by: command.by, coinsEarned, at: command.at } }];
    }
    case 'RequestRefund':
      return claimRefund(requireOrder(state), command);
    case 'ReleaseRefund': {
      const order = requireOrder(state);
      const claim = order.refundClaims?.[command.refundId];
      if (!claim) return [];
      if (claim.settled) throw new InvalidStateTransition('refunded', 'release a refund that was paid');
      return [{ type: 'OrderRefundReleased', data: { orderId: order.orderId, refundId: command.refundId, at: command.at } }];
    }
    case 'RecordRefund': {
      const order = requireOrder(state);
      const claim = order.refundClaims?.[command.refundId];
      if (!claim) throw new NotFoundError('refund claim');
      if (claim.settled) return [];
      const refunded = addUnits(order.refundedUnits ?? {}, claim.items);
      const fullyRefunded = order.items.every((item) => (refunded[item.id] ?? 0) >= item.quantity);
      return [{ type: 'OrderRefunded', data: { orderId: order.orderId, refundId: claim.refundId, items: claim.items, amount: claim.amount, returned: command.returned, fullyRefunded, at: command.at } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

/**
 * Reserves the units of a refund on the order and prices them: an item's units are worth
 * floor(paid × units / quantity), its last units what is left of what was paid for it (lineTotal −
 * discount); the claim that takes the order's last units also takes its shipping. The amount is split
 * over the tenders in proportion to what each still has to give back (largest remainder), and the last
 * claim takes exactly the remainders, so no tender ever gives back more than it paid.
 */
function claimRefund(order: ActiveOrder, command: Extract<OrderCommand, { type: 'RequestRefund' }>): OrderEvent[] {
  if (order.refundClaims?.[command.refundId]) return []; // resent
  requireTransition(order.status, 'refund');
  const lines: RefundLine[] =
    command.items.length > 0
      ? command.items
      : order.items.map((item) => ({ orderItemId: item.id, quantity: refundableUnits(order, item.id) })).filter((line) => line.quantity > 0);
  if (lines.length === 0) throw new DomainError('NOTHING_TO_REFUND', 'every unit of this order is refunded or being refunded');
  const seen = new Set<string>();
  lines.forEach((line, index) => {
    const item = order.items.find((candidate) => candidate.id === line.orderItemId);
    if (!item) throw new ValidationError('unknown order item', [{ path: `items.${index}.orderItemId`, message: `${line.orderItemId} is not an item of this order` }]);
    if (seen.has(line.orderItemId)) throw new ValidationError('an order item appears twice', [{ path: `items.${index}.orderItemId`, message: 'list each order item once' }]);
    seen.add(line.orderItemId);
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) throw new ValidationError('invalid quantity', [{ path: `items.${index}.quantity`, message: 'must be a positive integer' }]);
    const left = refundableUnits(order, line.orderItemId);
    if (line.quantity > left) {
      throw new DomainError('REFUND_EXCEEDS_PAID', `only ${left} unit(s) of ${line.orderItemId} can still be refunded`, { orderItemId: line.orderItemId, refundable: left, requested: line.quantity });
    }
  });
  const itemAmounts = claimAmounts(order, lines);
  const claimedAfter = addUnits(order.claimedUnits ?? {}, lines);
  const everything = order.items.every((item) => (claimedAfter[item.id] ?? 0) >= item.quantity);
  const shipping = everything ? order.shipping.amount - (order.claimedShipping ?? 0) : 0;
  const amount = Object.values(itemAmounts).reduce((sum, value) => sum + value, 0) + shipping;
  const claimed = order.claimedTenders ?? NO_TENDERS;
  const left = addTenders(command.allocation, claimed, -1);
  let tenders: RefundTenders;
  if (everything) tenders = left;
  else {
    const room = left.charged + left.coinsValue + left.voucherValue;
    if (amount > room) throw new DomainError('REFUND_EXCEEDS_PAID', `the refund of ${amount} exceeds the ${room} still refundable`);
    const [charged, coinsValue, voucherValue] = allocate(amount, [left.charged, left.coinsValue, left.voucherValue]) as [number, number, number];
    const coins = coinsValue === left.coinsValue ? left.coins : command.allocation.coinsValue > 0 ? Math.floor((command.allocation.coins * coinsValue) / command.allocation.coinsValue) : 0;
    tenders = { charged, coins, coinsValue, voucherValue };
  }
  return [
    {
      type: 'OrderRefundRequested',
      data: {
        orderId: order.orderId,
        refundId: command.refundId,
        items: lines,
        amount: { amount, currency: order.total.currency },
        tenders,
        shipping,
        itemAmounts,
        ...(command.request ? { request: command.request } : {}),
        settled: false,
        at: command.at,
      },
    },
  ];
}

function cancel(order: ActiveOrder, action: 'cancel' | 'expire', reason: CancelReason, at: string): OrderEvent[] {
  if (order.status === 'cancelled') return []; // the outcome already holds
  requireTransition(order.status, action);
  return [{ type: 'OrderCancelled', data: { orderId: order.orderId, reason, at } }];
}

export function canTransition(status: OrderStatus, action: OrderAction): boolean {
  return ORDER_TRANSITIONS[action].from.includes(status);
}

export function requireTransition(status: OrderStatus, action: OrderAction): void {
  if (!canTransition(status, action)) throw new InvalidStateTransition(status, `${action} the order`);
}

function requireOrder(state: Order): ActiveOrder {
  if (state.status === 'none') throw new NotFoundError('order');
  return state;
}

export const orderDecider: Decider<OrderCommand, OrderEvent, Order> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const orderStream = (orderId: string) => `order-${orderId}`;
