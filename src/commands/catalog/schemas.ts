import { z } from '@hono/zod-openapi';
import { MAX_SKU_WEIGHT_GRAMS, PRODUCT_CURRENCY, TAKE_STOCK_AT } from '../../domain/catalog/product.js';
import { MAX_PRICE_MINOR, MAX_STOCK } from '../../kernel/limits.js';

/**
 * Input schemas shared by the HTTP routes and the bulk upload (a bulk row is checked exactly as the
 * request body would be). All objects are strict: an unknown field is a 400, not silently dropped.
 */
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

export const IdSchema = z.string().trim().min(1, 'must not be empty').max(64, 'at most 64 characters');
export const NameSchema = text(100).openapi({ example: '图书' });

export const AttributeValuesSchema = z
  .record(text(50), text(200))
  .refine((values) => Object.keys(values).length <= 50, 'at most 50 attributes')
  .openapi({ description: 'attribute name → value', example: { 颜色: '红色' } });

export const PriceSchema = z
  .object({
    amount: z.number().int('must be an integer number of minor units (fen)').positive('must be greater than 0').max(MAX_PRICE_MINOR, `must be at most ${MAX_PRICE_MINOR} (fen)`),
    currency: z.literal(PRODUCT_CURRENCY, `prices are in ${PRODUCT_CURRENCY}`),
  })
  .strict()
  .openapi('Price', { description: 'integer minor units (fen), CNY', example: { amount: 1999, currency: 'CNY' } });

export const StockSchema = z.number().int('must be an integer').min(0, 'must be ≥ 0').max(MAX_STOCK, `must be at most ${MAX_STOCK}`);

export const SkuCodeSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, '1-64 letters, digits, dot, dash or underscore, starting with a letter or digit')
  .openapi({ example: 'TSHIRT-RED-M' });

const ImageSchema = z
  .url('an http(s) URL')
  .max(500)
  .refine((value) => /^https?:\/\//.test(value), 'an http(s) URL');

export const NewSkuSchema = z
  .object({
    skuCode: SkuCodeSchema,
    salesAttributes: AttributeValuesSchema.optional().openapi({ description: "exactly the category's sales attributes (every one, allowed values only)" }),
    price: PriceSchema,
    stock: StockSchema.openapi({ description: 'initial units on hand' }),
    weightGrams: z
      .number()
      .int('must be an integer number of grams')
      .min(1, 'must be at least 1 gram')
      .max(MAX_SKU_WEIGHT_GRAMS, `at most ${MAX_SKU_WEIGHT_GRAMS} grams`)
      .optional()
      .openapi({ description: 'shipping weight in grams (templates that charge by weight); absent: weighs nothing' }),
  })
  .strict()
  .openapi('NewSku');

const productFields = {
  spuId: IdSchema.optional().openapi({ description: 'SPU-first mode: list SKUs under this platform SPU (title, category, brand and key attributes come from it)' }),
  title: text(200).optional().openapi({ description: 'SKU-first mode (required without spuId)' }),
  categoryId: IdSchema.optional().openapi({ description: 'SKU-first mode (required without spuId): the backend category' }),
  brandId: IdSchema.optional().openapi({ description: 'SKU-first mode (required without spuId)' }),
  attributes: AttributeValuesSchema.optional().openapi({ description: 'key attributes (SKU-first mode; every key attribute is required) and general attributes' }),
  description: z.string().max(10_000, 'at most 10000 characters').optional(),
  images: z.array(ImageSchema).max(20, 'at most 20 images').optional(),
  skus: z.array(NewSkuSchema).min(1, 'a product needs at least one SKU').max(200, 'at most 200 SKUs'),
  status: z.enum(['draft', 'listed']).optional().openapi({ description: 'default draft' }),
  takeStockAt: z.enum(TAKE_STOCK_AT).optional().openapi({ description: "when an order takes stock: at order time (default) or at payment" }),
  shippingTemplateId: IdSchema.optional().openapi({ description: "one of the merchant's shipping templates; absent: the merchant's default template" }),
};

type ProductFields = { spuId?: string; title?: string; categoryId?: string; brandId?: string };

function oneMode(value: ProductFields, ctx: z.RefinementCtx) {
  const direct = ['title', 'categoryId', 'brandId'] as const;
  if (value.spuId) {
    for (const field of direct) if (value[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'comes from the SPU; leave it out when spuId is given' });
  } else {
    for (const field of direct) if (value[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'required without spuId' });
  }
}

export const CreateProductSchema = z
  .object({ merchantId: IdSchema.optional().openapi({ description: 'admin only: the merchant the product belongs to (default "platform")' }), ...productFields })
  .strict()
  .superRefine(oneMode)
  .openapi('CreateProduct');

/** A create-mode NDJSON line: the POST /admin/products body without merchantId (the job names the merchant). */
export const BulkProductSchema = z.object(productFields).strict().superRefine(oneMode);

/** An update-mode row: the SKU by code or id, and what to change. */
export const BulkUpdateSchema = z
  .object({
    skuCode: SkuCodeSchema.optional(),
    skuId: IdSchema.optional(),
    price: PriceSchema.optional(),
    stock: StockSchema.optional().openapi({ description: 'sets the units on hand' }),
    status: z.enum(['listed', 'delisted']).optional().openapi({ description: "the SKU's product" }),
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.skuCode === undefined) === (value.skuId === undefined)) ctx.addIssue({ code: 'custom', path: ['skuCode'], message: 'give exactly one of skuCode and skuId' });
    if (value.price === undefined && value.stock === undefined && value.status === undefined) {
      ctx.addIssue({ code: 'custom', path: ['price'], message: 'give at least one of price, stock, status' });
    }
  });

export type BulkUpdate = z.infer<typeof BulkUpdateSchema>;

/** "path: message; …" for a failed bulk row. */
export const describeIssues = (error: z.ZodError, rename: (path: string) => string = (path) => path): string =>
  error.issues.map((issue) => `${rename(issue.path.map(String).join('.')) || '(row)'}: ${issue.message}`).join('; ');
