import { ConflictError, InvalidStateTransition, NotFoundError, ValidationError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import type { Money } from '../common/money.js';
import type { RefundLine, RefundTenders } from '../orders/order.js';

/**
 * A refund (`refund-<id>`, seed: refund_tab, RefundApproveService, ReturnPurchaseService, RefundService):
 * money given back for a whole order or some of its items. Its units and amount were reserved on the
 * order stream first (`RequestRefund` on the order: OrderRefundRequested), so refunds never exceed what
 * was paid, even when requested concurrently. States (docs/design.md §5):
 *
 *   requested → approved → refunding → refunded                                   (refund_only)
 *   requested → approved → awaiting_return → returned → refunding → refunded      (return_and_refund)
 *   requested → rejected
 *
 * Approving a return-and-refund decides RefundApproved and RefundReturnAwaited together. REFUND_TRANSITIONS
 * lists the statuses each action is allowed from; the action's own target status again decides nothing;
 * anything else is INVALID_STATE_TRANSITION.
 */
export const REFUND_STATUSES = ['requested', 'approved', 'awaiting_return', 'returned', 'refunding', 'refunded', 'rejected'] as const;
export type RefundState = (typeof REFUND_STATUSES)[number];
export const REFUND_TYPES = ['refund_only', 'return_and_refund'] as const;
export type RefundType = (typeof REFUND_TYPES)[number];
export type RefundInitiator = 'customer' | 'admin' | 'system';

export type RefundAction = 'approve' | 'reject' | 'ship_return' | 'receive_return' | 'start' | 'complete';

export const REFUND_TRANSITIONS: Record<RefundAction, { from: RefundState[]; to: RefundState }> = {
  approve: { from: ['requested'], to: 'approved' },
  reject: { from: ['requested'], to: 'rejected' },
  ship_return: { from: ['awaiting_return'], to: 'awaiting_return' },
  receive_return: { from: ['awaiting_return'], to: 'returned' },
  start: { from: ['approved', 'returned'], to: 'refunding' },
  complete: { from: ['refunding'], to: 'refunded' },
};

export interface RefundDefinition {
  refundId: string;
  orderId: string;
  payOrderId: string;
  paymentId: string;
  userId: string;
  merchantId: string;
  type: RefundType;
  items: RefundLine[];
  amount: Money;
  /** The amount's split over the payment's tenders (decided on the order stream). */
  tenders: RefundTenders;
  reason: string;
  initiator: RefundInitiator;
  /** The payment's method and provider: where the charged share goes back to. */
  method: 'card' | 'wallet';
  provider: string;
  /** Digest of the request: the same Idempotency-Key with another request is refused. */
  requestHash: string;
}

type Base = { refundId: string; orderId: string; at: string };

/**
 * What a refunded order had earned, taken back in proportion (src/commands/refunds/earnings.ts): the
 * platform's commission goes back to the merchant, and the coins the completed order earned go back from
 * the customer — as many as the coins account holds (`taken`); the rest (`shortfall`) is written off as
 * its own double-entry transfer, so nothing is dropped silently.
 */
export interface EarningsReversal {
  /** Commission (minor units of the refund's currency) the platform returns to the merchant. */
  commission: number;
  coins: { due: number; taken: number; shortfall: number };
}

export type RefundEvent =
  | { type: 'RefundRequested'; data: RefundDefinition & { at: string } }
  | { type: 'RefundApproved'; data: Base & { note: string | null } }
  | { type: 'RefundReturnAwaited'; data: Base }
  | { type: 'RefundRejected'; data: Base & { note: string | null } }
  | { type: 'RefundReturnShipped'; data: Base & { carrier: string; trackingNumber: string } }
  | { type: 'RefundReturnReceived'; data: Base & { items: RefundLine[] } }
  | { type: 'RefundStarted'; data: Base }
  | {
      type: 'RefundCompleted';
      data: Base & Pick<RefundDefinition, 'paymentId' | 'payOrderId' | 'userId' | 'merchantId' | 'method' | 'provider' | 'amount' | 'tenders' | 'type'> & { providerRef: string };
    }
  /** After the order recorded the refund: the commission and earned coins it takes back (see EarningsReversal). */
  | { type: 'RefundEarningsReversed'; data: Base & Pick<RefundDefinition, 'userId' | 'merchantId'> & { currency: string } & EarningsReversal };

export const REFUND_EVENT_TYPES = [
  'RefundRequested',
  'RefundApproved',
  'RefundReturnAwaited',
  'RefundRejected',
  'RefundReturnShipped',
  'RefundReturnReceived',
  'RefundStarted',
  'RefundCompleted',
  'RefundEarningsReversed',
] as const;

export type RefundCommand =
  | { type: 'RequestRefund'; refund: RefundDefinition; at: string }
  | { type: 'ApproveRefund'; note: string | null; at: string }
  | { type: 'RejectRefund'; note: string | null; at: string }
  | { type: 'RecordReturnShipment'; carrier: string; trackingNumber: string; at: string }
  | { type: 'ReceiveReturn'; at: string }
  | { type: 'StartRefund'; at: string }
  | { type: 'CompleteRefund'; providerRef: string; at: string }
  /** Once refunded; the same again decides nothing (the first reversal holds). */
  | { type: 'RecordEarningsReversal'; reversal: EarningsReversal; at: string };

export type ActiveRefund = RefundDefinition & {
  status: RefundState;
  requestedAt: string;
  note: string | null;
  returnShipment: { carrier: string; trackingNumber: string } | null;
  providerRef: string | null;
  refundedAt: string | null;
  /** When the refunding step started (the refund sweeper re-queries the provider after a while). */
  startedAt?: string | null;
  earningsReversal?: EarningsReversal | null;
};
export type Refund = { status: 'none' } | ActiveRefund;

export function evolve(state: Refund, event: RefundEvent): Refund {
  if (event.type === 'RefundRequested') {
    const { at, ...definition } = event.data;
    return { ...definition, status: 'requested', requestedAt: at, note: null, returnShipment: null, providerRef: null, refundedAt: null };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'RefundApproved':
      return { ...state, status: 'approved', note: event.data.note ?? state.note };
    case 'RefundReturnAwaited':
      return { ...state, status: 'awaiting_return' };
    case 'RefundRejected':
      return { ...state, status: 'rejected', note: event.data.note ?? state.note };
    case 'RefundReturnShipped':
      return { ...state, returnShipment: { carrier: event.data.carrier, trackingNumber: event.data.trackingNumber } };
    case 'RefundReturnReceived':
      return { ...state, status: 'returned' };
    case 'RefundStarted':
      return { ...state, status: 'refunding', startedAt: event.data.at };
    case 'RefundCompleted':
      return { ...state, status: 'refunded', providerRef: event.data.providerRef, refundedAt: event.data.at };
    case 'RefundEarningsReversed':
      return { ...state, earningsReversal: { commission: event.data.commission, coins: event.data.coins } };
  }
}

export function decide(command: RefundCommand, state: Refund): RefundEvent[] {
  if (command.type === 'RequestRefund') {
    if (state.status !== 'none') {
      if (state.requestHash === command.refund.requestHash && state.orderId === command.refund.orderId) return [];
      throw new ConflictError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another refund request');
    }
    if (command.refund.amount.amount <= 0 && command.refund.items.length === 0) throw new ValidationError('a refund needs items or an amount');
    return [{ type: 'RefundRequested', data: { ...command.refund, at: command.at } }];
  }
  if (state.status === 'none') throw new NotFoundError('refund');
  const base = { refundId: state.refundId, orderId: state.orderId, at: command.at };
  switch (command.type) {
    case 'ApproveRefund': {
      if (state.status === 'approved' || state.status === 'awaiting_return') return []; // approved already
      requireTransition(state.status, 'approve');
      const approved: RefundEvent = { type: 'RefundApproved', data: { ...base, note: command.note } };
      return state.type === 'return_and_refund' ? [approved, { type: 'RefundReturnAwaited', data: base }] : [approved];
    }
    case 'RejectRefund':
      if (state.status === 'rejected') return [];
      requireTransition(state.status, 'reject');
      return [{ type: 'RefundRejected', data: { ...base, note: command.note } }];
    case 'RecordReturnShipment': {
      if (command.carrier.trim() === '' || command.trackingNumber.trim() === '') throw new ValidationError('carrier and trackingNumber are required');
      requireTransition(state.status, 'ship_return');
      const shipment = state.returnShipment;
      if (shipment && shipment.carrier === command.carrier && shipment.trackingNumber === command.trackingNumber) return [];
      return [{ type: 'RefundReturnShipped', data: { ...base, carrier: command.carrier, trackingNumber: command.trackingNumber } }];
    }
    case 'ReceiveReturn':
      if (state.status === 'returned') return [];
      requireTransition(state.status, 'receive_return');
      if (!state.returnShipment) throw new InvalidStateTransition('awaiting_return', 'receive a return before the customer has shipped it');
      return [{ type: 'RefundReturnReceived', data: { ...base, items: state.items } }];
    case 'StartRefund':
      if (state.status === 'refunding' || state.status === 'refunded') return []; // started already (a concurrent advance)
      requireTransition(state.status, 'start');
      if (state.status === 'approved' && state.type === 'return_and_refund') throw new InvalidStateTransition(state.status, 'refund before the goods are returned');
      return [{ type: 'RefundStarted', data: base }];
    case 'CompleteRefund':
      if (state.status === 'refunded') return [];
      requireTransition(state.status, 'complete');
      return [
        {
          type: 'RefundCompleted',
          data: {
            ...base,
            paymentId: state.paymentId,
            payOrderId: state.payOrderId,
            userId: state.userId,
            merchantId: state.merchantId,
            method: state.method,
            provider: state.provider,
            amount: state.amount,
            tenders: state.tenders,
            type: state.type,
            providerRef: command.providerRef,
          },
        },
      ];
    case 'RecordEarningsReversal': {
      if (state.earningsReversal) return [];
      if (state.status !== 'refunded') throw new InvalidStateTransition(state.status, 'reverse the earnings of a refund that is not paid out');
      const { commission, coins } = command.reversal;
      const whole = [commission, coins.due, coins.taken, coins.shortfall].every((value) => Number.isSafeInteger(value) && value >= 0);
      if (!whole || coins.taken + coins.shortfall !== coins.due) throw new ValidationError('an earnings reversal takes whole amounts, and the coins taken and written off make up what is due');
      return [{ type: 'RefundEarningsReversed', data: { ...base, userId: state.userId, merchantId: state.merchantId, currency: state.amount.currency, commission, coins: { ...coins } } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

function requireTransition(status: RefundState, action: RefundAction): void {
  if (!REFUND_TRANSITIONS[action].from.includes(status)) throw new InvalidStateTransition(status, `${action.replace(/_/g, ' ')} the refund`);
}

export const refundDecider: Decider<RefundCommand, RefundEvent, Refund> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const refundStream = (refundId: string) => `refund-${refundId}`;
