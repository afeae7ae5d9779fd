import type { Deps } from '../../deps.js';
import type { FindPage, FieldValue } from '../../ports/view-store.js';
import { keysetStart } from '../../kernel/cursor.js';
import { ORDERS, type OrderView } from '../../projections/orders/orders.js';
import { declinedAttempts, payOrderPayments } from './pay-orders.js';

type Views = Pick<Deps, 'views'>;

/** The order view without its index signature, `position` as a string (docs/api.md). */
type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
export type OrderResource = Omit<Known<OrderView>, 'position'> & { position: string };

const resource = (view: OrderView): OrderResource => ({ ...(view as Known<OrderView>), position: String(view.position) });

export interface OrderListQuery {
  userId?: string | undefined;
  merchantId?: string | undefined;
  status?: string | undefined;
  paymentStatus?: string | undefined;
  fulfillmentStatus?: string | undefined;
  refundStatus?: string | undefined;
  /** Created at or after (ISO-8601, inclusive). */
  createdFrom?: string | undefined;
  /** Created before (ISO-8601, exclusive). */
  createdTo?: string | undefined;
  limit: number;
  cursor?: string | null | undefined;
}

/**
 * Orders newest first (by creation time, then id): a buyer's (`userId`), a merchant's (`merchantId`), or
 * everyone's (admin); by `status`, `paymentStatus`, `fulfillmentStatus`, `refundStatus` (equality) and a
 * creation window. The window is a keyset range on the createdAt order: the first page starts below
 * `createdTo`, and the list stops at the first order older than `createdFrom`.
 */
export async function listOrders(deps: Views, query: OrderListQuery): Promise<{ items: OrderResource[]; nextCursor: string | null }> {
  const where: Record<string, FieldValue> = {};
  for (const field of ['userId', 'merchantId', 'status', 'paymentStatus', 'fulfillmentStatus', 'refundStatus'] as const) {
    if (query[field] !== undefined) where[field] = query[field];
  }
  const createdTo = query.createdTo === undefined ? undefined : new Date(query.createdTo).toISOString();
  const createdFrom = query.createdFrom === undefined ? undefined : new Date(query.createdFrom).toISOString();
  const cursor = query.cursor ?? (createdTo ? keysetStart(createdTo) : null);
  const page: FindPage<OrderView> = await deps.views.find<OrderView>(ORDERS, { where, orderBy: { field: 'createdAt', direction: 'desc' }, limit: query.limit, cursor });
  if (createdFrom === undefined) return { items: page.items.map(resource), nextCursor: page.nextCursor };
  const items = page.items.filter((order) => order.createdAt >= createdFrom);
  return { items: items.map(resource), nextCursor: items.length < page.items.length ? null : page.nextCursor };
}

/**
 * One order; null when absent or not visible to this viewer: its buyer, its merchant (a user with the
 * merchant role whose id is the order's merchantId) and admins see it; to anyone else it reads as absent.
 * Its timeline also shows the declined payment attempts of its pay order (from the payments view).
 */
export async function getOrder(deps: Views, orderId: string, viewer: { id: string; admin: boolean; merchant?: boolean }): Promise<OrderResource | null> {
  const view = await deps.views.get<OrderView>(ORDERS, orderId);
  if (!view || !(viewer.admin || view.userId === viewer.id || (viewer.merchant === true && view.merchantId === viewer.id))) return null;
  const declined = declinedAttempts(await payOrderPayments(deps, view.payOrderId));
  if (declined.length === 0) return resource(view);
  // A declined payment attempt shows in the timeline at its time (stable: the order's own entries keep their order).
  const timeline = [...view.timeline, ...declined].map((entry, index) => ({ entry, index })).sort((a, b) => (a.entry.at < b.entry.at ? -1 : a.entry.at > b.entry.at ? 1 : a.index - b.index));
  return resource({ ...view, timeline: timeline.map(({ entry }) => entry) });
}
