import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { CANCEL_REASONS, FULFILLMENT_STATUSES, ORDER_STATUSES, PAYMENT_STATUSES, REFUND_STATUSES } from '../../domain/orders/order.js';
import { CHECKOUT_LIMITS, placeOrder } from '../../commands/orders/place-order.js';
import { cancelOrder } from '../../commands/orders/orders.js';
import { cartCheckoutLines } from '../../commands/carts/checkout.js';
import { getOrder, listOrders } from '../../queries/orders/orders.js';
import { getSnapshot } from '../../queries/catalog/catalog.js';
import { commandMetadata } from '../command-metadata.js';
import { currentUser, primaryRole, requireUser } from '../middleware/auth.js';
import { idempotent } from '../middleware/idempotency.js';
import { bearer, errors, etag, IdempotencyKeyHeader, IfMatchHeader, json, jsonBody, MoneySchema, parseIfMatch, router } from '../openapi.js';
import { AddressSchema } from './user-schemas.js';
import { MoneyInput } from '../limits.js';

const tags = ['Orders'];
const security = bearer;
/** The merchant's order routes also take its API key (`Authorization: ApiKey <key>`). */
const merchantSecurity = [...bearer, { apiKeyAuth: [] }];
const Position = z.string().openapi({ description: 'global position of the last event written; send it as X-Min-Position to read your write' });
const OrderId = z.string().trim().min(1).max(64);
const IdParam = z.object({ id: OrderId.openapi({ param: { name: 'id', in: 'path' } }) });

const PlaceOrderBody = z
  .object({
    items: z
      .array(
        z
          .object({
            skuId: z.string().trim().min(1).max(100),
            quantity: z.number().int().min(1).max(CHECKOUT_LIMITS.maxQuantity),
            expectedUnitPrice: MoneyInput.openapi({ description: 'the unit price the buyer saw; another current price is 409 PRICE_CHANGED' }),
          })
          .strict(),
      )
      .min(1)
      .max(CHECKOUT_LIMITS.maxLines)
      .optional()
      .openapi({ description: 'the lines to order; or send `fromCart: true` instead' }),
    fromCart: z.literal(true).optional().openapi({ description: 'order every line of my cart (the lines a cart checkout preview showed); the ordered units then leave the cart' }),
    expectedPrices: z
      .array(z.object({ skuId: z.string().trim().min(1).max(100), unitPrice: MoneyInput }))
      .max(100)
      .optional()
      .openapi({
        description:
          'with `fromCart`: the unit prices the checkout preview answered (its `orders[].items[]` can be sent as they are). A cart line whose SKU is not listed here is checked against the price the cart remembers for it. Another current price is 409 PRICE_CHANGED',
      }),
    shippingAddress: AddressSchema,
    promotionCode: z.string().trim().min(1).max(40).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.items === undefined) === (body.fromCart === undefined)) ctx.addIssue({ code: 'custom', path: ['items'], message: 'send either `items` or `fromCart: true`' });
    if (body.expectedPrices !== undefined && body.fromCart === undefined) ctx.addIssue({ code: 'custom', path: ['expectedPrices'], message: 'only with `fromCart: true` (items carry their `expectedUnitPrice`)' });
  })
  .openapi('PlaceOrder');

const PlacedOrderSchema = z
  .object({
    payOrderId: z.string(),
    orders: z.array(z.object({ id: z.string(), status: z.enum(ORDER_STATUSES), total: MoneySchema })),
    payable: MoneySchema,
    expiresAt: z.string().openapi({ description: 'unpaid after this, the orders are cancelled and their stock released' }),
    position: Position,
  })
  .openapi('PlacedOrder');

const OrderItemSchema = z.object({
  id: z.string(),
  skuId: z.string(),
  productId: z.string(),
  title: z.string(),
  skuCode: z.string(),
  salesAttributes: z.record(z.string(), z.string()),
  quantity: z.number().int(),
  unitPrice: MoneySchema,
  lineTotal: MoneySchema,
  discount: MoneySchema.openapi({ description: "this item's share of the order discount" }),
  snapshotId: z.string().openapi({ description: 'the product content at order time: GET /api/v1/snapshots/{id}' }),
});

