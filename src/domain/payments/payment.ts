import { ConflictError, InvalidStateTransition, NotFoundError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import type { Money } from '../common/money.js';

/**
 * A payment (`payment-<id>`): one attempt to pay a pay order (seed: OrderPayService). It records the
 * tenders (card or wallet amount, coins, voucher) split per order (`allocations`), then the provider's
 * outcome. Status: pending → captured | declined; captured → refunded when every order it paid had been
 * cancelled before the capture arrived (the late-success path). Duplicate and out-of-order outcomes
 * decide nothing, except a success after a decline, which is recorded (`afterDecline`) so the money that
 * arrived is refunded and a person looks at it. The ledger transfers of each event are
 * `plannedTransfers(event)` (transfers-plan.ts, docs/ledger.md).
 */
export const PAYMENT_METHODS = ['card', 'wallet'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type PaymentStatus = 'pending' | 'captured' | 'declined' | 'refunded';
export type FlagReason = 'captured_after_cancel' | 'captured_after_decline';

/** One order's share of every tender (integers: minor units; coins in COIN). */
export interface Allocation {
  orderId: string;
  merchantId: string;
  total: Money;
  /** Charged to the card or the wallet. */
  charged: number;
  coins: number;
  coinsValue: number;
  voucherValue: number;
  commission: number;
}

export interface PaymentCommon {
  paymentId: string;
  payOrderId: string;
  userId: string;
  method: PaymentMethod;
  /** The card provider's name, or `wallet`: names the clearing account `clearing.<provider>`. */
  provider: string;
  at: string;
}

export interface PaymentTerms {
  amount: Money;
  fee: Money;
  payable: Money;
  coins: number;
  coinsValue: Money;
  voucherCode: string | null;
  voucherValue: Money;
  allocations: Allocation[];
  cardLast4: string | null;
  requestHash: string;
}

export type PaymentInitiated = { type: 'PaymentInitiated'; data: PaymentCommon & PaymentTerms };
export type PaymentSubmitted = { type: 'PaymentSubmitted'; data: PaymentCommon & { providerRef: string } };
export type PaymentCaptured = {
  type: 'PaymentCaptured';
  data: PaymentCommon &
    Pick<PaymentTerms, 'amount' | 'fee' | 'coins' | 'coinsValue' | 'voucherCode' | 'voucherValue' | 'allocations'> & {
      providerRef: string;
      /** Orders found cancelled when the capture arrived: their share is refunded. */
      refundedOrderIds: string[];
      afterDecline: boolean;
    };
};
export type PaymentDeclined = { type: 'PaymentDeclined'; data: PaymentCommon & { reason: string; coins: number; coinsHeld: boolean; voucherCode: string | null } };
export type PaymentRefundedAfterCancel = {
  type: 'PaymentRefundedAfterCancel';
  data: PaymentCommon & { refundId: string; providerRef: string; amount: Money; orderIds: string[]; allocations: Allocation[] };
};
export type PaymentFlaggedForReview = { type: 'PaymentFlaggedForReview'; data: PaymentCommon & { reason: FlagReason; amount: Money; orderIds: string[] } };

export type PaymentEvent = PaymentInitiated | PaymentSubmitted | PaymentCaptured | PaymentDeclined | PaymentRefundedAfterCancel | PaymentFlaggedForReview;
export const PAYMENT_EVENT_TYPES = ['PaymentInitiated', 'PaymentSubmitted', 'PaymentCaptured', 'PaymentDeclined', 'PaymentRefundedAfterCancel', 'PaymentFlaggedForReview'] as const;

export type PaymentCommand =
  | { type: 'InitiatePayment'; payment: Omit<PaymentCommon, 'at'> & PaymentTerms; at: string }
  | { type: 'RecordSubmission'; providerRef: string; at: string }
  /** The provider says captured; `cancelledOrderIds` are the orders that could no longer be paid. */
  | { type: 'RecordCapture'; providerRef: string; cancelledOrderIds: string[]; at: string }
  | { type: 'RecordDecline'; reason: string; coinsHeld: boolean; at: string }
  | { type: 'RecordRefundAfterCancel'; providerRef: string; at: string }
  | { type: 'FlagForReview'; reason: FlagReason; at: string };

export type ActivePayment = Omit<PaymentCommon, 'at'> &
  PaymentTerms & {
    status: PaymentStatus;
    providerRef: string | null;
    createdAt: string;
    settledAt: string | null;
    refundedOrderIds: string[];
    afterDecline: boolean;
    refunded: boolean;
    flagged: FlagReason | null;
    declineReason: string | null;
  };

export type Payment = { status: 'none' } | ActivePayment;

const common = (payment: ActivePayment, at: string): PaymentCommon => ({
  paymentId: payment.paymentId,
  payOrderId: payment.payOrderId,
  userId: payment.userId,
  method: payment.method,
  provider: payment.provider,
  at,
});

export function evolve(state: Payment, event: PaymentEvent): Payment {
  if (event.type === 'PaymentInitiated') {
    const { at, ...rest } = event.data;
    return { ...rest, status: 'pending', providerRef: null, createdAt: at, settledAt: null, refundedOrderIds: [], afterDecline: false, refunded: false, flagged: null, declineReason: null };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'PaymentSubmitted':
      return { ...state, providerRef: event.data.providerRef };
    case 'PaymentCaptured':
      return { ...state, status: 'captured', providerRef: event.data.providerRef, settledAt: event.data.at, refundedOrderIds: event.data.refundedOrderIds, afterDecline: event.data.afterDecline };
    case 'PaymentDeclined':
      return { ...state, status: 'declined', settledAt: event.data.at, declineReason: event.data.reason };
    case 'PaymentRefundedAfterCancel': {
      const everything = event.data.orderIds.length === state.allocations.length;
      return { ...state, refunded: true, status: everything ? 'refunded' : state.status };
    }
    case 'PaymentFlaggedForReview':
      return { ...state, flagged: event.data.reason };
  }
}

export function decide(command: PaymentCommand, state: Payment): PaymentEvent[] {
  if (command.type === 'InitiatePayment') {
    if (state.status !== 'none') {
      if (state.requestHash === command.payment.requestHash && state.payOrderId === command.payment.payOrderId) return [];
      throw new ConflictError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another payment request');
    }
    return [{ type: 'PaymentInitiated', data: { ...command.payment, at: command.at } }];
  }
  if (state.status === 'none') throw new NotFoundError('payment');
  switch (command.type) {
    case 'RecordSubmission':
      if (state.status !== 'pending' || state.providerRef !== null) return [];
      return [{ type: 'PaymentSubmitted', data: { ...common(state, command.at), providerRef: command.providerRef } }];
    case 'RecordCapture': {
      if (state.status === 'captured' || state.status === 'refunded') return []; // duplicate success
      const afterDecline = state.status === 'declined';
      const refundedOrderIds = afterDecline ? state.allocations.map((allocation) => allocation.orderId) : state.allocations.map((a) => a.orderId).filter((id) => command.cancelledOrderIds.includes(id));
      return [
        {
          type: 'PaymentCaptured',
          data: {
            ...common(state, command.at),
            providerRef: command.providerRef,
            amount: state.amount,
            fee: state.fee,
            coins: state.coins,
            coinsValue: state.coinsValue,
            voucherCode: state.voucherCode,
            voucherValue: state.voucherValue,
            allocations: state.allocations,
            refundedOrderIds,
            afterDecline,
          },
        },
      ];
    }
    case 'RecordDecline':
      if (state.status !== 'pending') return []; // a decline after the outcome is known changes nothing
      return [{ type: 'PaymentDeclined', data: { ...common(state, command.at), reason: command.reason, coins: state.coins, coinsHeld: command.coinsHeld, voucherCode: state.voucherCode } }];
    case 'RecordRefundAfterCancel': {
      if (state.refunded) return [];
      if (state.status !== 'captured' || state.refundedOrderIds.length === 0) throw new InvalidStateTransition(state.status, 'refund a payment that paid its orders');
      const allocations = state.allocations.filter((allocation) => state.refundedOrderIds.includes(allocation.orderId));
      const amount = { amount: allocations.reduce((sum, allocation) => sum + allocation.charged, 0), currency: state.amount.currency };
      return [
        {
          type: 'PaymentRefundedAfterCancel',
          data: { ...common(state, command.at), refundId: `${state.paymentId}-late`, providerRef: command.providerRef, amount, orderIds: [...state.refundedOrderIds], allocations },
        },
      ];
    }
    case 'FlagForReview': {
      if (state.flagged) return [];
      const allocations = state.allocations.filter((allocation) => state.refundedOrderIds.includes(allocation.orderId));
      const amount = { amount: allocations.reduce((sum, allocation) => sum + allocation.charged, 0), currency: state.amount.currency };
      return [{ type: 'PaymentFlaggedForReview', data: { ...common(state, command.at), reason: command.reason, amount, orderIds: [...state.refundedOrderIds] } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const paymentDecider: Decider<PaymentCommand, PaymentEvent, Payment> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const paymentStream = (paymentId: string) => `payment-${paymentId}`;
export const WALLET_PROVIDER = 'wallet';
