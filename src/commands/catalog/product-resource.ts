import type { Deps } from '../../deps.js';
import type { ActiveProduct } from '../../domain/catalog/product.js';
import { inventoryStream } from '../../domain/inventory/inventory.js';
import { NO_STOCK, productView, type ProductResource, type SkuStock } from '../../projections/catalog/product-resource.js';

export type { ProductResource } from '../../projections/catalog/product-resource.js';

/** The product with the stock read from each SKU's inventory stream. */
export async function productResource(deps: Deps, product: ActiveProduct, version: number): Promise<ProductResource> {
  const stock = new Map<string, SkuStock>();
  for (const sku of product.skus) {
    const { state, revision } = await deps.handlers.inventory.load(inventoryStream(sku.skuId));
    stock.set(sku.skuId, state.status === 'tracked' ? { onHand: state.onHand, reserved: state.reserved, version: revision } : { ...NO_STOCK, version: revision });
  }
  return productView(product, version, (skuId) => stock.get(skuId));
}
