import type { ViewProjection } from '../../kernel/view-projection.js';
import type { Money } from '../../domain/common/money.js';
import type { PaymentEvent } from '../../domain/payments/payment.js';

/** Payment views: the stuck-payment sweeper (status, createdAt), the admin's flagged list (flagged, flaggedAt), a customer's payments (userId) and a pay order's attempts (payOrderId). */
export const PAYMENTS = 'payments';

export interface PaymentView {
  [key: string]: unknown;
  id: string;
  payOrderId: string;
  userId: string;
  method: string;
  provider: string;
  status: string;
  amount: Money;
  fee: Money;
  coins: number;
  coinsValue: Money;
  voucherCode: string | null;
  voucherValue: Money;
  providerRef: string | null;
  declineReason: string | null;
  refundedOrderIds: string[];
  orderCount: number;
  refunded: boolean;
  flagged: boolean;
  flagReason: string | null;
  flaggedAt: string | null;
  createdAt: string;
  updatedAt: string;
  position: number;
}

export const paymentsProjection: ViewProjection = {
  name: 'payments',
  collections: [PAYMENTS],
  indexes: { [PAYMENTS]: [['status', 'createdAt'], ['flagged', 'flaggedAt'], ['userId', 'createdAt'], ['payOrderId', 'createdAt']] },
  route(event) {
    return event.streamId.startsWith('payment-') && event.type.startsWith('Payment') ? [{ collection: PAYMENTS, id: (event.data as { paymentId: string }).paymentId }] : [];
  },
  evolve(doc, recorded) {
    const event = recorded as unknown as PaymentEvent;
    const view = doc as PaymentView | null;
    const touch = (next: Partial<PaymentView>): PaymentView | null => (view ? { ...view, ...next, updatedAt: event.data.at, position: recorded.position } : view);
    switch (event.type) {
      case 'PaymentInitiated': {
        if (view) return view;
        const data = event.data;
        return {
          id: data.paymentId,
          payOrderId: data.payOrderId,
          userId: data.userId,
          method: data.method,
          provider: data.provider,
          status: 'pending',
          amount: data.amount,
          fee: data.fee,
          coins: data.coins,
          coinsValue: data.coinsValue,
          voucherCode: data.voucherCode,
          voucherValue: data.voucherValue,
          providerRef: null,
          declineReason: null,
          refundedOrderIds: [],
          orderCount: data.allocations.length,
          refunded: false,
          flagged: false,
          flagReason: null,
          flaggedAt: null,
          createdAt: data.at,
          updatedAt: data.at,
          position: recorded.position,
        } satisfies PaymentView;
      }
      case 'PaymentSubmitted':
        return touch({ providerRef: event.data.providerRef });
      case 'PaymentCaptured':
        return touch({ status: 'captured', providerRef: event.data.providerRef, refundedOrderIds: event.data.refundedOrderIds });
      case 'PaymentDeclined':
        return touch({ status: 'declined', declineReason: event.data.reason });
      case 'PaymentRefundedAfterCancel':
        return touch({ refunded: true, ...(view && event.data.orderIds.length === view.orderCount ? { status: 'refunded' } : {}) });
      case 'PaymentFlaggedForReview':
        return touch({ flagged: true, flagReason: event.data.reason, flaggedAt: event.data.at });
      default:
        return doc;
    }
  },
};
