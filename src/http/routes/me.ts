import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { updateProfile } from '../../commands/users/profile.js';
import { getUser } from '../../queries/users/users.js';
import { listMyPayments } from '../../queries/orders/pay-orders.js';
import { listMyRefunds } from '../../queries/orders/my-refunds.js';
import { REFUND_STATUSES, REFUND_TYPES } from '../../domain/refunds/refund.js';
import { PaymentAttemptSchema } from './payments.js';
import { commandMetadata } from '../command-metadata.js';
import { currentUser, requireUser } from '../middleware/auth.js';
import { bearer, errors, etag, IfMatchHeader, json, jsonBody, MoneySchema, parseIfMatch, router } from '../openapi.js';
import { ProfilePatchSchema, UserSchema } from './user-schemas.js';
import { personalizationRoutes } from './personalization.js';

const tags = ['Users and auth'];
const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: '1-100, default 20' }),
  cursor: z.string().max(500).optional().openapi({ description: 'the `nextCursor` of the previous page' }),
});

const MyRefundSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    payOrderId: z.string(),
    merchantId: z.string(),
    status: z.enum(REFUND_STATUSES),
    type: z.enum(REFUND_TYPES),
    amount: MoneySchema,
    items: z.array(z.object({ orderItemId: z.string(), quantity: z.number().int() })),
    reason: z.string(),
    initiator: z.enum(['customer', 'admin', 'system']),
    returnShipment: z.object({ carrier: z.string(), trackingNumber: z.string() }).nullable(),
    note: z.string().nullable().openapi({ description: 'the note of the approval or rejection' }),
    requestedAt: z.string(),
    updatedAt: z.string(),
    version: z.number().int(),
    position: z.string(),
  })
  .openapi('MyRefund');

export function meRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'My profile',
      security: bearer,
      middleware: [requireUser()] as const,
      responses: { 200: json(UserSchema, 'the signed-in user'), ...errors(401, 404) },
    }),
    async (c) => {
      const user = await getUser(deps, currentUser(c).id);
      if (!user) throw new NotFoundError('user');
      return c.json(user, 200, { ETag: etag(user.version) });
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/',
      tags,
      summary: 'Change my profile (If-Match optional)',
      security: bearer,
      middleware: [requireUser()] as const,
      request: { headers: IfMatchHeader, body: jsonBody(ProfilePatchSchema) },
      responses: { 200: json(UserSchema, 'the updated profile'), ...errors(400, 401, 412, 415) },
    }),
    async (c) => {
      const result = await updateProfile(
        deps,
        { userId: currentUser(c).id, changes: c.req.valid('json'), expectedVersion: parseIfMatch(c.req.header('If-Match')) },
        commandMetadata(c),
      );
      return c.json(result.user, 200, { ETag: etag(result.user.version), 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/payments',
      tags: ['Payments'],
      summary: 'My payment attempts, newest first (status, decline reason)',
      security: bearer,
      middleware: [requireUser()] as const,
      request: { query: PageQuery },
      responses: { 200: json(z.object({ items: z.array(PaymentAttemptSchema), nextCursor: z.string().nullable() }).openapi('PaymentAttemptPage'), 'a page of payments'), ...errors(400, 401) },
    }),
    async (c) => {
      const page = await listMyPayments(deps, currentUser(c).id, c.req.valid('query'));
      return c.json({ items: page.items.map((payment) => PaymentAttemptSchema.parse(payment)), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/refunds',
      tags: ['Refunds'],
      summary: 'My refunds (requested by me or by an admin on my orders), newest first',
      security: bearer,
      middleware: [requireUser()] as const,
      request: { query: PageQuery },
      responses: { 200: json(z.object({ items: z.array(MyRefundSchema), nextCursor: z.string().nullable() }).openapi('MyRefundPage'), 'a page of refunds'), ...errors(400, 401) },
    }),
    async (c) => {
      const page = await listMyRefunds(deps, currentUser(c).id, c.req.valid('query'));
      return c.json({ items: page.items.map((refund) => MyRefundSchema.parse(refund)), nextCursor: page.nextCursor }, 200);
    },
  );

  app.route('/', personalizationRoutes(deps));

  return app;
}
