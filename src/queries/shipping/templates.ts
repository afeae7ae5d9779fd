import type { Deps } from '../../deps.js';
import { SHIPPING_TEMPLATES, type ShippingTemplateDoc } from '../../projections/shipping/templates.js';

type Views = Pick<Deps, 'views'>;

/** A merchant's shipping templates, oldest first. */
export async function listShippingTemplates(deps: Views, query: { merchantId: string; limit: number; cursor?: string | null }): Promise<{ items: ShippingTemplateDoc[]; nextCursor: string | null }> {
  return deps.views.find<ShippingTemplateDoc>(SHIPPING_TEMPLATES, { where: { merchantId: query.merchantId }, orderBy: { field: 'createdAt', direction: 'asc' }, limit: query.limit, cursor: query.cursor });
}

/** One template; null when absent or not the viewer's (a merchant sees its own, an admin every one). */
export async function getShippingTemplate(deps: Views, templateId: string, viewer: { id: string; admin: boolean }): Promise<ShippingTemplateDoc | null> {
  const doc = await deps.views.get<ShippingTemplateDoc>(SHIPPING_TEMPLATES, templateId);
  return doc && (viewer.admin || doc.merchantId === viewer.id) ? doc : null;
}
