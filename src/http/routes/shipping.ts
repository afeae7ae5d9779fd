import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { SHIPPING_CURRENCY, SHIPPING_KINDS, SHIPPING_LIMITS } from '../../domain/shipping/template.js';
import { PROVINCES } from '../../domain/shipping/provinces.js';
import { createShippingTemplate, setDefaultShippingTemplate, updateShippingTemplate, type ShippingTemplateAnswer } from '../../commands/shipping/templates.js';
import { PLATFORM_MERCHANT, type CatalogActor } from '../../commands/catalog/lookups.js';
import { changeSkuWeight } from '../../commands/shipping/sku-weights.js';
import { MAX_SKU_WEIGHT_GRAMS } from '../../domain/catalog/product.js';
import { getShippingTemplate, listShippingTemplates } from '../../queries/shipping/templates.js';
import { ProductResult, security as catalogSecurity } from './admin-catalog-schemas.js';
import type { ShippingTemplateDoc } from '../../projections/shipping/templates.js';
import type { AppEnv } from '../env.js';
import { commandMetadata } from '../command-metadata.js';
import { currentUser, requireUser } from '../middleware/auth.js';
import { idempotent } from '../middleware/idempotency.js';
import { bearer, errors, etag, IdempotencyKeyHeader, IfMatchHeader, json, jsonBody, MoneySchema, parseIfMatch, router } from '../openapi.js';

const tags = ['Shipping'];
const security = bearer;
const Position = z.string().openapi({ description: 'global position of the last event written; send it as X-Min-Position to read your write' });
const TemplateId = z.string().trim().min(1).max(64);
const IdParam = z.object({ id: TemplateId.openapi({ param: { name: 'id', in: 'path' } }) });
const MerchantId = z.string().trim().min(1).max(64);

const cnyAmount = (min: number, max: number) =>
  z
    .object({
      amount: z.number().int('an integer number of minor units (fen)').min(min, `at least ${min}`).max(max, `at most ${max}`),
      currency: z.literal(SHIPPING_CURRENCY, `amounts are in ${SHIPPING_CURRENCY}`),
    })
    .strict();
const Fee = cnyAmount(0, SHIPPING_LIMITS.maxFee).openapi('ShippingFeeAmount', { description: `minor units (fen), CNY, 0 to ${SHIPPING_LIMITS.maxFee}`, example: { amount: 800, currency: 'CNY' } });
const Threshold = cnyAmount(1, SHIPPING_LIMITS.maxFreeOver).openapi('ShippingThreshold', { description: "an order whose goods subtotal (that merchant's) reaches this ships free", example: { amount: 9900, currency: 'CNY' } });

const RateBody = z
  .object({
    first: Fee.openapi({ description: 'flat: the fee; weight: the first kilogram (or part); count: the first item' }),
    additional: Fee.optional().openapi({ description: 'weight: each further kilogram or part of one; count: each further item; flat: leave out (or 0). Default 0' }),
  })
  .strict()
  .openapi('ShippingRate');

const RegionBody = z
  .object({
    provinces: z
      .array(z.string().trim().min(1).max(40))
      .min(1, 'at least one province')
      .max(PROVINCES.length)
      .openapi({ description: 'provinces of China by short or full Chinese name or English name (新疆, 新疆维吾尔自治区, Xinjiang); matched on the shipping address’s `province`', example: ['新疆', '西藏'] }),
    rate: RateBody,
    freeOver: Threshold.nullable().optional().openapi({ description: "absent: the template's threshold; null: this region never ships free" }),
  })
  .strict()
  .openapi('ShippingRegion');

const templateFields = {
  name: z.string().trim().min(1, 'must not be empty').max(SHIPPING_LIMITS.maxNameLength, `at most ${SHIPPING_LIMITS.maxNameLength} characters`).openapi({ example: '标准快递' }),
  kind: z.enum(SHIPPING_KINDS).openapi({ description: 'flat: one fee per order; weight: first kg + each additional kg (SKU `weightGrams`); count: first item + each additional item' }),
  rate: RateBody,
  freeOver: Threshold.nullable().optional().openapi({ description: 'free shipping from this goods subtotal on; absent or null: never free' }),
  regions: z.array(RegionBody).max(SHIPPING_LIMITS.maxRegions).optional().openapi({ description: 'provinces priced differently (a province in at most one region)' }),
};