const OrderSchema = z
  .object({
    id: z.string(),
    payOrderId: z.string(),
    userId: z.string(),
    merchantId: z.string(),
    status: z.enum(ORDER_STATUSES),
    paymentStatus: z.enum(PAYMENT_STATUSES),
    fulfillmentStatus: z.enum(FULFILLMENT_STATUSES),
    refundStatus: z.enum(REFUND_STATUSES),
    items: z.array(OrderItemSchema),
    subtotal: MoneySchema,
    discount: MoneySchema,
    shipping: MoneySchema,
    total: MoneySchema,
    promotionCode: z.string().nullable(),
    shippingAddress: AddressSchema,
    expiresAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    cancelledAt: z.string().nullable(),
    cancelReason: z.enum(CANCEL_REASONS).nullable(),
    shipments: z.array(z.object({ id: z.string(), carrier: z.string(), trackingNumber: z.string(), status: z.string() })),
    refunds: z.array(z.object({ id: z.string(), status: z.string(), amount: MoneySchema, items: z.array(z.object({ orderItemId: z.string(), quantity: z.number().int() })) })),
    timeline: z.array(
      z.object({ at: z.string(), type: z.string(), actor: z.object({ id: z.string(), role: z.string() }).optional(), reason: z.string().optional() }),
    ),
    version: z.number().int(),
    position: Position,
  })
  .openapi('Order');

const AttributeValuesSchema = z.record(z.string(), z.string());
const SnapshotSchema = z
  .object({
    id: z.string(),
    productId: z.string(),
    takenAt: z.string(),
    content: z.object({
      productId: z.string(),
      merchantId: z.string(),
      title: z.string(),
      description: z.string(),
      images: z.array(z.string()),
      brand: z.object({ id: z.string(), name: z.string() }),
      category: z.object({ id: z.string(), name: z.string() }),
      attributes: AttributeValuesSchema,
      skus: z.array(z.object({ skuId: z.string(), skuCode: z.string(), salesAttributes: AttributeValuesSchema, price: MoneySchema })),
    }),
  })
  .openapi('ItemSnapshot');
const DateTimeQuery = z.iso.datetime({ offset: true });
const OrderPageQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  paymentStatus: z.enum(PAYMENT_STATUSES).optional(),
  fulfillmentStatus: z.enum(FULFILLMENT_STATUSES).optional(),
  createdFrom: DateTimeQuery.optional().openapi({ description: 'created at or after this time (inclusive)' }),
  createdTo: DateTimeQuery.optional().openapi({ description: 'created before this time (exclusive)' }),
  refundStatus: z.enum(REFUND_STATUSES).optional().openapi({ description: 'only orders with this refund status, e.g. `requested` (a refund waits for a decision)' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: '1-100, default 20' }),
  cursor: z.string().max(500).optional(),
});
const OrderPage = z.object({ items: z.array(OrderSchema), nextCursor: z.string().nullable() }).openapi('OrderPage');

