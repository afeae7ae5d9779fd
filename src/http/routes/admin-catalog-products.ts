import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { PRODUCT_STATUSES } from '../../domain/catalog/product.js';
import { changeSkuPrice, changeStock, createProduct, editProductInfo, setProductStatus, type ProductCommandResult } from '../../commands/catalog/products.js';
import { canTouch } from '../../commands/catalog/lookups.js';
import { CreateProductSchema } from '../../commands/catalog/schemas.js';
import { getProduct, listProducts } from '../../queries/catalog/catalog.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { idempotent } from '../middleware/idempotency.js';
import { errors, etag, IdempotencyKeyHeader, IfMatchHeader, json, jsonBody, parseIfMatch, router } from '../openapi.js';
import {
  catalogActor,
  CreatedProduct,
  EditProductBody,
  IdParam,
  IdSchema,
  PageQuery,
  PriceBody,
  ProductResult,
  ProductSchema,
  security,
  StatusBody,
  StockBody,
  StockResult,
  tags,
} from './admin-catalog-schemas.js';

const staff = requireUser('admin', 'merchant');
const SkuParam = z.object({ skuId: IdSchema });
const ownership = 'Merchants (and their API keys) reach only their own products: another merchant’s product or SKU is 404, so its existence is not revealed. Admins reach all.';

const answer = (result: ProductCommandResult) => ({ ...result.product, position: String(result.position) });
const headers = (result: ProductCommandResult) => ({ ETag: etag(result.product.version), 'X-Position': String(result.position) });

