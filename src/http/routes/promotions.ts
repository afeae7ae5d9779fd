import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { PROMOTION_KINDS } from '../../domain/promotions/promotion.js';
import { createPromotion, endPromotion, getPromotion } from '../../commands/promotions/promotions.js';
import { listPromotions } from '../../queries/marketing/marketing.js';
import { DEFAULT_CURRENCY } from '../../domain/common/money.js';
import { previewCheckout } from '../../commands/orders/checkout-preview.js';
import { CHECKOUT_LIMITS } from '../../commands/orders/place-order.js';
import { commandMetadata } from '../command-metadata.js';
import { currentUser, requireUser } from '../middleware/auth.js';
import { bearer, errors, etag, IfMatchHeader, json, jsonBody, MoneySchema, parseIfMatch, router } from '../openapi.js';
import { AddressSchema } from './user-schemas.js';
import { boundedInt, CountInput, MAX_AMOUNT_MINOR, MoneyInput } from '../limits.js';

const security = bearer;
const Position = z.string().openapi({ description: 'global position of the last event written' });
const DateTime = z.iso.datetime({ offset: true });

const CreatePromotionBody = z
  .object({
    code: z.string().trim().regex(/^[A-Za-z0-9_-]{1,40}$/, '1-40 letters, digits, _ or -').openapi({ description: 'case-insensitive (kept in upper case)' }),
    kind: z.enum(PROMOTION_KINDS),
    value: boundedInt(1, MAX_AMOUNT_MINOR).openapi({ description: `percent: 1-100; fixed: minor units off (at most ${MAX_AMOUNT_MINOR})` }),
    minSpend: MoneyInput.optional(),
    startsAt: DateTime.optional(),
    endsAt: DateTime.optional(),
    budget: MoneyInput.optional().openapi({ description: 'the most discount the promotion gives in total' }),
    usageLimit: CountInput.optional(),
    perUserLimit: CountInput.optional(),
  })
  .strict()
  .openapi('CreatePromotion');

const PromotionSchema = z
  .object({
    code: z.string(),
    kind: z.enum(PROMOTION_KINDS),
    value: z.number().int(),
    minSpend: MoneySchema.nullable(),
    startsAt: z.string().nullable(),
    endsAt: z.string().nullable(),
    budget: MoneySchema.nullable(),
    usageLimit: z.number().int().nullable(),
    perUserLimit: z.number().int().nullable(),
    createdAt: z.string(),
    endedAt: z.string().nullable().openapi({ description: 'when an admin ended it (POST /admin/promotions/{code}/end); null: not ended' }),
    used: z.number().int().openapi({ description: 'redemptions in use (cancelled orders give theirs back)' }),
    redeemedTotal: z.number().int(),
    remainingUses: z.number().int().nullable(),
    spent: MoneySchema,
    remainingBudget: MoneySchema.nullable(),
    version: z.number().int(),
  })
  .openapi('Promotion');

const PHASES = ['scheduled', 'running', 'ended'] as const;
const PromotionListItem = PromotionSchema.pick({
  code: true,
  kind: true,
  value: true,
  minSpend: true,
  startsAt: true,
  endsAt: true,
  budget: true,
  usageLimit: true,
  perUserLimit: true,
  createdAt: true,
  endedAt: true,
  used: true,
  redeemedTotal: true,
  spent: true,
})
  .extend({ status: z.enum(PHASES).openapi({ description: 'scheduled (before startsAt), running, or ended (ended by an admin or past endsAt)' }) })
  .openapi('PromotionListItem');
const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: '1-100, default 20' }),
  cursor: z.string().max(500).optional().openapi({ description: "the previous page's nextCursor" }),
});

/** Where a time window stands now. */
export function phase(window: { startsAt: string | null; endsAt: string | null; endedAt: string | null }, now: string): (typeof PHASES)[number] {
  if (window.endedAt !== null || (window.endsAt !== null && now >= window.endsAt)) return 'ended';
  if (window.startsAt !== null && now < window.startsAt) return 'scheduled';
  return 'running';
}

const PreviewBody = z
  .object({
    items: z
      .array(z.object({ skuId: z.string().trim().min(1).max(100), quantity: z.number().int().min(1).max(CHECKOUT_LIMITS.maxQuantity) }).strict())
      .min(1)
      .max(CHECKOUT_LIMITS.maxLines)
      .optional()
      .openapi({ description: 'absent: the cart' }),
    fromCart: z.literal(true).optional().openapi({ description: 'the cart, said explicitly (as POST /orders takes it); not with `items`' }),
    promotionCode: z.string().trim().min(1).max(40).optional(),
    shippingAddress: AddressSchema.optional().openapi({ description: "prices shipping for this address's province; absent: the profile's shipping address" }),
  })
  .strict()
  .refine((body) => !(body.fromCart && body.items), { path: ['items'], message: 'send either `items` or `fromCart: true`' });

