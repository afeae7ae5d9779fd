import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { PAYMENT_METHODS } from '../../domain/payments/payment.js';
import { payPayOrder } from '../../commands/payments/pay.js';
import { receiveCallback } from '../../commands/payments/callbacks.js';
import { flaggedPayments } from '../../queries/wallet/wallet.js';
import { getPayOrder } from '../../queries/orders/pay-orders.js';
import { commandMetadata } from '../command-metadata.js';
import { currentUser, requireUser } from '../middleware/auth.js';
import { idempotent } from '../middleware/idempotency.js';
import { bearer, errors, etag, IdempotencyKeyHeader, json, jsonBody, MoneySchema, router } from '../openapi.js';

const tags = ['Payments'];
const security = bearer;

const PayBody = z
  .object({
    method: z.enum(PAYMENT_METHODS),
    card: z.object({ number: z.string().trim().min(1).max(30) }).strict().optional().openapi({ description: 'required for method card (Luhn-checked); sandbox: 4242424242424242 succeeds, 4000000000000002 is declined' }),
    voucherCode: z.string().trim().min(1).max(40).optional(),
    coins: z.number().int().min(0).max(1_000_000_000).optional().openapi({ description: 'coins to redeem (BAZAAR_COINS_PER_CNY per CNY 1.00, at most BAZAAR_COINS_MAX_SHARE_PERCENT of the payable)' }),
  })
  .strict()
  .openapi('PayRequest');

const PaymentSchema = z
  .object({
    id: z.string().openapi({ description: 'the payment id, as in payment lists' }),
    paymentId: z.string().openapi({ description: 'same as id' }),
    payOrderId: z.string(),
    status: z.enum(['pending', 'captured', 'declined', 'refunded']),
    method: z.enum(PAYMENT_METHODS),
    amount: MoneySchema.openapi({ description: 'charged to the card or wallet: the payable minus coins and voucher' }),
    fee: MoneySchema.openapi({ description: "the provider's fee: a cost of the platform, never added to the customer" }),
    coins: z.number().int(),
    coinsValue: MoneySchema,
    voucherValue: MoneySchema,
    position: z.string(),
  })
  .openapi('Payment');