export function orderRoutes(deps: Deps) {
  const app = router();
  const signedIn = requireUser();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/orders',
      tags,
      security,
      middleware: [signedIn, idempotent(deps.kv)] as const,
      summary: 'Place an order (checkout): one pay order, one order per merchant',
      description:
        'Validates the account, the products (409 PRODUCT_UNAVAILABLE), the prices (409 PRICE_CHANGED with `currentUnitPrice` and `items`), the promotion (409 PROMOTION_INVALID with `reason`), anti-fraud (403 FRAUD_SUSPECTED) and stock (409 OUT_OF_STOCK with `available`); then reserves the stock until `expiresAt` (BAZAAR_PAYMENT_TIMEOUT_SECONDS), takes the promotion budget and writes the pay order and its orders. A refused order leaves nothing taken. The ordered units leave the buyer’s cart once the order is placed (other lines stay; a refused order leaves the cart as it was). `fromCart: true` orders the whole cart instead of `items`, checked against `expectedPrices` (the preview’s prices). With `Idempotency-Key` a retry replays the first answer and never places a second order.',
      request: { headers: IdempotencyKeyHeader, body: jsonBody(PlaceOrderBody) },
      responses: { 201: json(PlacedOrderSchema, 'placed'), ...errors(400, 401, 403, 409, 415, 422) },
    }),
    async (c) => {
      const user = currentUser(c);
      const { items, fromCart, expectedPrices, ...body } = c.req.valid('json');
      const idempotencyKey = c.req.header('Idempotency-Key');
      const lines = fromCart ? await cartCheckoutLines(deps, user.id, expectedPrices) : items!;
      const placed = await placeOrder(
        deps,
        { userId: user.id, ip: c.get('clientIp'), ...body, items: lines, ...(idempotencyKey ? { idempotencyKey } : {}) },
        commandMetadata(c),
      );
      return c.json({ ...placed, orders: placed.orders as Array<{ id: string; status: (typeof ORDER_STATUSES)[number]; total: { amount: number; currency: string } }>, position: String(placed.position) }, 201, {
        'X-Position': String(placed.position),
        Location: `/api/v1/orders/${placed.orders[0]!.id}`,
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/orders',
      tags,
      security,
      middleware: [signedIn] as const,
      summary: 'My orders, newest first (admin: everyone’s, or one user’s with userId)',
      request: {
        query: OrderPageQuery.extend({ userId: z.string().max(64).optional().openapi({ description: 'admin only; ignored for others' }) }),
      },
      responses: { 200: json(OrderPage, 'a page of orders'), ...errors(400, 401) },
    }),
    async (c) => {
      const user = currentUser(c);
      const query = c.req.valid('query');
      const userId = primaryRole(user) === 'admin' ? query.userId : user.id;
      return c.json(await listOrders(deps, { ...query, userId }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/merchant/orders',
      tags,
      security: merchantSecurity,
      middleware: [requireUser('merchant')] as const,
      summary: 'The orders of my shop (merchant, or its API key), newest first',
      request: {
        query: OrderPageQuery,
      },
      responses: { 200: json(OrderPage, 'a page of orders'), ...errors(400, 401, 403) },
    }),
    async (c) => c.json(await listOrders(deps, { ...c.req.valid('query'), merchantId: currentUser(c).id }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/orders/{id}',
      tags,
      security: merchantSecurity,
      middleware: [signedIn] as const,
      summary: 'One order (another customer’s order is 404); a merchant (or its API key) reads its shop’s orders',
      request: { params: IdParam },
      responses: { 200: json(OrderSchema, 'the order view'), ...errors(401, 404) },
    }),
    async (c) => {
      const user = currentUser(c);
      const order = await getOrder(deps, c.req.valid('param').id, { id: user.id, admin: primaryRole(user) === 'admin', merchant: user.roles.includes('merchant') });
      if (!order) throw new NotFoundError('order');
      return c.json(order, 200, order.version >= 0 ? { ETag: etag(order.version) } : {});
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/snapshots/{id}',
      tags,
      security,
      middleware: [signedIn] as const,
      summary: 'An item snapshot: the product as it was when an order was placed (title, description, images, brand, category, attributes, SKUs and prices)',
      description:
        'Each order item names its `snapshotId`; a snapshot never changes (its id is the sha256 of its content). Any signed-in user may read one: it holds only what the product page showed at the time.',
      request: { params: z.object({ id: z.string().regex(/^[0-9a-f]{64}$/, 'a snapshot id is 64 hex digits').openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 200: json(SnapshotSchema, 'the snapshot'), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const snapshot = await getSnapshot(deps, c.req.valid('param').id);
      if (!snapshot) throw new NotFoundError('snapshot');
      return c.json({ id: snapshot.id, productId: snapshot.productId, takenAt: snapshot.takenAt, content: snapshot.content }, 200, { 'Cache-Control': 'private, max-age=31536000, immutable' });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/orders/{id}/cancel',
      tags,
      security,
      middleware: [signedIn] as const,
      summary: 'Cancel an unpaid order (owner or admin); its stock and promotion share are given back',
      description: 'Only while `pending_payment` (else 409 INVALID_STATE_TRANSITION); cancelling a cancelled order again answers it unchanged. If-Match (optional): the order’s ETag; stale → 412.',
      request: { params: IdParam, headers: IfMatchHeader },
      responses: {
        200: json(z.object({ id: z.string(), status: z.enum(ORDER_STATUSES), cancelReason: z.enum(CANCEL_REASONS).nullable(), position: Position }), 'cancelled'),
        ...errors(400, 401, 404, 409, 412),
      },
    }),
    async (c) => {
      const user = currentUser(c);
      const expectedVersion = parseIfMatch(c.req.header('If-Match'));
      const result = await cancelOrder(deps, { id: user.id, role: primaryRole(user) }, c.req.valid('param').id, commandMetadata(c), expectedVersion);
      return c.json({ id: result.order.orderId, status: result.order.status, cancelReason: result.order.cancelReason, position: String(result.position) }, 200, {
        ETag: etag(result.version),
        'X-Position': String(result.position),
      });
    },
  );

  return app;
}