type TemplateFields = { kind: (typeof SHIPPING_KINDS)[number]; rate: { additional?: { amount: number } }; regions?: Array<{ rate: { additional?: { amount: number } } }> };
function flatHasNoAdditional(value: TemplateFields, ctx: z.RefinementCtx) {
  if (value.kind !== 'flat') return;
  if ((value.rate.additional?.amount ?? 0) !== 0) ctx.addIssue({ code: 'custom', path: ['rate', 'additional'], message: 'a flat rate has no additional fee' });
  value.regions?.forEach((region, index) => {
    if ((region.rate.additional?.amount ?? 0) !== 0) ctx.addIssue({ code: 'custom', path: ['regions', index, 'rate', 'additional'], message: 'a flat rate has no additional fee' });
  });
}

const CreateTemplateBody = z
  .object({
    ...templateFields,
    merchantId: MerchantId.optional().openapi({ description: 'admin only: the merchant the template belongs to (default "platform")' }),
    default: z.boolean().optional().openapi({ description: "also make it the merchant's default template" }),
  })
  .strict()
  .superRefine(flatHasNoAdditional)
  .openapi('CreateShippingTemplate');

const UpdateTemplateBody = z.object(templateFields).strict().superRefine(flatHasNoAdditional).openapi('UpdateShippingTemplate');

