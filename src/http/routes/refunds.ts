import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Deps } from '../../deps.js';
import { ValidationError } from '../../kernel/errors.js';
import { REFUND_STATUSES, REFUND_TYPES } from '../../domain/refunds/refund.js';
import { approveRefund, receiveReturn, recordReturnShipment, refundVisibleTo, rejectRefund, requestRefund, type RefundAnswer } from '../../commands/refunds/refunds.js';
import { commandMetadata } from '../command-metadata.js';
import type { AppEnv } from '../env.js';
import { currentUser, primaryRole, requireUser } from '../middleware/auth.js';
import { idempotent } from '../middleware/idempotency.js';
import { bearer, errors, etag, IdempotencyKeyHeader, json, jsonBody, MoneySchema, router } from '../openapi.js';

const tags = ['Refunds'];
const security = bearer;
const Id = z.string().trim().min(1).max(100);

const RefundBody = z
  .object({
    type: z.enum(REFUND_TYPES),
    items: z
      .array(z.object({ orderItemId: z.string().trim().min(1).max(100), quantity: z.number().int().min(1).max(100_000) }).strict())
      .max(100)
      .openapi({ description: 'order items and quantities; empty: everything still refundable (the whole order)' }),
    reason: z.string().trim().min(1).max(500),
  })
  .strict()
  .openapi('RefundRequest');

const NoteBody = z.object({ note: z.string().trim().max(500).optional() }).strict().openapi('RefundDecision');

const RefundSchema = z
  .object({
    refundId: z.string(),
    orderId: z.string(),
    status: z.enum(REFUND_STATUSES),
    type: z.enum(REFUND_TYPES),
    amount: MoneySchema,
    items: z.array(z.object({ orderItemId: z.string(), quantity: z.number().int() })),
    version: z.number().int(),
    position: z.string(),
  })
  .openapi('Refund');

const body = (refund: RefundAnswer) => ({
  refundId: refund.refundId,
  orderId: refund.orderId,
  status: refund.status as (typeof REFUND_STATUSES)[number],
  type: refund.type,
  amount: refund.amount,
  items: refund.items,
  version: refund.revision,
  position: String(refund.position),
});
const headers = (refund: RefundAnswer) => ({ ETag: etag(refund.revision), 'X-Position': String(refund.position) });

const actorOf = (c: Context<AppEnv>) => {
  const user = currentUser(c);
  return { id: user.id, role: primaryRole(user) };
};

