import { z } from '@hono/zod-openapi';
import { ATTRIBUTE_KINDS } from '../../domain/catalog/attributes.js';
import { PRODUCT_STATUSES, TAKE_STOCK_AT } from '../../domain/catalog/product.js';
import { AttributeValuesSchema, IdSchema, NameSchema, PriceSchema, StockSchema } from '../../commands/catalog/schemas.js';
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';
import { currentUser } from '../middleware/auth.js';
import { MoneySchema } from '../openapi.js';
import { MAX_STOCK } from '../limits.js';
import type { CatalogActor } from '../../commands/catalog/lookups.js';

export const tags = ['Product center'];

/** The caller as a product-center actor: admins touch every product, merchants (and their API keys) their own. */
export function catalogActor(c: Context<AppEnv>): CatalogActor {
  const user = currentUser(c);
  return { id: user.id, role: user.roles.includes('admin') ? 'admin' : 'merchant' };
}

export const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKeyAuth: [] }];

export const Position = z.string().openapi({ description: 'global position of the last event written; send it as X-Min-Position to read your write' });
export const Created = z.object({ id: z.string(), position: Position }).openapi('Created');
export const IdParam = z.object({ id: IdSchema });
export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ description: '1-100, default 50' }),
  cursor: z.string().max(500).optional(),
};

const ParentId = IdSchema.nullable().optional().openapi({ description: 'omit or null for a root category' });

export const CreateCategoryBody = z.object({ name: NameSchema, parentId: ParentId }).strict().openapi('CreateCategory');
export const ChangeCategoryBody = z
  .object({ name: NameSchema.optional(), parentId: IdSchema.nullable().optional().openapi({ description: 'move under this category (null: to the root)' }) })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'send name and/or parentId');

export const AttributeTemplateSchema = z
  .object({ attributeId: z.string(), categoryId: z.string().openapi({ description: 'where it is defined' }), name: z.string(), kind: z.enum(ATTRIBUTE_KINDS), values: z.array(z.string()).nullable() })
  .openapi('AttributeTemplate');

export const CategorySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    parentId: z.string().nullable(),
    path: z.array(z.object({ id: z.string(), name: z.string() })).openapi({ description: 'ancestors, root first' }),
    attributes: z.array(AttributeTemplateSchema).openapi({ description: 'own and inherited templates' }),
    childCount: z.number().int(),
    productCount: z.number().int(),
    version: z.number().int(),
  })
  .openapi('Category');

export const CreateFrontendCategoryBody = z
  .object({ name: NameSchema, parentId: ParentId, backendCategoryIds: z.array(IdSchema).min(1, 'map at least one backend category').max(50) })
  .strict()
  .openapi('CreateFrontendCategory');
export const ChangeFrontendCategoryBody = z
  .object({ name: NameSchema.optional(), parentId: IdSchema.nullable().optional(), backendCategoryIds: z.array(IdSchema).min(1).max(50).optional() })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'send at least one field to change');
export const FrontendCategorySchema = z
  .object({ id: z.string(), name: z.string(), parentId: z.string().nullable(), backendCategoryIds: z.array(z.string()), version: z.number().int() })
  .openapi('FrontendCategory');

export const CreateAttributeBody = z
  .object({
    categoryId: IdSchema,
    name: z.string().trim().min(1).max(50),
    kind: z.enum(ATTRIBUTE_KINDS).openapi({ description: 'key: defines the SPU; sales: defines the SKUs (colour, size…); general: describes' }),
    values: z.array(z.string().trim().min(1).max(200)).min(1).max(500).optional().openapi({ description: 'allowed values (any value when omitted)' }),
  })
  .strict()
  .openapi('CreateAttribute');

