import type { Deps } from '../../deps.js';
import type { ActiveProduct, Sku } from '../../domain/catalog/product.js';
import { inventoryStream } from '../../domain/inventory/inventory.js';

export interface SkuResource extends Sku {
  id: string;
  onHand: number;
  reserved: number;
  available: number;
}

/** A product as the admin routes answer it (from a command's own state, so it is never stale). */
export interface ProductResource {
  [key: string]: unknown;
  id: string;
  merchantId: string;
  spuId: string;
  status: ActiveProduct['status'];
  title: string;
  description: string;
  images: string[];
  category: { id: string; name: string };
  brand: { id: string; name: string };
  keyAttributes: Record<string, string>;
  attributes: Record<string, string>;
  skus: SkuResource[];
  takeStockAt: ActiveProduct['takeStockAt'];
  currentSnapshotId: string;
  listedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export function productView(product: ActiveProduct, version: number, stock: (skuId: string) => { onHand: number; reserved: number }): ProductResource {
  return {
    id: product.productId,
    merchantId: product.merchantId,
    spuId: product.spuId,
    status: product.status,
    title: product.title,
    description: product.description,
    images: product.images,
    category: product.category,
    brand: product.brand,
    keyAttributes: product.keyAttributes,
    attributes: product.generalAttributes,
    skus: product.skus.map((sku) => {
      const { onHand, reserved } = stock(sku.skuId);
      return { ...sku, id: sku.skuId, onHand, reserved, available: onHand - reserved };
    }),
    takeStockAt: product.takeStockAt,
    currentSnapshotId: product.currentSnapshotId,
    listedAt: product.listedAt,
    createdAt: product.createdAt,
    updatedAt: product.updatedAt,
    version,
  };
}

/** The product with the stock read from each SKU's inventory stream. */
export async function productResource(deps: Deps, product: ActiveProduct, version: number): Promise<ProductResource> {
  const stock = new Map<string, { onHand: number; reserved: number }>();
  for (const sku of product.skus) {
    const { state } = await deps.handlers.inventory.load(inventoryStream(sku.skuId));
    stock.set(sku.skuId, state.status === 'tracked' ? { onHand: state.onHand, reserved: state.reserved } : { onHand: 0, reserved: 0 });
  }
  return productView(product, version, (skuId) => stock.get(skuId) ?? { onHand: 0, reserved: 0 });
}
