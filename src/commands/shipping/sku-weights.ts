import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { productStream, type ActiveProduct } from '../../domain/catalog/product.js';
import { ownSku, type CatalogActor } from '../catalog/lookups.js';
import { productResource } from '../catalog/product-resource.js';
import type { ProductCommandResult } from '../catalog/products.js';

/** Sets (or, with null, removes) a SKU's shipping weight; `expectedVersion` is the product's version (If-Match). */
export async function changeSkuWeight(
  deps: Deps,
  actor: CatalogActor,
  input: { skuId: string; weightGrams: number | null; expectedVersion?: number },
  metadata: EventMetadata,
): Promise<ProductCommandResult> {
  const { sku } = await ownSku(deps, actor, input.skuId);
  const result = await deps.handlers.product.handle(
    productStream(sku.productId),
    { type: 'ChangeSkuWeight', skuId: input.skuId, weightGrams: input.weightGrams, at: deps.clock.now().toISOString() },
    { metadata, ...(input.expectedVersion !== undefined ? { expectedRevision: input.expectedVersion } : {}) },
  );
  return { product: await productResource(deps, result.state as ActiveProduct, result.revision), position: result.position };
}
