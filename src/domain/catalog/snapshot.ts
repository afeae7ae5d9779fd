import type { Money } from '../common/money.js';
import type { AttributeValues } from './attributes.js';
import { canonicalJson, sha256Hex } from './canonical.js';

/**
 * An item snapshot (快照和操作日志): the buyer-relevant content of a product at one revision.
 * Its id is the sha256 of the canonical JSON of the content, so identical content always has the same
 * snapshot id and an order line can point at what the buyer saw without copying it per order.
 */
export interface SnapshotContent {
  productId: string;
  merchantId: string;
  title: string;
  description: string;
  images: string[];
  brand: { id: string; name: string };
  category: { id: string; name: string };
  /** Key and general attributes. */
  attributes: AttributeValues;
  skus: Array<{ skuId: string; skuCode: string; salesAttributes: AttributeValues; price: Money }>;
}

/** What a snapshot is made from: the product's content with its attributes still split by kind. */
export type SnapshotSource = Omit<SnapshotContent, 'attributes'> & {
  keyAttributes: AttributeValues;
  generalAttributes: AttributeValues;
};

export function snapshotContent(source: SnapshotSource): SnapshotContent {
  return {
    productId: source.productId,
    merchantId: source.merchantId,
    title: source.title,
    description: source.description,
    images: source.images,
    brand: source.brand,
    category: source.category,
    attributes: { ...source.generalAttributes, ...source.keyAttributes },
    skus: [...source.skus]
      .sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0))
      .map(({ skuId, skuCode, salesAttributes, price }) => ({ skuId, skuCode, salesAttributes, price })),
  };
}

export const snapshotId = (content: SnapshotContent): string => sha256Hex(canonicalJson(content));