const PreviewSchema = z
  .object({
    orders: z.array(
      z.object({
        merchantId: z.string(),
        items: z.array(z.object({ skuId: z.string(), title: z.string(), quantity: z.number().int(), unitPrice: MoneySchema, lineTotal: MoneySchema })),
        subtotal: MoneySchema,
        discount: MoneySchema,
        shipping: MoneySchema,
        total: MoneySchema,
      }),
    ),
    subtotal: MoneySchema,
    discount: MoneySchema,
    shipping: MoneySchema,
    payable: MoneySchema,
    promotionCode: z.string().nullable(),
  })
  .openapi('CheckoutPreview');

/** Promotion codes (admin) and the checkout preview. */
export function promotionRoutes(deps: Deps) {
  const app = router();
  const admin = requireUser('admin');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/promotions',
      tags: ['Promotions'],
      security,
      middleware: [admin] as const,
      summary: 'Create a promotion code',
      description: 'Sending the same promotion again answers it unchanged; another promotion with a code in use is 409 PROMOTION_EXISTS.',
      request: { body: jsonBody(CreatePromotionBody) },
      responses: { 201: json(PromotionSchema.extend({ position: Position }), 'created'), ...errors(400, 401, 403, 409, 415) },
    }),
    async (c) => {
      const { promotion, position } = await createPromotion(deps, c.req.valid('json'), commandMetadata(c));
      return c.json({ ...promotion, position: String(position) }, 201, {
        ETag: etag(promotion.version),
        'X-Position': String(position),
        Location: `/api/v1/admin/promotions/${promotion.code}`,
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/promotions',
      tags: ['Promotions'],
      security,
      middleware: [admin] as const,
      summary: 'Promotion codes, newest first (cursor pages)',
      description:
        'From the `flash_sales` read model (marketing lists): `used`, `redeemedTotal` and `spent` follow checkouts within the projection lag; GET /admin/promotions/{code} reads the promotion’s stream and is exact.',
      request: { query: PageQuery },
      responses: { 200: json(z.object({ items: z.array(PromotionListItem), nextCursor: z.string().nullable() }).openapi('PromotionPage'), 'a page of promotions'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const page = await listPromotions(deps, c.req.valid('query'));
      const now = deps.clock.now().toISOString();
      const items = page.items.map(({ id: _id, spent, ...doc }) => ({ ...doc, status: phase(doc, now), spent: { amount: spent, currency: DEFAULT_CURRENCY } }));
      return c.json({ items, nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/promotions/{code}/end',
      tags: ['Promotions'],
      security,
      middleware: [admin] as const,
      summary: 'End a promotion now (checkouts refuse the code from here on: PROMOTION_INVALID, reason ended)',
      description: 'Orders that already redeemed it keep their discount. Ending an ended promotion answers it unchanged. If-Match (optional) is the promotion’s ETag; stale → 412.',
      request: { params: z.object({ code: z.string().max(40).openapi({ param: { name: 'code', in: 'path' } }) }), headers: IfMatchHeader },
      responses: { 200: json(PromotionSchema.extend({ position: Position }), 'ended'), ...errors(400, 401, 403, 404, 412) },
    }),
    async (c) => {
      const { promotion, position } = await endPromotion(deps, c.req.valid('param').code, commandMetadata(c), parseIfMatch(c.req.header('If-Match')));
      return c.json({ ...promotion, position: String(position) }, 200, { ETag: etag(promotion.version), 'X-Position': String(position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/promotions/{code}',
      tags: ['Promotions'],
      security,
      middleware: [admin] as const,
      summary: 'A promotion with its usage and remaining budget',
      request: { params: z.object({ code: z.string().max(40).openapi({ param: { name: 'code', in: 'path' } }) }) },
      responses: { 200: json(PromotionSchema, 'the promotion'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const promotion = await getPromotion(deps, c.req.valid('param').code);
      return c.json(promotion, 200, { ETag: etag(promotion.version) });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/checkout/preview',
      tags: ['Orders'],
      security,
      middleware: [requireUser()] as const,
      summary: 'What a checkout would cost now, per merchant (nothing is reserved)',
      description:
        "Same checks as placing the order except prices (current ones are used), anti-fraud and stock. Each merchant order's `shipping` comes from the merchant's shipping templates for `shippingAddress` (absent: the profile's shipping address) and is in its `total` and the `payable`.",
      request: { body: jsonBody(PreviewBody) },
      responses: { 200: json(PreviewSchema, 'the preview'), ...errors(400, 401, 403, 409, 415) },
    }),
    async (c) => {
      const { fromCart: _cart, ...body } = c.req.valid('json');
      return c.json(await previewCheckout(deps, { userId: currentUser(c).id, ...body }), 200);
    },
  );

  return app;
}
