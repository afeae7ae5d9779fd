import type { Deps } from '../../deps.js';
import type { Money } from '../../domain/common/money.js';
import { payOrderStream } from '../../domain/orders/pay-order.js';
import { PAYMENTS, type PaymentView } from '../../projections/payments/payments.js';
import type { TimelineEntry } from '../../projections/orders/orders.js';

/** A payment attempt as its customer sees it (GET /pay-orders/:id, /me/payments). */
export interface PaymentAttempt {
  paymentId: string;
  payOrderId: string;
  method: string;
  status: string;
  amount: Money;
  fee: Money;
  coins: number;
  coinsValue: Money;
  voucherCode: string | null;
  voucherValue: Money;
  /** Why the provider (or a check after submission) refused it; null unless `declined`. */
  declineReason: string | null;
  refunded: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PayOrderResource {
  id: string;
  userId: string;
  status: 'pending' | 'cancelled';
  paymentStatus: 'unpaid' | 'paid';
  orders: Array<{ id: string; merchantId: string; total: Money; cancelled: boolean }>;
  subtotal: Money;
  discount: Money;
  shipping: Money;
  payable: Money;
  promotionCode: string | null;
  expiresAt: string;
  placedAt: string;
  paymentInFlight: string | null;
  paidBy: string | null;
  payments: PaymentAttempt[];
  version: number;
}

export const paymentAttempt = (view: PaymentView): PaymentAttempt => ({
  paymentId: view.id,
  payOrderId: view.payOrderId,
  method: view.method,
  status: view.status,
  amount: view.amount,
  fee: view.fee,
  coins: view.coins,
  coinsValue: view.coinsValue,
  voucherCode: view.voucherCode,
  voucherValue: view.voucherValue,
  declineReason: view.declineReason,
  refunded: view.refunded,
  createdAt: view.createdAt,
  updatedAt: view.updatedAt,
});

/** The payment attempts of a pay order, oldest first (payments view). */
export async function payOrderPayments(deps: Pick<Deps, 'views'>, payOrderId: string): Promise<PaymentView[]> {
  const page = await deps.views.find<PaymentView>(PAYMENTS, { where: { payOrderId }, orderBy: { field: 'createdAt', direction: 'asc' }, limit: 100 });
  return page.items;
}

/**
 * A pay order with its payment attempts; null when absent or not the viewer's (admins see every one).
 * The pay order itself is read from its stream (no lag), its attempts from the payments view.
 */
export async function getPayOrder(deps: Pick<Deps, 'views' | 'handlers'>, payOrderId: string, viewer: { id: string; admin: boolean }): Promise<PayOrderResource | null> {
  const { state, revision } = await deps.handlers.payOrder.load(payOrderStream(payOrderId));
  if (state.status === 'none' || !(viewer.admin || state.userId === viewer.id)) return null;
  const payments = await payOrderPayments(deps, payOrderId);
  return {
    id: state.payOrderId,
    userId: state.userId,
    status: state.status,
    paymentStatus: state.paymentStatus,
    orders: state.orders.map((order) => ({ id: order.orderId, merchantId: order.merchantId, total: order.total, cancelled: state.cancelledOrderIds.includes(order.orderId) })),
    subtotal: state.subtotal,
    discount: state.discount,
    shipping: state.shipping,
    payable: state.payable,
    promotionCode: state.promotionCode,
    expiresAt: state.expiresAt,
    placedAt: state.placedAt,
    paymentInFlight: state.paymentInFlight ?? null,
    paidBy: state.paidBy ?? null,
    payments: payments.map(paymentAttempt),
    version: revision,
  };
}

/** Timeline entries of the declined payment attempts (the order's own events do not record them). */
export const declinedAttempts = (payments: PaymentView[]): TimelineEntry[] =>
  payments
    .filter((payment) => payment.status === 'declined')
    .map((payment) => ({ at: payment.updatedAt, type: 'PaymentDeclined', ...(payment.declineReason ? { reason: payment.declineReason } : {}) }));

/** The customer's payment attempts, newest first (payments view, index userId + createdAt). */
export async function listMyPayments(deps: Pick<Deps, 'views'>, userId: string, page: { limit: number; cursor?: string | undefined }): Promise<{ items: PaymentAttempt[]; nextCursor: string | null }> {
  const found = await deps.views.find<PaymentView>(PAYMENTS, { where: { userId }, orderBy: { field: 'createdAt', direction: 'desc' }, limit: page.limit, cursor: page.cursor ?? null });
  return { items: found.items.map(paymentAttempt), nextCursor: found.nextCursor };
}
