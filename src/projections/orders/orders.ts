import type { RecordedEvent } from '../../ports/event-store.js';
import type { ViewDocument } from '../../ports/view-store.js';
import type { DocumentKey, ViewProjection } from '../../kernel/view-projection.js';
import type { Money } from '../../domain/common/money.js';
import type { Address } from '../../domain/users/user.js';
import type { CancelReason, FulfillmentStatus, OrderDefinition, OrderEvent, OrderItem, OrderStatus, PaymentStatus, RefundStatus } from '../../domain/orders/order.js';
import type { PayOrderEvent } from '../../domain/orders/pay-order.js';
import type { InventoryEvent } from '../../domain/inventory/inventory.js';
import type { PromotionEvent } from '../../domain/promotions/promotion.js';
import type { ShipmentEvent } from '../../domain/fulfillment/shipment.js';
import type { RefundEvent } from '../../domain/refunds/refund.js';

/** The order views (docs/api.md GET /orders, /orders/:id) and what each order still holds (for the expiry sweeper). */
export const ORDERS = 'orders';
export const ORDER_HOLDS = 'order_holds';

export interface TimelineEntry {
  at: string;
  type: string;
  actor?: { id: string; role: string };
  reason?: string;
}

export interface OrderView {
  [key: string]: unknown;
  id: string;
  payOrderId: string;
  userId: string;
  merchantId: string;
  status: OrderStatus;
  paymentStatus: PaymentStatus;
  fulfillmentStatus: FulfillmentStatus;
  refundStatus: RefundStatus;
  items: Array<Pick<OrderItem, 'id' | 'skuId' | 'productId' | 'title' | 'skuCode' | 'salesAttributes' | 'quantity' | 'unitPrice' | 'lineTotal' | 'discount' | 'snapshotId'>>;
  subtotal: Money;
  discount: Money;
  shipping: Money;
  total: Money;
  promotionCode: string | null;
  shippingAddress: Address;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  cancelReason: CancelReason | null;
  /** From the `shipment-*` streams (src/domain/fulfillment). */
  shipments: Array<{ id: string; carrier: string; trackingNumber: string; status: string }>;
  /** From the `refund-*` streams (src/domain/refunds). */
  refunds: Array<{ id: string; status: string; type?: string; amount: Money; items: Array<{ orderItemId: string; quantity: number }> }>;
  deliveredAt?: string | null;
  completedAt?: string | null;
  /** Refunds reserved on the order and not yet paid or rejected. */
  openRefunds?: number;
  refundedAmount?: Money;
  timeline: TimelineEntry[];
  /** Revision of `order-<id>` (-1 while only its pay order is written). */
  version: number;
  position: number;
}

/** What an order holds until it is paid or cancelled: reserved units per SKU and its promotion share. */
export interface OrderHoldDoc {
  [key: string]: unknown;
  id: string;
  payOrderId: string | null;
  expiresAt: string;
  stock: Record<string, number>;
  /** SKU id → the flash sale whose gate admitted its units (only SKUs bought on a flash sale). */
  flashSales?: Record<string, string>;
  promotion: { code: string; redemptionId: string } | null;
  position: number;
}

const key = (collection: string, id: string): DocumentKey => ({ collection, id });
const ORDER_EVENTS = new Set([
  'OrderPlaced',
  'OrderCancelled',
  'OrderPaid',
  'OrderShipped',
  'OrderDelivered',
  'OrderFulfillmentFailed',
  'OrderCompleted',
  'OrderRefundRequested',
  'OrderRefundReleased',
  'OrderRefunded',
]);
const HOLD_EVENTS = new Set(['StockReserved', 'ReservationReleased', 'ReservationCommitted']);
/** Payment (a later module) appends OrderPaid: the order no longer holds anything the sweeper could give back. */
const HOLD_ENDING_ORDER_EVENTS = new Set(['OrderPaid']);

