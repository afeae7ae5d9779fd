import type { Deps } from '../../deps.js';
import type { FieldValue } from '../../ports/view-store.js';
import { REFUNDS, type RefundView } from '../../projections/orders/refunds.js';

type Views = Pick<Deps, 'views'>;

/** A refund of the queue without the view's index signature, `position` as a string (docs/api.md). */
type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
export type RefundQueueItem = Omit<Known<RefundView>, 'position'> & { position: string };

/**
 * The refund queue, oldest request first (by request time, then id), so the refunds that have waited
 * longest come first: everyone's (admin) or one shop's (`merchantId`), optionally in one status.
 */
export async function listRefunds(
  deps: Views,
  query: { merchantId?: string; status?: string; limit: number; cursor?: string | null },
): Promise<{ items: RefundQueueItem[]; nextCursor: string | null }> {
  const where: Record<string, FieldValue> = {};
  if (query.merchantId !== undefined) where.merchantId = query.merchantId;
  if (query.status !== undefined) where.status = query.status;
  const page = await deps.views.find<RefundView>(REFUNDS, { where, orderBy: { field: 'requestedAt', direction: 'asc' }, limit: query.limit, cursor: query.cursor });
  return { items: page.items.map((view) => ({ ...(view as Known<RefundView>), position: String(view.position) })), nextCursor: page.nextCursor };
}
