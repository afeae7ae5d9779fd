import type { Deps } from '../../deps.js';
import type { ActiveProduct, Sku } from '../../domain/catalog/product.js';
import { orderShippingFee, type ParcelLine } from '../../domain/shipping/fee.js';
import { merchantShippingStream } from '../../domain/shipping/merchant-shipping.js';
import { shippingTemplateStream, type ShippingTemplateDefinition } from '../../domain/shipping/template.js';

export interface ShippedLine {
  product: Pick<ActiveProduct, 'merchantId' | 'shippingTemplateId'>;
  sku: Pick<Sku, 'weightGrams'>;
  quantity: number;
}

/** One of the merchant's templates, read from its stream (the fee decides what is charged); null when it is not the merchant's. */
async function merchantTemplate(deps: Pick<Deps, 'handlers'>, merchantId: string, templateId: string | null | undefined): Promise<ShippingTemplateDefinition | null> {
  if (!templateId) return null;
  const { state } = await deps.handlers.shippingTemplate.load(shippingTemplateStream(templateId));
  return state.status === 'active' && state.merchantId === merchantId ? state : null;
}

/**
 * The shipping fee of one merchant's order (minor units): each line priced by its product's template, else
 * by the merchant's default, per template as one parcel (src/domain/shipping/fee.ts). `orderSubtotal` is
 * the order's goods subtotal (the free-shipping threshold is measured on it); `province` the shipping
 * address's. A merchant without templates charges nothing.
 */
export async function merchantShippingFee(
  deps: Pick<Deps, 'handlers'>,
  merchantId: string,
  lines: ShippedLine[],
  order: { orderSubtotal: number; province: string | null | undefined },
): Promise<number> {
  const byTemplate = new Map<string, ParcelLine[]>();
  let defaultId: string | null | undefined;
  const templates = new Map<string, ShippingTemplateDefinition | null>();
  for (const { product, sku, quantity } of lines) {
    let templateId = product.shippingTemplateId ?? null;
    if (templateId && !templates.has(templateId)) templates.set(templateId, await merchantTemplate(deps, merchantId, templateId));
    if (!templateId || !templates.get(templateId)) {
      // the product names no template (or one that is not the merchant's): the merchant's default
      if (defaultId === undefined) defaultId = (await deps.handlers.merchantShipping.load(merchantShippingStream(merchantId))).state.defaultTemplateId;
      templateId = defaultId;
      if (templateId && !templates.has(templateId)) templates.set(templateId, await merchantTemplate(deps, merchantId, templateId));
    }
    if (!templateId) continue;
    byTemplate.set(templateId, [...(byTemplate.get(templateId) ?? []), { quantity, ...(sku.weightGrams !== undefined ? { weightGrams: sku.weightGrams } : {}) }]);
  }
  const groups = [...byTemplate.entries()].map(([templateId, parcel]) => ({ template: templates.get(templateId) ?? null, lines: parcel }));
  return orderShippingFee(groups, order);
}