export const ordersProjection: ViewProjection = {
  name: 'orders',
  collections: [ORDERS, ORDER_HOLDS],
  indexes: {
    [ORDERS]: [['userId', 'createdAt'], ['userId', 'status', 'createdAt'], ['merchantId', 'createdAt'], ['merchantId', 'status', 'createdAt'], ['status', 'expiresAt'], ['status', 'createdAt'], ['createdAt'], ['refundStatus', 'createdAt'], ['merchantId', 'refundStatus', 'createdAt'], ['paymentStatus', 'createdAt'], ['fulfillmentStatus', 'createdAt'], ['merchantId', 'paymentStatus', 'createdAt'], ['merchantId', 'fulfillmentStatus', 'createdAt']],
    [ORDER_HOLDS]: [['expiresAt']],
  },
  route(event) {
    if (event.streamId.startsWith('payorder-') && event.type === 'PayOrderPlaced') {
      return (event.data as Extract<PayOrderEvent, { type: 'PayOrderPlaced' }>['data']).orders.map((order) => key(ORDERS, order.orderId));
    }
    if (event.streamId.startsWith('order-')) {
      const orderId = (event.data as { orderId: string }).orderId;
      const keys = [];
      if (ORDER_EVENTS.has(event.type)) keys.push(key(ORDERS, orderId));
      if (HOLD_ENDING_ORDER_EVENTS.has(event.type)) keys.push(key(ORDER_HOLDS, orderId));
      return keys;
    }
    if (event.streamId.startsWith('shipment-') || event.streamId.startsWith('refund-')) {
      const orderId = (event.data as { orderId?: string }).orderId;
      return orderId ? [key(ORDERS, orderId)] : [];
    }
    if (event.streamId.startsWith('inventory-') && HOLD_EVENTS.has(event.type)) return [key(ORDER_HOLDS, (event.data as { orderId: string }).orderId)];
    if (event.streamId.startsWith('promotion-')) {
      const promotion = event as unknown as PromotionEvent;
      if (promotion.type === 'PromotionRedeemed') return Object.keys(promotion.data.shares).map((orderId) => key(ORDER_HOLDS, orderId));
      if (promotion.type === 'PromotionReturned') return promotion.data.orderIds.map((orderId) => key(ORDER_HOLDS, orderId));
    }
    return [];
  },
  evolve(doc, event, target) {
    return target.collection === ORDERS ? evolveOrder(doc as OrderView | null, event, target.id) : evolveHold(doc as OrderHoldDoc | null, event, target.id);
  },
};

function fromDefinition(definition: OrderDefinition, at: string, event: RecordedEvent): OrderView {
  return {
    id: definition.orderId,
    payOrderId: definition.payOrderId,
    userId: definition.userId,
    merchantId: definition.merchantId,
    status: 'pending_payment',
    paymentStatus: 'unpaid',
    fulfillmentStatus: 'unfulfilled',
    refundStatus: 'none',
    items: definition.items.map(({ id, skuId, productId, title, skuCode, salesAttributes, quantity, unitPrice, lineTotal, discount, snapshotId }) => ({
      id,
      skuId,
      productId,
      title,
      skuCode,
      salesAttributes,
      quantity,
      unitPrice,
      lineTotal,
      discount,
      snapshotId,
    })),
    subtotal: definition.subtotal,
    discount: definition.discount,
    shipping: definition.shipping,
    total: definition.total,
    promotionCode: definition.promotionCode,
    shippingAddress: definition.shippingAddress,
    expiresAt: definition.expiresAt,
    createdAt: at,
    updatedAt: at,
    cancelledAt: null,
    cancelReason: null,
    shipments: [],
    refunds: [],
    timeline: [],
    version: -1,
    position: event.position,
  };
}

function timelineEntry(event: RecordedEvent, at: string, reason?: string): TimelineEntry {
  const actor = event.metadata.actor;
  return { at, type: event.type, ...(actor ? { actor: { id: actor.id, role: actor.role } } : {}), ...(reason ? { reason } : {}) };
}

