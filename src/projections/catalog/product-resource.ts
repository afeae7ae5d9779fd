import type { ActiveProduct, Sku } from '../../domain/catalog/product.js';

export interface SkuResource extends Sku {
  id: string;
  onHand: number;
  reserved: number;
  available: number;
  /** The SKU's stock version (its inventory stream revision; -1 before any stock): If-Match of a stock change. */
  stockVersion: number;
}

/**
 * A product as the admin routes answer it: from a command's own state (never stale) or from the catalog
 * read model (the lists). Shared by commands/ and queries/.
 */
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
  shippingTemplateId: string | null;
  currentSnapshotId: string;
  listedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface SkuStock {
  onHand: number;
  reserved: number;
  version: number;
}

export const NO_STOCK: SkuStock = { onHand: 0, reserved: 0, version: -1 };

export function productView(product: ActiveProduct, version: number, stock: (skuId: string) => SkuStock | null | undefined): ProductResource {
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
      const { onHand, reserved, version: stockVersion } = stock(sku.skuId) ?? NO_STOCK;
      return { ...sku, id: sku.skuId, onHand, reserved, available: onHand - reserved, stockVersion };
    }),
    takeStockAt: product.takeStockAt,
    shippingTemplateId: product.shippingTemplateId ?? null,
    currentSnapshotId: product.currentSnapshotId,
    listedAt: product.listedAt,
    createdAt: product.createdAt,
    updatedAt: product.updatedAt,
    version,
  };
}