export const PaymentAttemptSchema = z
  .object({
    paymentId: z.string(),
    payOrderId: z.string(),
    method: z.string(),
    status: z.enum(['pending', 'captured', 'declined', 'refunded']),
    amount: MoneySchema,
    fee: MoneySchema,
    coins: z.number().int(),
    coinsValue: MoneySchema,
    voucherCode: z.string().nullable(),
    voucherValue: MoneySchema,
    declineReason: z.string().nullable().openapi({ description: 'why it was declined (e.g. `card_declined`); null unless `declined`' }),
    refunded: z.boolean().openapi({ description: 'refunded automatically (it succeeded after its orders were cancelled, or after a decline)' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('PaymentAttempt');

const PayOrderSchema = z
  .object({
    id: z.string(),
    userId: z.string(),
    status: z.enum(['pending', 'cancelled']).openapi({ description: '`cancelled` once every order of it is cancelled' }),
    paymentStatus: z.enum(['unpaid', 'paid']),
    orders: z.array(z.object({ id: z.string(), merchantId: z.string(), total: MoneySchema, cancelled: z.boolean() })),
    subtotal: MoneySchema,
    discount: MoneySchema,
    shipping: MoneySchema,
    payable: MoneySchema.openapi({ description: 'what is left to pay: the orders still open' }),
    promotionCode: z.string().nullable(),
    expiresAt: z.string(),
    placedAt: z.string(),
    paymentInFlight: z.string().nullable().openapi({ description: 'the payment awaiting its outcome, if any' }),
    paidBy: z.string().nullable(),
    payments: z.array(PaymentAttemptSchema).openapi({ description: 'every payment attempt, oldest first' }),
    version: z.number().int(),
  })
  .openapi('PayOrder');

const FlaggedSchema = z.object({
  id: z.string(),
  payOrderId: z.string(),
  userId: z.string(),
  method: z.string(),
  status: z.string(),
  amount: MoneySchema,
  flagReason: z.string().nullable(),
  flaggedAt: z.string().nullable(),
  refundedOrderIds: z.array(z.string()),
  refunded: z.boolean(),
});

export function paymentRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/pay-orders/{id}/payments',
      tags,
      security,
      middleware: [requireUser(), idempotent(deps.kv)] as const,
      summary: 'Pay a pay order by card or wallet, with optional coins and e-voucher',
      description:
        'Checks (seed OrderPayService): your pay order (404), every order pending_payment (409 INVALID_STATE_TRANSITION), the payable, the promotion (409 PROMOTION_INVALID), the voucher (409 VOUCHER_INVALID), coins (409 INSUFFICIENT_FUNDS, 400 over the cap), the method (400 without a Luhn-valid card). One payment in flight per pay order (409 PAYMENT_IN_PROGRESS). A wallet payment is captured at once (409 INSUFFICIENT_FUNDS changes nothing); a card payment is `pending` until the provider\'s signed callback.',
      request: { params: z.object({ id: z.string().min(1).max(64) }), headers: IdempotencyKeyHeader, body: jsonBody(PayBody) },
      responses: { 201: json(PaymentSchema, 'payment started (or captured)'), ...errors(400, 401, 404, 409, 415, 422) },
    }),
    async (c) => {
      const user = currentUser(c);
      const body = c.req.valid('json');
      const idempotencyKey = c.req.header('Idempotency-Key');
      const paid = await payPayOrder(deps, { userId: user.id, payOrderId: c.req.valid('param').id, ...body, ...(idempotencyKey ? { idempotencyKey } : {}) }, commandMetadata(c));
      return c.json({ id: paid.paymentId, ...paid, status: paid.status as 'pending', position: String(paid.position) }, 201, { 'X-Position': String(paid.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/pay-orders/{id}',
      tags,
      security,
      middleware: [requireUser()] as const,
      summary: 'A pay order with its payment attempts: status and decline reason (owner or admin; others 404)',
      request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) }) },
      responses: { 200: json(PayOrderSchema, 'the pay order'), ...errors(401, 404) },
    }),
    async (c) => {
      const user = currentUser(c);
      const payOrder = await getPayOrder(deps, c.req.valid('param').id, { id: user.id, admin: user.roles.includes('admin') });
      if (!payOrder) throw new NotFoundError('pay order');
      return c.json({ ...payOrder, payments: payOrder.payments.map((payment) => PaymentAttemptSchema.parse(payment)) }, 200, { ETag: etag(payOrder.version) });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/payments/callbacks/{provider}',
      tags,
      summary: "The payment provider's signed callback",
      description: 'X-Signature: HMAC-SHA256 (hex) of the raw body. A bad or missing signature is 401 and records nothing; duplicate and out-of-order callbacks are no-ops. A body with `type: "refund"` confirms a card refund (it becomes `refunded` only then).',
      request: { params: z.object({ provider: z.string().min(1).max(40) }), headers: z.object({ 'x-signature': z.string().optional() }) },
      responses: { 200: json(z.object({ paymentId: z.string(), status: z.string(), refundId: z.string().optional() }), 'accepted'), ...errors(400, 401, 404) },
    }),
    async (c) => {
      const raw = await c.req.text();
      const result = await receiveCallback(deps, c.req.valid('param').provider, raw, c.req.header('X-Signature'), commandMetadata(c));
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/payments/flagged',
      tags,
      security,
      middleware: [requireUser('admin')] as const,
      summary: 'Payments flagged for a person (captured after their orders were cancelled or after a decline; refunded automatically)',
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().max(500).optional() }) },
      responses: { 200: json(z.object({ items: z.array(FlaggedSchema), nextCursor: z.string().nullable() }), 'flagged payments, newest first'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const page = await flaggedPayments(deps, c.req.valid('query'));
      return c.json({ items: page.items.map((item) => FlaggedSchema.parse(item)), nextCursor: page.nextCursor }, 200);
    },
  );

  return app;
}

/** Sandbox controls (mounted only while the dev outbox is enabled). */
export function sandboxPaymentDevRoutes(deps: Deps) {
  const app = router();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/sandbox/payments/{paymentId}/redeliver',
      tags: ['Development'],
      summary: 'The sandbox sends the last callback of a payment again, N times',
      description: 'A dev route: loopback clients only unless BAZAAR_DEV_ROUTES=on (others get 403).',
      request: { params: z.object({ paymentId: z.string().min(1).max(100) }), query: z.object({ times: z.coerce.number().int().min(1).max(20).default(1) }) },
      responses: { 200: json(z.object({ paymentId: z.string(), delivered: z.number().int() }), 'delivered'), ...errors(400, 403, 404) },
    }),
    async (c) => {
      const sandbox = deps.paymentProvider; // reached through the port: its optional sandbox control
      const { paymentId } = c.req.valid('param');
      const { times } = c.req.valid('query');
      if (!sandbox.redeliver || !(await sandbox.redeliver(paymentId, times))) throw new NotFoundError('sandbox payment');
      return c.json({ paymentId, delivered: times }, 200);
    },
  );
  return app;
}