/** Refund requests (customer, admin), decisions (admin or the order's merchant), returns. */
export function refundRoutes(deps: Deps) {
  const app = router();
  const staff = requireUser('admin', 'merchant');
  const refundErrors = errors(400, 401, 403, 404, 409, 415, 422);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/orders/{id}/refunds',
      tags,
      security,
      middleware: [requireUser(), idempotent(deps.kv)] as const,
      summary: 'Ask for a refund of your order, whole or some items (refund_only or return_and_refund)',
      description:
        'The order must be paid (paid, shipped, delivered or completed; return_and_refund needs it shipped). A refund never exceeds what was paid for those items minus what was already refunded or requested (409 REFUND_EXCEEDS_PAID with `refundable`): the units are reserved on the order, so concurrent requests cannot together exceed it. The refund waits for an admin or the merchant (`requested`).',
      request: { params: z.object({ id: Id }), headers: IdempotencyKeyHeader, body: jsonBody(RefundBody) },
      responses: { 201: json(RefundSchema, 'requested'), ...refundErrors },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const idempotencyKey = c.req.header('Idempotency-Key');
      const refund = await requestRefund(deps, actorOf(c), { orderId: c.req.valid('param').id, ...input, initiator: 'customer', ...(idempotencyKey ? { idempotencyKey } : {}) }, commandMetadata(c));
      return c.json(body(refund), 201, headers(refund));
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/orders/{id}/refunds',
      tags,
      security,
      middleware: [staff, idempotent(deps.kv)] as const,
      summary: 'Refund an order on the platform’s initiative (admin, or its merchant): approved at once',
      request: { params: z.object({ id: Id }), headers: IdempotencyKeyHeader, body: jsonBody(RefundBody) },
      responses: { 201: json(RefundSchema, 'approved (a refund_only is paid out at once)'), ...refundErrors },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const idempotencyKey = c.req.header('Idempotency-Key');
      const refund = await requestRefund(deps, actorOf(c), { orderId: c.req.valid('param').id, ...input, initiator: 'admin', ...(idempotencyKey ? { idempotencyKey } : {}) }, commandMetadata(c));
      return c.json(body(refund), 201, headers(refund));
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/refunds/{id}',
      tags,
      security,
      middleware: [requireUser()] as const,
      summary: 'One refund (the customer’s own, the merchant’s orders, or any for an admin)',
      request: { params: z.object({ id: Id }) },
      responses: { 200: json(RefundSchema, 'the refund'), ...errors(401, 404) },
    }),
    async (c) => {
      const refund = await refundVisibleTo(deps, actorOf(c), c.req.valid('param').id);
      const loaded = await deps.handlers.refund.load(`refund-${refund.refundId}`);
      const answer: RefundAnswer = { refundId: refund.refundId, orderId: refund.orderId, status: refund.status, type: refund.type, amount: refund.amount, items: refund.items, revision: loaded.revision, position: loaded.position };
      return c.json(body(answer), 200, headers(answer));
    },
  );

  const decision = (path: 'approve' | 'reject') =>
    app.openapi(
      createRoute({
        method: 'post',
        path: `/admin/refunds/{id}/${path}`,
        tags,
        security,
        middleware: [staff] as const,
        summary: path === 'approve' ? 'Approve a requested refund (admin or the order’s merchant)' : 'Reject a requested refund with a note (its units become refundable again)',
        description:
          path === 'approve'
            ? 'refund_only: the money goes back at once, by the tenders used (→ `refunded`). return_and_refund: → `awaiting_return` until the goods are back.'
            : 'Only while `requested` (else 409 INVALID_STATE_TRANSITION).',
        request: { params: z.object({ id: Id }), body: { content: { 'application/json': { schema: NoteBody } }, required: false } },
        responses: { 200: json(RefundSchema, path === 'approve' ? 'approved' : 'rejected'), ...errors(400, 401, 403, 404, 409) },
      }),
      async (c) => {
        const note = (await noteOf(c)) ?? null;
        const id = c.req.valid('param').id;
        const refund = path === 'approve' ? await approveRefund(deps, actorOf(c), id, note, commandMetadata(c)) : await rejectRefund(deps, actorOf(c), id, note, commandMetadata(c));
        return c.json(body(refund), 200, headers(refund));
      },
    );
  decision('approve');
  decision('reject');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/refunds/{id}/return-shipment',
      tags,
      security,
      middleware: [requireUser()] as const,
      summary: 'The customer ships the goods back (return_and_refund, once approved)',
      request: { params: z.object({ id: Id }), body: jsonBody(z.object({ carrier: z.string().trim().min(1).max(60), trackingNumber: z.string().trim().min(1).max(100) }).strict().openapi('ReturnShipment')) },
      responses: { 200: json(RefundSchema, 'recorded'), ...errors(400, 401, 404, 409, 415) },
    }),
    async (c) => {
      const refund = await recordReturnShipment(deps, actorOf(c), c.req.valid('param').id, c.req.valid('json'), commandMetadata(c));
      return c.json(body(refund), 200, headers(refund));
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/refunds/{id}/receive-return',
      tags,
      security,
      middleware: [staff] as const,
      summary: 'The returned goods arrived: back to stock, then the money goes back',
      description: 'Only after the customer recorded the return shipment (else 409 INVALID_STATE_TRANSITION).',
      request: { params: z.object({ id: Id }) },
      responses: { 200: json(RefundSchema, 'returned and refunded'), ...errors(401, 403, 404, 409) },
    }),
    async (c) => {
      const refund = await receiveReturn(deps, actorOf(c), c.req.valid('param').id, commandMetadata(c));
      return c.json(body(refund), 200, headers(refund));
    },
  );

  return app;
}

/** The optional `{ note }` body of a decision (absent or empty: no note). */
async function noteOf(c: Context<AppEnv>): Promise<string | undefined> {
  const text = await c.req.text();
  if (text.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ValidationError('the body is not JSON', [{ path: '(body)', message: 'send { "note": "..." } or nothing' }]);
  }
  const parsed = NoteBody.safeParse(json);
  if (!parsed.success) throw new ValidationError('the request is not valid', parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message })));
  return parsed.data.note;
}
