import type { Deps } from '../../deps.js';
import type { FindPage, FieldValue } from '../../ports/view-store.js';
import { ORDERS, type OrderView } from '../../projections/orders/orders.js';

type Views = Pick<Deps, 'views'>;

/** The order view without its index signature, `position` as a string (API.md). */
type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
export type OrderResource = Omit<Known<OrderView>, 'position'> & { position: string };

const resource = (view: OrderView): OrderResource => ({ ...(view as Known<OrderView>), position: String(view.position) });

/** Orders newest first (by creation time, then id): a buyer's (`userId`), a merchant's (`merchantId`), or everyone's (admin). */
export async function listOrders(
  deps: Views,
  query: { userId?: string; merchantId?: string; status?: string; limit: number; cursor?: string | null },
): Promise<{ items: OrderResource[]; nextCursor: string | null }> {
  const where: Record<string, FieldValue> = {};
  if (query.userId !== undefined) where.userId = query.userId;
  if (query.merchantId !== undefined) where.merchantId = query.merchantId;
  if (query.status !== undefined) where.status = query.status;
  const page: FindPage<OrderView> = await deps.views.find<OrderView>(ORDERS, { where, orderBy: { field: 'createdAt', direction: 'desc' }, limit: query.limit, cursor: query.cursor });
  return { items: page.items.map(resource), nextCursor: page.nextCursor };
}

/**
 * One order; null when absent or not visible to this viewer: its buyer, its merchant (a user with the
 * merchant role whose id is the order's merchantId) and admins see it; to anyone else it reads as absent.
 */
export async function getOrder(deps: Views, orderId: string, viewer: { id: string; admin: boolean; merchant?: boolean }): Promise<OrderResource | null> {
  const view = await deps.views.get<OrderView>(ORDERS, orderId);
  if (!view || !(viewer.admin || view.userId === viewer.id || (viewer.merchant === true && view.merchantId === viewer.id))) return null;
  return resource(view);
}