function evolveOrder(doc: OrderView | null, event: RecordedEvent, id: string): ViewDocument | null {
  if (event.type === 'PayOrderPlaced') {
    if (doc) return doc;
    const placed = event.data as Extract<PayOrderEvent, { type: 'PayOrderPlaced' }>['data'];
    const definition = placed.orders.find((order) => order.orderId === id);
    return definition ? fromDefinition(definition, placed.at, event) : doc;
  }
  if (event.streamId.startsWith('shipment-')) return doc ? evolveShipment(doc, event) : doc;
  if (event.streamId.startsWith('refund-')) return doc ? evolveRefund(doc, event) : doc;
  const order = event as unknown as OrderEvent;
  switch (order.type) {
    case 'OrderPlaced': {
      const base = doc ?? fromDefinition(order.data, order.data.at, event);
      if (base.timeline.some((entry) => entry.type === 'OrderPlaced')) return base;
      return { ...base, version: event.revision, position: event.position, timeline: [...base.timeline, timelineEntry(event, order.data.at)] };
    }
    case 'OrderCancelled':
      if (!doc) return doc;
      return {
        ...doc,
        status: 'cancelled',
        cancelledAt: order.data.at,
        cancelReason: order.data.reason,
        updatedAt: order.data.at,
        version: event.revision,
        position: event.position,
        timeline: [...doc.timeline, timelineEntry(event, order.data.at, order.data.reason)],
      };
    case 'OrderPaid':
      if (!doc) return doc;
      return {
        ...doc,
        status: 'paid',
        paymentStatus: 'paid',
        updatedAt: order.data.at,
        version: event.revision,
        position: event.position,
        timeline: [...doc.timeline, timelineEntry(event, order.data.at)],
      };
    default:
      return doc ? evolveAfterPayment(doc, event, order) : doc;
  }
}

/** Fulfilment and refund events of the order stream. */
function evolveAfterPayment(doc: OrderView, event: RecordedEvent, order: OrderEvent): OrderView {
  const at = order.data.at;
  const next: OrderView = { ...doc, updatedAt: at, version: event.revision, position: event.position, timeline: [...doc.timeline, timelineEntry(event, at)] };
  const open = doc.openRefunds ?? 0;
  switch (order.type) {
    case 'OrderShipped':
      return { ...next, status: 'shipped', fulfillmentStatus: 'shipped' };
    case 'OrderDelivered':
      return { ...next, status: 'delivered', fulfillmentStatus: 'delivered', deliveredAt: at };
    case 'OrderFulfillmentFailed':
      return { ...next, fulfillmentStatus: 'failed', timeline: [...doc.timeline, timelineEntry(event, at, order.data.reason)] };
    case 'OrderCompleted':
      return { ...next, status: 'completed', completedAt: at, timeline: [...doc.timeline, timelineEntry(event, at, order.data.by)] };
    case 'OrderRefundRequested':
      return { ...next, openRefunds: open + 1, refundStatus: 'requested' };
    case 'OrderRefundReleased': {
      const left = Math.max(0, open - 1);
      return { ...next, openRefunds: left, refundStatus: left > 0 ? 'requested' : (doc.refundedAmount?.amount ?? 0) > 0 ? 'partially_refunded' : 'none' };
    }
    case 'OrderRefunded': {
      const left = Math.max(0, open - 1);
      const refundedAmount = { amount: (doc.refundedAmount?.amount ?? 0) + order.data.amount.amount, currency: order.data.amount.currency };
      if (order.data.fullyRefunded) {
        return { ...next, openRefunds: left, refundedAmount, status: 'closed', paymentStatus: 'refunded', refundStatus: 'refunded', fulfillmentStatus: order.data.returned ? 'returned' : doc.fulfillmentStatus };
      }
      return { ...next, openRefunds: left, refundedAmount, paymentStatus: 'partially_refunded', refundStatus: left > 0 ? 'requested' : 'partially_refunded' };
    }
    default:
      return doc;
  }
}

function evolveShipment(doc: OrderView, event: RecordedEvent): OrderView {
  const shipment = event as unknown as ShipmentEvent;
  const at = shipment.data.at;
  const next = { ...doc, position: event.position, updatedAt: at };
  const update = (patch: Partial<OrderView['shipments'][number]>) => doc.shipments.map((entry) => (entry.id === shipment.data.shipmentId ? { ...entry, ...patch } : entry));
  switch (shipment.type) {
    case 'ShipmentCreated':
      if (doc.shipments.some((entry) => entry.id === shipment.data.shipmentId)) return doc;
      return {
        ...next,
        shipments: [...doc.shipments, { id: shipment.data.shipmentId, carrier: shipment.data.carrier, trackingNumber: shipment.data.trackingNumber, status: 'in_transit' }],
        timeline: [...doc.timeline, timelineEntry(event, at)],
      };
    case 'ShipmentTrackingNumberChanged':
      return { ...next, shipments: update({ trackingNumber: shipment.data.trackingNumber }), timeline: [...doc.timeline, timelineEntry(event, at, `${shipment.data.previous} → ${shipment.data.trackingNumber}`)] };
    case 'ShipmentDelivered':
      return { ...next, shipments: update({ status: 'delivered' }), timeline: [...doc.timeline, timelineEntry(event, at)] };
    case 'ShipmentFailed':
      return { ...next, shipments: update({ status: 'failed' }), timeline: [...doc.timeline, timelineEntry(event, at, shipment.data.reason)] };
    case 'ShipmentReturned':
      return { ...next, shipments: update({ status: 'returned' }), timeline: [...doc.timeline, timelineEntry(event, at)] };
    default:
      return doc;
  }
}

