import { ConflictError, InvalidStateTransition, NotFoundError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import type { Money } from '../common/money.js';
import type { OrderDefinition } from './order.js';

/**
 * A pay order (`payorder-<id>`, seed: pay_order_tab): what the customer pays in one go for the orders of
 * one checkout (one per merchant). It is written first and holds every order's full definition, so it
 * is the checkout's commit point: an order stream missing after a crash is appended from it. `payable`
 * follows the orders still open (a cancelled order leaves it); when all are cancelled, so is it.
 */
export type PayOrderEvent =
  | {
      type: 'PayOrderPlaced';
      data: {
        payOrderId: string;
        userId: string;
        orders: OrderDefinition[];
        subtotal: Money;
        discount: Money;
        shipping: Money;
        payable: Money;
        promotionCode: string | null;
        expiresAt: string;
        /** Digest of the checkout request: a reused Idempotency-Key with another request is refused. */
        requestHash: string;
        at: string;
      };
    }
  | { type: 'PayOrderOrderCancelled'; data: { payOrderId: string; orderId: string; payable: Money; at: string } }
  | { type: 'PayOrderCancelled'; data: { payOrderId: string; at: string } }
  /** A payment attempt started: at most one is in flight (src/commands/payments). */
  | { type: 'PayOrderPaymentStarted'; data: { payOrderId: string; paymentId: string; at: string } }
  | { type: 'PayOrderPaymentEnded'; data: { payOrderId: string; paymentId: string; outcome: 'captured' | 'declined' | 'refunded'; at: string } }
  | { type: 'PayOrderPaid'; data: { payOrderId: string; paymentId: string; at: string } };

export type PayOrderCommand =
  | { type: 'PlacePayOrder'; payOrder: Omit<Extract<PayOrderEvent, { type: 'PayOrderPlaced' }>['data'], 'at'>; at: string }
  | { type: 'RecordOrderCancelled'; orderId: string; at: string }
  /** Refused with PAYMENT_IN_PROGRESS while another payment is in flight; the same payment again decides nothing. */
  | { type: 'StartPayment'; paymentId: string; at: string }
  | { type: 'EndPayment'; paymentId: string; outcome: 'captured' | 'declined' | 'refunded'; at: string }
  | { type: 'RecordPaid'; paymentId: string; at: string };

export type ActivePayOrder = Omit<Extract<PayOrderEvent, { type: 'PayOrderPlaced' }>['data'], 'at'> & {
  status: 'pending' | 'cancelled';
  paymentStatus: 'unpaid' | 'paid';
  cancelledOrderIds: string[];
  /** The payment in flight, if any. */
  paymentInFlight?: string | null;
  /** Every payment ever started on this pay order. */
  paymentIds?: string[];
  paidBy?: string | null;
  placedAt: string;
};

export type PayOrder = { status: 'none' } | ActivePayOrder;

export function evolve(state: PayOrder, event: PayOrderEvent): PayOrder {
  switch (event.type) {
    case 'PayOrderPlaced': {
      const { at, ...placed } = event.data;
      return { ...placed, status: 'pending', paymentStatus: 'unpaid', cancelledOrderIds: [], placedAt: at };
    }
    case 'PayOrderOrderCancelled':
      return state.status === 'none' ? state : { ...state, payable: event.data.payable, cancelledOrderIds: [...state.cancelledOrderIds, event.data.orderId] };
    case 'PayOrderCancelled':
      return state.status === 'none' ? state : { ...state, status: 'cancelled' };
    case 'PayOrderPaymentStarted':
      return state.status === 'none' ? state : { ...state, paymentInFlight: event.data.paymentId, paymentIds: [...(state.paymentIds ?? []), event.data.paymentId] };
    case 'PayOrderPaymentEnded':
      return state.status === 'none' || state.paymentInFlight !== event.data.paymentId ? state : { ...state, paymentInFlight: null };
    case 'PayOrderPaid':
      return state.status === 'none' ? state : { ...state, paymentStatus: 'paid', paidBy: event.data.paymentId };
  }
}

export function decide(command: PayOrderCommand, state: PayOrder): PayOrderEvent[] {
  switch (command.type) {
    case 'PlacePayOrder':
      if (state.status !== 'none') return []; // placed already (the caller compares whose it is)
      return [{ type: 'PayOrderPlaced', data: { ...command.payOrder, at: command.at } }];
    case 'RecordOrderCancelled': {
      if (state.status === 'none') throw new NotFoundError('pay order');
      const order = state.orders.find((candidate) => candidate.orderId === command.orderId);
      if (!order) throw new InvalidStateTransition(state.status, `record order ${command.orderId}, which is not part of this pay order,`);
      if (state.cancelledOrderIds.includes(command.orderId)) return [];
      const payable = { ...state.payable, amount: state.payable.amount - order.total.amount };
      const events: PayOrderEvent[] = [{ type: 'PayOrderOrderCancelled', data: { payOrderId: state.payOrderId, orderId: command.orderId, payable, at: command.at } }];
      if (state.cancelledOrderIds.length + 1 === state.orders.length) events.push({ type: 'PayOrderCancelled', data: { payOrderId: state.payOrderId, at: command.at } });
      return events;
    }
    case 'StartPayment': {
      if (state.status === 'none') throw new NotFoundError('pay order');
      if (state.paymentInFlight === command.paymentId || state.paymentIds?.includes(command.paymentId)) return [];
      if (state.paymentInFlight) throw new ConflictError('PAYMENT_IN_PROGRESS', 'a payment of this pay order is in progress; wait for its outcome', { paymentId: state.paymentInFlight });
      if (state.paymentStatus === 'paid') throw new InvalidStateTransition('paid', 'pay a pay order');
      if (state.status === 'cancelled') throw new InvalidStateTransition('cancelled', 'pay a pay order');
      return [{ type: 'PayOrderPaymentStarted', data: { payOrderId: state.payOrderId, paymentId: command.paymentId, at: command.at } }];
    }
    case 'EndPayment':
      if (state.status === 'none' || state.paymentInFlight !== command.paymentId) return [];
      return [{ type: 'PayOrderPaymentEnded', data: { payOrderId: state.payOrderId, paymentId: command.paymentId, outcome: command.outcome, at: command.at } }];
    case 'RecordPaid':
      if (state.status === 'none') throw new NotFoundError('pay order');
      if (state.paymentStatus === 'paid') return [];
      return [{ type: 'PayOrderPaid', data: { payOrderId: state.payOrderId, paymentId: command.paymentId, at: command.at } }];
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const payOrderDecider: Decider<PayOrderCommand, PayOrderEvent, PayOrder> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const payOrderStream = (payOrderId: string) => `payorder-${payOrderId}`;