/** Products and SKUs (admin: all; merchant: its own). */
export function adminCatalogProductRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post', path: '/products', tags, security, middleware: [staff, idempotent(deps.kv)] as const,
      summary: 'Create a product with its SKUs (SKU-first, or under a platform SPU)',
      description: `Two modes. SKU-first: give title, categoryId, brandId and attributes (every key attribute of the category, plus general ones); the SPU is generated. SPU-first: give spuId; title, category, brand and key attributes come from the SPU. Each SKU: a skuCode unique among the merchant's SKUs, salesAttributes with exactly the category's sales attributes (allowed values only; no two SKUs alike), a price in CNY fen (> 0) and its initial stock. Products an admin creates belong to "platform" unless the admin names merchantId. ${ownership}`,
      request: { headers: IdempotencyKeyHeader, body: jsonBody(CreateProductSchema) },
      responses: { 201: json(CreatedProduct, 'created'), ...errors(400, 401, 403, 409, 415, 422) },
    }),
    async (c) => {
      const result = await createProduct(deps, catalogActor(c), c.req.valid('json'), commandMetadata(c));
      return c.json({ id: result.id, skus: result.skus, position: String(result.position) }, 201, {
        ETag: etag(result.product.version),
        'X-Position': String(result.position),
        Location: `/api/v1/admin/products/${result.id}`,
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/products', tags, security, middleware: [staff] as const,
      summary: 'List products (a merchant sees its own), by keyword, status, category or brand',
      description: 'Every status (drafts and delisted products too), in id order. `q` keeps the products whose title or brand name contains it (ASCII letters in either case): a scan over the other filters’ matches, for the console; shoppers search with GET /products.',
      request: {
        query: z.object({
          q: z.string().trim().max(100).optional().openapi({ description: 'text the title or the brand name contains' }),
          status: z.enum(PRODUCT_STATUSES).optional(),
          merchantId: IdSchema.optional().openapi({ description: 'admin only' }),
          categoryId: IdSchema.optional().openapi({ description: 'only products of this backend category (not its subcategories)' }),
          brandId: IdSchema.optional().openapi({ description: 'only products of this brand' }),
          ...PageQuery,
        }),
      },
      responses: { 200: json(z.object({ items: z.array(ProductSchema), nextCursor: z.string().nullable() }).openapi('AdminProductPage'), 'a page of products'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const actor = catalogActor(c);
      const query = c.req.valid('query');
      const merchantId = actor.role === 'admin' ? query.merchantId : actor.id;
      return c.json(await listProducts(deps, { ...query, merchantId }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/products/{id}', tags, security, middleware: [staff] as const,
      summary: 'A product with its SKUs and their stock (ETag: its version)',
      description: ownership,
      request: { params: IdParam },
      responses: { 200: json(ProductSchema, 'the product'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const product = await getProduct(deps, c.req.valid('param').id);
      if (!product || !canTouch(catalogActor(c), product.merchantId)) throw new NotFoundError('product');
      return c.json(product, 200, { ETag: etag(product.version) });
    },
  );

  app.openapi(
    createRoute({
      method: 'patch', path: '/products/{id}', tags, security, middleware: [staff] as const,
      summary: 'Edit title, description, images, general attributes or takeStockAt (If-Match: a stale version is 412)',
      description: `Content changes get a new item snapshot id (currentSnapshotId). ${ownership}`,
      request: { params: IdParam, headers: IfMatchHeader, body: jsonBody(EditProductBody) },
      responses: { 200: json(ProductResult, 'the edited product'), ...errors(400, 401, 403, 404, 412, 415) },
    }),
    async (c) => {
      const { attributes, ...rest } = c.req.valid('json');
      const result = await editProductInfo(
        deps,
        catalogActor(c),
        { productId: c.req.valid('param').id, changes: { ...rest, ...(attributes ? { generalAttributes: attributes } : {}) }, expectedVersion: parseIfMatch(c.req.header('If-Match')) },
        commandMetadata(c),
      );
      return c.json(answer(result), 200, headers(result));
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/products/{id}/status', tags, security, middleware: [staff] as const,
      summary: 'List or delist a product (If-Match optional)',
      description: `Listing needs a SKU with a price; only a listed product can be delisted (409 INVALID_STATE_TRANSITION). ${ownership}`,
      request: { params: IdParam, headers: IfMatchHeader, body: jsonBody(StatusBody) },
      responses: { 200: json(ProductResult, 'the product'), ...errors(400, 401, 403, 404, 409, 412, 415) },
    }),
    async (c) => {
      const result = await setProductStatus(
        deps,
        catalogActor(c),
        { productId: c.req.valid('param').id, status: c.req.valid('json').status, expectedVersion: parseIfMatch(c.req.header('If-Match')) },
        commandMetadata(c),
      );
      return c.json(answer(result), 200, headers(result));
    },
  );

  app.openapi(
    createRoute({
      method: 'put', path: '/skus/{skuId}/price', tags, security, middleware: [staff] as const,
      summary: "Set a SKU's price (If-Match optional: the product's version)",
      description: ownership,
      request: { params: SkuParam, headers: IfMatchHeader, body: jsonBody(PriceBody) },
      responses: { 200: json(ProductResult, 'the product with the new price'), ...errors(400, 401, 403, 404, 412, 415) },
    }),
    async (c) => {
      const result = await changeSkuPrice(
        deps,
        catalogActor(c),
        { skuId: c.req.valid('param').skuId, price: c.req.valid('json').price, expectedVersion: parseIfMatch(c.req.header('If-Match')) },
        commandMetadata(c),
      );
      return c.json(answer(result), 200, headers(result));
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/skus/{skuId}/stock', tags, security, middleware: [staff, idempotent(deps.kv)] as const,
      summary: "Set a SKU's stock or change it by a delta (Idempotency-Key recommended for deltas; If-Match optional: the stock version)",
      description: `${ownership} The answer's ETag (and \`version\`) is the SKU's stock version, which also moves with reservations; send it as If-Match to change the stock only if nothing changed it since (stale → 412 VERSION_CONFLICT).`,
      request: { params: SkuParam, headers: IdempotencyKeyHeader.merge(IfMatchHeader), body: jsonBody(StockBody) },
      responses: { 200: json(StockResult, 'the stock after the change'), ...errors(400, 401, 403, 404, 409, 412, 415, 422) },
    }),
    async (c) => {
      const expectedVersion = parseIfMatch(c.req.header('If-Match'));
      const result = await changeStock(deps, catalogActor(c), { skuId: c.req.valid('param').skuId, change: c.req.valid('json'), expectedVersion }, commandMetadata(c));
      return c.json({ ...result, position: String(result.position) }, 200, { ETag: etag(result.version), 'X-Position': String(result.position) });
    },
  );

  return app;
}
