import type { RecordedEvent } from '../../ports/event-store.js';
import type { ViewDocument } from '../../ports/view-store.js';
import type { ViewProjection } from '../../kernel/view-projection.js';
import type { Money } from '../../domain/common/money.js';
import type { RefundLine } from '../../domain/orders/order.js';
import type { RefundEvent, RefundInitiator, RefundState, RefundType } from '../../domain/refunds/refund.js';

/** The refund queue (GET /api/v1/admin/refunds) and a customer's refunds (GET /api/v1/me/refunds): one document per `refund-<id>` stream. */
export const REFUNDS = 'refunds';

export interface RefundView {
  [key: string]: unknown;
  id: string;
  orderId: string;
  payOrderId: string;
  userId: string;
  merchantId: string;
  status: RefundState;
  type: RefundType;
  amount: Money;
  items: RefundLine[];
  reason: string;
  initiator: RefundInitiator;
  /** The customer's parcel back (return_and_refund), once recorded. */
  returnShipment: { carrier: string; trackingNumber: string } | null;
  /** The note of the approval or rejection. */
  note: string | null;
  requestedAt: string;
  updatedAt: string;
  /** Revision of `refund-<id>` (the ETag of GET /refunds/{id}). */
  version: number;
  position: number;
}

const STATUS_AFTER: Partial<Record<RefundEvent['type'], RefundState>> = {
  RefundApproved: 'approved',
  RefundReturnAwaited: 'awaiting_return',
  RefundRejected: 'rejected',
  RefundReturnReceived: 'returned',
  RefundStarted: 'refunding',
  RefundCompleted: 'refunded',
};

export const refundsProjection: ViewProjection = {
  name: 'refunds',
  collections: [REFUNDS],
  indexes: {
    [REFUNDS]: [['status', 'requestedAt'], ['requestedAt'], ['merchantId', 'status', 'requestedAt'], ['merchantId', 'requestedAt'], ['userId', 'requestedAt']],
  },
  route(event) {
    if (!event.streamId.startsWith('refund-')) return [];
    const refundId = (event.data as { refundId?: string }).refundId;
    return refundId ? [{ collection: REFUNDS, id: refundId }] : [];
  },
  evolve(doc, event) {
    return evolveRefund(doc as RefundView | null, event);
  },
};

function evolveRefund(doc: RefundView | null, event: RecordedEvent): ViewDocument | null {
  const refund = event as unknown as RefundEvent;
  if (refund.type === 'RefundRequested') {
    if (doc) return doc;
    const { refundId, orderId, payOrderId, userId, merchantId, type, amount, items, reason, initiator, at } = refund.data;
    return {
      id: refundId,
      orderId,
      payOrderId,
      userId,
      merchantId,
      status: 'requested',
      type,
      amount,
      items,
      reason,
      initiator,
      returnShipment: null,
      note: null,
      requestedAt: at,
      updatedAt: at,
      version: event.revision,
      position: event.position,
    } satisfies RefundView;
  }
  if (!doc || event.revision <= doc.version) return doc;
  const next: RefundView = { ...doc, updatedAt: refund.data.at, version: event.revision, position: event.position };
  const status = STATUS_AFTER[refund.type];
  if (status) next.status = status;
  if (refund.type === 'RefundApproved' || refund.type === 'RefundRejected') next.note = refund.data.note;
  if (refund.type === 'RefundReturnShipped') next.returnShipment = { carrier: refund.data.carrier, trackingNumber: refund.data.trackingNumber };
  return next;
}
