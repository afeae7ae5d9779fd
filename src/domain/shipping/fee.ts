import { canonicalProvince } from './provinces.js';
import type { ShippingTemplateDefinition } from './template.js';

/**
 * Shipping fees (pure). A merchant order's lines are grouped by the template that prices them (the
 * product's own, else the merchant's default); each group is one parcel priced by its template, and the
 * order's fee is the sum (as Shopify adds the rates of several shipping profiles). Lines no template
 * prices ship free.
 */
export interface ParcelLine {
  quantity: number;
  /** The SKU's weight in grams; a SKU without one weighs nothing. */
  weightGrams?: number;
}

export interface Parcel {
  lines: ParcelLine[];
  /** The goods subtotal of the merchant's whole order (minor units): the free-shipping threshold is measured on it. */
  orderSubtotal: number;
  /** The shipping address's province, as given (any name canonicalProvince knows); null or unknown: the template's own rate. */
  province: string | null | undefined;
}

/** The region of the template that covers the province, if any. */
export function regionFor(template: ShippingTemplateDefinition, province: string | null | undefined) {
  const canonical = canonicalProvince(province);
  return canonical ? template.regions.find((region) => region.provinces.includes(canonical)) : undefined;
}

/** The fee of one parcel under one template, in minor units. */
export function shippingFee(template: ShippingTemplateDefinition, parcel: Parcel): number {
  const region = regionFor(template, parcel.province);
  const rate = region?.rate ?? template.rate;
  const freeOver = region && region.freeOver !== undefined ? region.freeOver : template.freeOver;
  if (freeOver && parcel.orderSubtotal >= freeOver.amount) return 0;
  switch (template.kind) {
    case 'flat':
      return rate.first.amount;
    case 'count': {
      const items = parcel.lines.reduce((sum, line) => sum + line.quantity, 0);
      return items === 0 ? 0 : rate.first.amount + (items - 1) * rate.additional.amount;
    }
    case 'weight': {
      if (parcel.lines.length === 0) return 0;
      const grams = parcel.lines.reduce((sum, line) => sum + line.quantity * (line.weightGrams ?? 0), 0);
      // every started kilogram counts; a parcel pays at least the first one
      const kilograms = Math.max(1, Math.ceil(grams / 1000));
      return rate.first.amount + (kilograms - 1) * rate.additional.amount;
    }
  }
}

/** The fee of a merchant order: each template's parcel priced on its own, summed. `template: null` lines ship free. */
export function orderShippingFee(groups: Array<{ template: ShippingTemplateDefinition | null; lines: ParcelLine[] }>, order: Omit<Parcel, 'lines'>): number {
  return groups.reduce((sum, group) => sum + (group.template ? shippingFee(group.template, { ...order, lines: group.lines }) : 0), 0);
}