const RateSchema = z.object({ first: MoneySchema, additional: MoneySchema });
const ShippingTemplateSchema = z
  .object({
    id: z.string(),
    merchantId: z.string(),
    name: z.string(),
    kind: z.enum(SHIPPING_KINDS),
    rate: RateSchema,
    freeOver: MoneySchema.nullable(),
    regions: z.array(z.object({ provinces: z.array(z.string()).openapi({ description: 'short Chinese names' }), rate: RateSchema, freeOver: MoneySchema.nullable().optional() })),
    isDefault: z.boolean().openapi({ description: "the merchant's default: products that name no template use it" }),
    version: z.number().int().openapi({ description: 'also the ETag: send it as If-Match to update' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ShippingTemplate');
const ShippingTemplateResult = ShippingTemplateSchema.extend({ position: Position }).openapi('ShippingTemplateResult');
const TemplatePage = z.object({ items: z.array(ShippingTemplateSchema), nextCursor: z.string().nullable() }).openapi('ShippingTemplatePage');

const PageQuery = z.object({
  merchantId: MerchantId.optional().openapi({ description: 'admin only: whose templates (default "platform"); a merchant always lists its own' }),
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ description: '1-100, default 50' }),
  cursor: z.string().max(500).optional(),
});

const fromAnswer = (answer: ShippingTemplateAnswer) => {
  const { template } = answer;
  return {
    id: template.templateId,
    merchantId: template.merchantId,
    name: template.name,
    kind: template.kind,
    rate: template.rate,
    freeOver: template.freeOver,
    regions: template.regions,
    isDefault: answer.isDefault,
    version: answer.revision,
    createdAt: template.createdAt,
    updatedAt: template.updatedAt,
    position: String(answer.position),
  };
};
const fromDoc = (doc: ShippingTemplateDoc) => ({
  id: doc.id,
  merchantId: doc.merchantId,
  name: doc.name,
  kind: doc.kind,
  rate: doc.rate,
  freeOver: doc.freeOver,
  regions: doc.regions,
  isDefault: doc.isDefault,
  version: doc.version,
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});
const headers = (answer: ShippingTemplateAnswer) => ({ ETag: etag(answer.revision), 'X-Position': String(answer.position) });

const ownership = 'A merchant manages its own templates; an admin any merchant’s. Another merchant’s template is 404.';

/** The caller as the owner of shipping templates: admins act for any merchant, merchants for themselves. */
function actorOf(c: Context<AppEnv>): CatalogActor {
  const user = currentUser(c);
  return { id: user.id, role: user.roles.includes('admin') ? 'admin' : 'merchant' };
}

/** Shipping templates (运费模板) of a merchant: what its orders charge for shipping (docs/orders.md "Shipping fees"). */
export function shippingRoutes(deps: Deps) {
  const app = router();
  const staff = requireUser('admin', 'merchant');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/merchant/shipping-templates',
      tags,
      security,
      middleware: [staff, idempotent(deps.kv)] as const,
      summary: 'Create a shipping template (merchant, or an admin for a merchant)',
      description: `Flat, by weight or by count, free over a threshold, with per-province regions. \`default: true\` also makes it the merchant's default. ${ownership}`,
      request: { headers: IdempotencyKeyHeader, body: jsonBody(CreateTemplateBody) },
      responses: { 201: json(ShippingTemplateResult, 'created'), ...errors(400, 401, 403, 415, 422) },
    }),
    async (c) => {
      const { default: makeDefault, ...input } = c.req.valid('json');
      const idempotencyKey = c.req.header('Idempotency-Key');
      const answer = await createShippingTemplate(deps, actorOf(c), { ...input, makeDefault: makeDefault === true, ...(idempotencyKey ? { idempotencyKey } : {}) }, commandMetadata(c));
      return c.json(fromAnswer(answer), 201, { ...headers(answer), Location: `/api/v1/merchant/shipping-templates/${answer.template.templateId}` });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/merchant/shipping-templates',
      tags,
      security,
      middleware: [staff] as const,
      summary: "A merchant's shipping templates, oldest first",
      request: { query: PageQuery },
      responses: { 200: json(TemplatePage, 'a page of templates'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const actor = actorOf(c);
      const { merchantId, ...page } = c.req.valid('query');
      const owner = actor.role === 'admin' ? (merchantId ?? PLATFORM_MERCHANT) : actor.id;
      const found = await listShippingTemplates(deps, { ...page, merchantId: owner });
      return c.json({ items: found.items.map(fromDoc), nextCursor: found.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/merchant/shipping-templates/{id}',
      tags,
      security,
      middleware: [staff] as const,
      summary: 'One shipping template, with its ETag',
      description: ownership,
      request: { params: IdParam },
      responses: { 200: json(ShippingTemplateSchema, 'the template'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const actor = actorOf(c);
      const doc = await getShippingTemplate(deps, c.req.valid('param').id, { id: actor.id, admin: actor.role === 'admin' });
      if (!doc) throw new NotFoundError('shipping template');
      return c.json(fromDoc(doc), 200, { ETag: etag(doc.version) });
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/merchant/shipping-templates/{id}',
      tags,
      security,
      middleware: [staff] as const,
      summary: 'Replace a shipping template (If-Match: a stale version is 412)',
      description: `The whole definition, as on create. Orders already placed keep the fee they were charged. ${ownership}`,
      request: { params: IdParam, headers: IfMatchHeader, body: jsonBody(UpdateTemplateBody) },
      responses: { 200: json(ShippingTemplateResult, 'updated'), ...errors(400, 401, 403, 404, 412, 415) },
    }),
    async (c) => {
      const answer = await updateShippingTemplate(deps, actorOf(c), c.req.valid('param').id, c.req.valid('json'), parseIfMatch(c.req.header('If-Match')), commandMetadata(c));
      return c.json(fromAnswer(answer), 200, headers(answer));
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/merchant/shipping-templates/{id}/default',
      tags,
      security,
      middleware: [staff] as const,
      summary: "Make a template its merchant's default",
      description: `Every product of the merchant that names no template of its own is priced by the default. ${ownership}`,
      request: { params: IdParam },
      responses: { 200: json(ShippingTemplateResult, 'the template, now the default'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const answer = await setDefaultShippingTemplate(deps, actorOf(c), c.req.valid('param').id, commandMetadata(c));
      return c.json(fromAnswer(answer), 200, headers(answer));
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/admin/skus/{skuId}/weight',
      tags,
      security: catalogSecurity,
      middleware: [staff] as const,
      summary: "Set a SKU's shipping weight (If-Match optional: the product's version)",
      description: 'The weight templates that charge by weight count (`null` removes it: the SKU weighs nothing). Not buyer-visible content: no new item snapshot. A merchant sets its own SKUs’ weights (another merchant’s SKU is 404); an admin any.',
      request: {
        params: z.object({ skuId: z.string().trim().min(1).max(64).openapi({ param: { name: 'skuId', in: 'path' } }) }),
        headers: IfMatchHeader,
        body: jsonBody(
          z
            .object({ weightGrams: z.number().int('whole grams').min(1, 'at least 1 gram').max(MAX_SKU_WEIGHT_GRAMS, `at most ${MAX_SKU_WEIGHT_GRAMS} grams`).nullable() })
            .strict()
            .openapi('SkuWeightChange'),
        ),
      },
      responses: { 200: json(ProductResult, 'the product with the new weight'), ...errors(400, 401, 403, 404, 412, 415) },
    }),
    async (c) => {
      const result = await changeSkuWeight(
        deps,
        actorOf(c),
        { skuId: c.req.valid('param').skuId, weightGrams: c.req.valid('json').weightGrams, expectedVersion: parseIfMatch(c.req.header('If-Match')) },
        commandMetadata(c),
      );
      return c.json({ ...result.product, position: String(result.position) }, 200, { ETag: etag(result.product.version), 'X-Position': String(result.position) });
    },
  );

  return app;
}
