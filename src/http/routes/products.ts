import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { ForbiddenError, NotFoundError } from '../../kernel/errors.js';
import { IdSchema } from '../../commands/catalog/schemas.js';
import { searchForViewer } from '../../queries/catalog/personalized-search.js';
import { signalRecorder } from '../../commands/personalization/signals.js';
import { getListedProduct } from '../../queries/catalog/product-detail.js';
import { frontendCategoryTree } from '../../queries/catalog/frontend-tree.js';
import { errors, json, router } from '../openapi.js';
import { z } from '@hono/zod-openapi';
import { FrontendCategoryTreeSchema, ProductDetailSchema, SEARCH_DESCRIPTION, SearchQuerySchema, SearchResultSchema, SuggestQuerySchema, SuggestResultSchema, tags, toSearchQuery } from './storefront-schemas.js';
import { suggestProducts } from '../../queries/catalog/suggest.js';

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
      responses: { 200: json(SearchResultSchema, 'a page of hits with facets (personalized for a signed-in shopper: `X-Personalized: true`)'), ...errors(400, 403) },
    }),
    async (c) => {
      const params = c.req.valid('query');
      const user = c.get('user');
      const explain = params.explain === 'true';
      if (explain && !user?.roles.includes('admin')) throw new ForbiddenError('explain=true is for admins');
      const { personalized, ...page } = await searchForViewer(deps, toSearchQuery(params), user ? { userId: user.id, explain } : null);
      return c.json(page, 200, user ? { 'X-Personalized': String(personalized), 'Cache-Control': 'private, no-store' } : {});
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/products/suggest', tags,
      summary: 'Completions as the shopper types: phrases of titles, brands and categories, by Chinese prefix, pinyin or initials',
      description: 'Phrases of listed products (a brand, a category name, a Chinese word or pair of words or a Latin word of a title) whose text, pinyin or pinyin initials start with `q` (folded: case, width, spaces and punctuation do not count), ranked by the sales of the products holding them, then by their number. An empty answer for a `q` without letters or digits.',
      request: { query: SuggestQuerySchema },
      responses: { 200: json(SuggestResultSchema, 'the completions, best first'), ...errors(400) },
    }),
    async (c) => c.json({ items: await suggestProducts(deps, c.req.valid('query')) }, 200),
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
      const user = c.get('user');
      if (user) signalRecorder(deps).record(user.id, { kind: 'view', productId: product.id });
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