export const CreateBrandBody = z
  .object({ name: NameSchema, logoUrl: z.url('an http(s) URL').max(500).refine((v) => /^https?:\/\//.test(v), 'an http(s) URL').optional() })
  .strict()
  .openapi('CreateBrand');
export const BrandSchema = z.object({ id: z.string(), name: z.string(), logoUrl: z.string().nullable(), createdAt: z.string() }).openapi('Brand');

export const CreateSpuBody = z
  .object({ title: z.string().trim().min(1).max(200), categoryId: IdSchema, brandId: IdSchema, keyAttributes: AttributeValuesSchema })
  .strict()
  .openapi('CreateSpu');
export const SpuSchema = z
  .object({ id: z.string(), title: z.string(), categoryId: z.string(), brandId: z.string(), keyAttributes: z.record(z.string(), z.string()), origin: z.enum(['platform', 'generated']), status: z.enum(['active', 'discarded']) })
  .openapi('Spu');

const SkuSchema = z
  .object({
    id: z.string(),
    skuId: z.string(),
    skuCode: z.string(),
    salesAttributes: z.record(z.string(), z.string()),
    price: MoneySchema,
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int().openapi({ description: 'onHand − reserved' }),
    stockVersion: z.number().int().openapi({ description: 'the stock version (changes with every stock change and reservation): send it as If-Match to POST …/skus/{skuId}/stock' }),
    weightGrams: z.number().int().optional().openapi({ description: 'shipping weight in grams' }),
  })
  .openapi('AdminSku');

export const ProductSchema = z
  .object({
    id: z.string(),
    merchantId: z.string(),
    spuId: z.string(),
    status: z.enum(PRODUCT_STATUSES),
    title: z.string(),
    description: z.string(),
    images: z.array(z.string()),
    category: z.object({ id: z.string(), name: z.string() }),
    brand: z.object({ id: z.string(), name: z.string() }),
    keyAttributes: z.record(z.string(), z.string()),
    attributes: z.record(z.string(), z.string()).openapi({ description: 'general attributes' }),
    skus: z.array(SkuSchema),
    takeStockAt: z.enum(TAKE_STOCK_AT),
    shippingTemplateId: z.string().nullable().openapi({ description: "the product's own shipping template; null: the merchant's default" }),
    currentSnapshotId: z.string().openapi({ description: 'sha256 of the buyer-relevant content (item snapshot)' }),
    listedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int().openapi({ description: 'also sent as ETag' }),
  })
  .openapi('AdminProduct');

export const ProductResult = ProductSchema.extend({ position: Position }).openapi('AdminProductResult');

export const CreatedProduct = z
  .object({ id: z.string(), skus: z.array(z.object({ id: z.string(), skuCode: z.string() })), position: Position })
  .openapi('CreatedProduct');

export const EditProductBody = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(10_000).optional(),
    images: z.array(z.url().max(500).refine((v) => /^https?:\/\//.test(v), 'an http(s) URL')).max(20).optional(),
    attributes: AttributeValuesSchema.optional().openapi({ description: 'general attributes (replaces them all)' }),
    takeStockAt: z.enum(TAKE_STOCK_AT).optional(),
    shippingTemplateId: z.string().trim().min(1).max(64).nullable().optional().openapi({ description: "one of the merchant's shipping templates; null: back to the merchant's default" }),
  })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'send at least one field to change')
  .openapi('EditProduct');

export const StatusBody = z.object({ status: z.enum(['listed', 'delisted']) }).strict().openapi('ProductStatusChange');
export const PriceBody = z.object({ price: PriceSchema }).strict().openapi('SkuPriceChange');
export const StockBody = z
  .union([z.object({ set: StockSchema }).strict(), z.object({ delta: z.number().int('must be an integer').min(-MAX_STOCK, `must be at least -${MAX_STOCK}`).max(MAX_STOCK, `must be at most ${MAX_STOCK}`).refine((v) => v !== 0, 'must not be 0').openapi({ description: `added to the units on hand (the result at most ${MAX_STOCK})` }) }).strict()])
  .openapi('SkuStockChange', { description: '`{ set }` sets the units on hand; `{ delta }` adds to them. The result may not go below 0 (409 STOCK_NEGATIVE).' });
export const StockResult = z
  .object({ skuId: z.string(), productId: z.string(), onHand: z.number().int(), reserved: z.number().int(), available: z.number().int(), version: z.number().int(), position: Position })
  .openapi('SkuStock');

export const JobSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'completed', 'failed']),
    mode: z.enum(['create', 'update']),
    format: z.enum(['csv', 'ndjson']),
    merchantId: z.string(),
    total: z.number().int().openapi({ description: 'rows processed so far (all rows once completed)' }),
    succeeded: z.number().int(),
    failed: z.number().int(),
    rows: z
      .array(z.object({ row: z.number().int(), ok: z.boolean(), error: z.string().optional() }))
      .openapi({ description: 'the failed rows (line numbers; in a CSV the header is line 1), the first 1000 of them' }),
    rowsTruncated: z.boolean().openapi({ description: 'more rows failed than `rows` lists' }),
    error: z.string().nullable().openapi({ description: 'why the whole job failed (unreadable file)' }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('BulkJob');

export const ApiKeyBody = z
  .object({ name: z.string().trim().min(1).max(100), merchantId: IdSchema.optional().openapi({ description: 'admin only: the merchant the key acts as (default "platform")' }) })
  .strict()
  .openapi('CreateApiKey');
export const ApiKeyCreated = z
  .object({ id: z.string(), key: z.string().openapi({ description: 'shown once: only its hash is kept' }), merchantId: z.string(), position: Position })
  .openapi('ApiKeyCreated');
export const ApiKeySchema = z
  .object({ id: z.string(), merchantId: z.string(), name: z.string(), status: z.enum(['active', 'revoked']), issuedAt: z.string(), revokedAt: z.string().nullable() })
  .openapi('ApiKey');

export { IdSchema, StockSchema };