const REFUND_STATUS_AFTER: Partial<Record<RefundEvent['type'], string>> = {
  RefundApproved: 'approved',
  RefundReturnAwaited: 'awaiting_return',
  RefundRejected: 'rejected',
  RefundReturnReceived: 'returned',
  RefundStarted: 'refunding',
  RefundCompleted: 'refunded',
};

function evolveRefund(doc: OrderView, event: RecordedEvent): OrderView {
  const refund = event as unknown as RefundEvent;
  const at = refund.data.at;
  const next = { ...doc, position: event.position, updatedAt: at };
  const entry = (reason?: string | null) => [...doc.timeline, timelineEntry(event, at, reason ?? undefined)];
  if (refund.type === 'RefundRequested') {
    if (doc.refunds.some((candidate) => candidate.id === refund.data.refundId)) return doc;
    const { refundId, type, amount, items, reason } = refund.data;
    return { ...next, refunds: [...doc.refunds, { id: refundId, status: 'requested', type, amount, items }], timeline: entry(reason) };
  }
  const status = REFUND_STATUS_AFTER[refund.type];
  const refunds = status ? doc.refunds.map((candidate) => (candidate.id === refund.data.refundId ? { ...candidate, status } : candidate)) : doc.refunds;
  const note = refund.type === 'RefundApproved' || refund.type === 'RefundRejected' ? refund.data.note : refund.type === 'RefundReturnShipped' ? `${refund.data.carrier} ${refund.data.trackingNumber}` : null;
  return { ...next, refunds, timeline: entry(note) };
}

function evolveHold(doc: OrderHoldDoc | null, event: RecordedEvent, id: string): ViewDocument | null {
  if (HOLD_ENDING_ORDER_EVENTS.has(event.type)) return null;
  const settle = (next: OrderHoldDoc): OrderHoldDoc | null => (Object.keys(next.stock).length === 0 && next.promotion === null ? null : { ...next, position: event.position });
  if (event.streamId.startsWith('inventory-')) {
    const stock = event as unknown as InventoryEvent;
    if (stock.type === 'StockReserved') {
      const base: OrderHoldDoc = doc ?? { id, payOrderId: stock.data.payOrderId, expiresAt: stock.data.expiresAt, stock: {}, promotion: null, position: event.position };
      const next = { ...base, stock: { ...base.stock, [stock.data.skuId]: stock.data.quantity } };
      return settle(stock.data.flashSaleId ? { ...next, flashSales: { ...next.flashSales, [stock.data.skuId]: stock.data.flashSaleId } } : next);
    }
    if (!doc || (stock.type !== 'ReservationReleased' && stock.type !== 'ReservationCommitted')) return doc;
    const { [stock.data.skuId]: _gone, ...rest } = doc.stock;
    if (!doc.flashSales?.[stock.data.skuId]) return settle({ ...doc, stock: rest });
    const { [stock.data.skuId]: _sale, ...otherSales } = doc.flashSales;
    return settle({ ...doc, stock: rest, flashSales: otherSales });
  }
  const promotion = event as unknown as PromotionEvent;
  if (promotion.type === 'PromotionRedeemed') {
    const base: OrderHoldDoc = doc ?? { id, payOrderId: promotion.data.redemptionId, expiresAt: promotion.data.expiresAt, stock: {}, promotion: null, position: event.position };
    return settle({ ...base, promotion: { code: promotion.data.code, redemptionId: promotion.data.redemptionId } });
  }
  if (promotion.type === 'PromotionReturned') return doc ? settle({ ...doc, promotion: null }) : doc;
  return doc;
}
