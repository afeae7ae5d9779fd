import type { Deps } from '../../deps.js';
import { REFUNDS, type RefundView } from '../../projections/orders/refunds.js';

/** A customer's refund as listed to them, `position` as a string. */
type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
export type MyRefund = Omit<Known<RefundView>, 'userId' | 'position'> & { position: string };

/** The customer's refunds (requested by them or by an admin on their orders), newest request first (refunds view, index userId + requestedAt). */
export async function listMyRefunds(deps: Pick<Deps, 'views'>, userId: string, page: { limit: number; cursor?: string | undefined }): Promise<{ items: MyRefund[]; nextCursor: string | null }> {
  const found = await deps.views.find<RefundView>(REFUNDS, { where: { userId }, orderBy: { field: 'requestedAt', direction: 'desc' }, limit: page.limit, cursor: page.cursor ?? null });
  return {
    items: found.items.map((view) => ({
      id: view.id,
      orderId: view.orderId,
      payOrderId: view.payOrderId,
      merchantId: view.merchantId,
      status: view.status,
      type: view.type,
      amount: view.amount,
      items: view.items,
      reason: view.reason,
      initiator: view.initiator,
      returnShipment: view.returnShipment,
      note: view.note,
      requestedAt: view.requestedAt,
      updatedAt: view.updatedAt,
      version: view.version,
      position: String(view.position),
    })),
    nextCursor: found.nextCursor,
  };
}
