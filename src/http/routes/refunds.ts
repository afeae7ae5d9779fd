import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Deps } from '../../deps.js';
import { ValidationError } from '../../kernel/errors.js';
import { REFUND_STATUSES, REFUND_TYPES } from '../../domain/refunds/refund.js';
import { approveRefund, receiveReturn, recordReturnShipment, refundVisibleTo, rejectRefund, requestRefund, type RefundAnswer } from '../../commands/refunds/refunds.js';
import { listRefunds } from '../../queries/orders/refunds.js';
import { commandMetadata } from '../command-metadata.js';
import type { AppEnv } from '../env.js';
import { currentUser, primaryRole, requireUser } from '../middleware/auth.js';
import { idempotent } from '../middleware/idempotency.js';
import { bearer, errors, etag, IdempotencyKeyHeader, IfMatchHeader, json, jsonBody, MoneySchema, parseIfMatch, router } from '../openapi.js';

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
    id: z.string().openapi({ description: 'the refund id, as in the order view' }),
    refundId: z.string().openapi({ description: 'same as id' }),
    orderId: z.string(),
    status: z.enum(REFUND_STATUSES),
    type: z.enum(REFUND_TYPES),
    amount: MoneySchema,
    items: z.array(z.object({ orderItemId: z.string(), quantity: z.number().int() })),
    version: z.number().int(),
    position: z.string(),
  })
  .openapi('Refund');

const RefundDetailSchema = RefundSchema.extend({
  reason: z.string().openapi({ description: 'why the refund was asked for (the customer’s words, or the admin’s)' }),
  initiator: z.enum(['customer', 'admin', 'system']),
  note: z.string().nullable().openapi({ description: 'the note of the approval or rejection' }),
  returnShipment: z.object({ carrier: z.string(), trackingNumber: z.string() }).nullable().openapi({ description: 'the customer’s parcel back (return_and_refund), once recorded' }),
  requestedAt: z.string(),
  refundedAt: z.string().nullable(),
}).openapi('RefundDetail');

const RefundQueueItemSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    payOrderId: z.string(),
    userId: z.string(),
    merchantId: z.string(),
    status: z.enum(REFUND_STATUSES),
    type: z.enum(REFUND_TYPES),
    amount: MoneySchema,
    items: z.array(z.object({ orderItemId: z.string(), quantity: z.number().int() })),
    reason: z.string(),
    initiator: z.enum(['customer', 'admin', 'system']),
    returnShipment: z.object({ carrier: z.string(), trackingNumber: z.string() }).nullable().openapi({ description: 'the customer’s parcel back (return_and_refund), once recorded' }),
    note: z.string().nullable().openapi({ description: 'the note of the approval or rejection' }),
    requestedAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int().openapi({ description: 'revision of the refund (its ETag)' }),
    position: z.string(),
  })
  .openapi('RefundQueueItem');

const RefundQueueQuery = z.object({
  status: z.enum(REFUND_STATUSES).optional().openapi({ description: 'only refunds in this status, e.g. `requested` (waiting for a decision)' }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: '1-100, default 20' }),
  cursor: z.string().max(500).optional(),
});

const body = (refund: RefundAnswer) => ({
  id: refund.refundId,
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
      path: '/admin/refunds',
      tags,
      security,
      middleware: [staff] as const,
      summary: 'The refund queue, oldest request first: every refund (admin) or my shop’s (merchant)',
      description:
        '`?status=requested` lists the refunds waiting for a decision; `awaiting_return` those waiting for the goods. A merchant (also with an API key) sees only the refunds of its own orders. Cursor-paginated (`limit`, `cursor` from `nextCursor`).',
      request: { query: RefundQueueQuery },
      responses: { 200: json(z.object({ items: z.array(RefundQueueItemSchema), nextCursor: z.string().nullable() }).openapi('RefundQueuePage'), 'a page of refunds'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const user = currentUser(c);
      const query = c.req.valid('query');
      return c.json(await listRefunds(deps, { ...query, ...(primaryRole(user) === 'admin' ? {} : { merchantId: user.id }) }), 200);
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
      responses: { 200: json(RefundDetailSchema, 'the refund with its reason, decision note and return parcel'), ...errors(401, 404) },
    }),
    async (c) => {
      const refund = await refundVisibleTo(deps, actorOf(c), c.req.valid('param').id);
      const loaded = await deps.handlers.refund.load(`refund-${refund.refundId}`);
      const answer: RefundAnswer = { refundId: refund.refundId, orderId: refund.orderId, status: refund.status, type: refund.type, amount: refund.amount, items: refund.items, revision: loaded.revision, position: loaded.position };
      const detail = { reason: refund.reason, initiator: refund.initiator, note: refund.note, returnShipment: refund.returnShipment, requestedAt: refund.requestedAt, refundedAt: refund.refundedAt };
      return c.json({ ...body(answer), ...detail }, 200, headers(answer));
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
        request: { params: z.object({ id: Id }), headers: IfMatchHeader, body: { content: { 'application/json': { schema: NoteBody } }, required: false } },
        responses: { 200: json(RefundSchema, path === 'approve' ? 'approved' : 'rejected'), ...errors(400, 401, 403, 404, 409, 412) },
      }),
      async (c) => {
        const expectedVersion = parseIfMatch(c.req.header('If-Match'));
        const note = (await noteOf(c)) ?? null;
        const id = c.req.valid('param').id;
        const decide = path === 'approve' ? approveRefund : rejectRefund;
        const refund = await decide(deps, actorOf(c), id, note, commandMetadata(c), expectedVersion);
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
      request: {
        params: z.object({ id: Id }),
        headers: IfMatchHeader,
        body: jsonBody(z.object({ carrier: z.string().trim().min(1).max(60), trackingNumber: z.string().trim().min(1).max(100) }).strict().openapi('ReturnShipment')),
      },
      responses: { 200: json(RefundSchema, 'recorded'), ...errors(400, 401, 404, 409, 412, 415) },
    }),
    async (c) => {
      const expectedVersion = parseIfMatch(c.req.header('If-Match'));
      const refund = await recordReturnShipment(deps, actorOf(c), c.req.valid('param').id, c.req.valid('json'), commandMetadata(c), expectedVersion);
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
      request: { params: z.object({ id: Id }), headers: IfMatchHeader },
      responses: { 200: json(RefundSchema, 'returned and refunded'), ...errors(400, 401, 403, 404, 409, 412) },
    }),
    async (c) => {
      const expectedVersion = parseIfMatch(c.req.header('If-Match'));
      const refund = await receiveReturn(deps, actorOf(c), c.req.valid('param').id, commandMetadata(c), expectedVersion);
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
