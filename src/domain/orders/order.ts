import { DomainError, InvalidStateTransition, NotFoundError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import type { Money } from '../shared/money.js';
import type { Address } from '../users/user.js';

/**
 * An order (`order-<id>`, seed: order_tab + order_item_tab): the part of a checkout sold by one merchant.
 * Status (DESIGN.md §5): pending_payment → paid → shipped → delivered → completed, `cancelled` (from
 * pending_payment only: the customer, an admin, the payment time-out) and `closed` (all refunded). Beside
 * it, as the seed's order table does, paymentStatus, fulfillmentStatus and refundStatus.
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

export type OrderAction = 'cancel' | 'expire' | 'pay' | 'ship' | 'deliver' | 'complete' | 'close';

/** The statuses each action is allowed from (the state machine); every other pair is refused. */
export const ORDER_TRANSITIONS: Record<OrderAction, { from: OrderStatus[]; to: OrderStatus }> = {
  cancel: { from: ['pending_payment'], to: 'cancelled' },
  expire: { from: ['pending_payment'], to: 'cancelled' },
  pay: { from: ['pending_payment'], to: 'paid' },
  ship: { from: ['paid'], to: 'shipped' },
  deliver: { from: ['shipped'], to: 'delivered' },
  complete: { from: ['delivered'], to: 'completed' },
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
  /** The product content the buyer saw (seed: item_snapshot_id). */
  snapshotId: string;
  /** True when stock was reserved at order time (the product's takeStockAt is 'order'). */
  reserved: boolean;
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

export type OrderEvent =
  | { type: 'OrderPlaced'; data: OrderDefinition & { at: string } }
  | { type: 'OrderCancelled'; data: { orderId: string; reason: CancelReason; at: string } }
  /** The payment `paymentId` captured this order's share (src/commands/payments). */
  | { type: 'OrderPaid'; data: { orderId: string; payOrderId: string; paymentId: string; at: string } };

export type OrderCommand =
  | { type: 'PlaceOrder'; order: OrderDefinition; at: string }
  | { type: 'CancelOrder'; reason: 'customer' | 'admin'; at: string }
  /** The payment time-out: refused before expiresAt. */
  | { type: 'ExpireOrder'; at: string }
  /** Payment captured: pending_payment → paid; the same payment again decides nothing. */
  | { type: 'PayOrder'; paymentId: string; at: string };

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
  }
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
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
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
