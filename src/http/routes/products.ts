import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { IdSchema } from '../../commands/catalog/schemas.js';
import { searchProducts } from '../../queries/catalog/search.js';
import { getListedProduct } from '../../queries/catalog/product-detail.js';
import { frontendCategoryTree } from '../../queries/catalog/frontend-tree.js';
import { errors, json, router } from '../openapi.js';
import { z } from '@hono/zod-openapi';
import { FrontendCategoryTreeSchema, ProductDetailSchema, SEARCH_DESCRIPTION, SearchQuerySchema, SearchResultSchema, tags, toSearchQuery } from './storefront-schemas.js';

/** The app's product reads (public): search with facets, product detail, the frontend category tree. */
export function productRoutes(deps: Deps) {
  const app = router();

  // Registered before /products/{id}, which would otherwise take "search" for an id.
  app.openapi(
    createRoute({
      method: 'get', path: '/products/search', tags,
      summary: 'Search listed products: keywords, filters, facets, sorts, pages',
      description: SEARCH_DESCRIPTION,
      request: { query: SearchQuerySchema },
      responses: { 200: json(SearchResultSchema, 'a page of hits with facets'), ...errors(400) },
    }),
    async (c) => c.json(await searchProducts(deps, toSearchQuery(c.req.valid('query'))), 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/products/{id}', tags,
      summary: 'A listed product with its SKUs, prices and availability',
      description: 'Draft, delisted and unknown products are 404. Served through a short-lived cache that every product or stock change invalidates; with `X-Min-Position` the answer includes that change.',
      request: { params: z.object({ id: IdSchema }) },
      responses: { 200: json(ProductDetailSchema, 'the product'), ...errors(404) },
    }),
    async (c) => {
      const product = await getListedProduct(deps, c.req.valid('param').id);
      if (!product) throw new NotFoundError('product');
      return c.json(product, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/frontend-categories', tags,
      summary: 'The storefront category tree the app shows',
      description: 'Every frontend category, nested under its parent. Filter a search with `frontendCategory=<id>`.',
      responses: { 200: json(FrontendCategoryTreeSchema, 'the tree') },
    }),
    async (c) => c.json({ items: await frontendCategoryTree(deps) }, 200),
  );

  return app;
}
