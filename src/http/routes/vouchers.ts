import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { endVoucher, getVoucher, issueVoucher } from '../../commands/vouchers/vouchers.js';
import { listVouchers } from '../../queries/marketing/marketing.js';
import { phase } from './promotions.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { bearer, errors, json, jsonBody, MoneySchema, router } from '../openapi.js';
import { CountInput, MoneyInput } from '../limits.js';

const tags = ['Vouchers'];
const DateTime = z.iso.datetime({ offset: true });
const VoucherSchema = z
  .object({
    code: z.string(),
    amount: MoneySchema,
    maxUses: z.number().int(),
    perUserLimit: z.number().int(),
    startsAt: z.string().nullable(),
    endsAt: z.string().nullable(),
    issuedAt: z.string(),
    endedAt: z.string().nullable().openapi({ description: 'when an admin ended it (POST /admin/vouchers/{code}/end); null: not ended' }),
    used: z.number().int(),
    remainingUses: z.number().int(),
  })
  .openapi('Voucher');
const VoucherListItem = VoucherSchema.extend({
  status: z.enum(['scheduled', 'running', 'ended']).openapi({ description: 'scheduled (before startsAt), running, or ended (ended by an admin or past endsAt)' }),
}).openapi('VoucherListItem');
const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: '1-100, default 20' }),
  cursor: z.string().max(500).optional().openapi({ description: "the previous page's nextCursor" }),
});
const CodeParam = z.object({ code: z.string().min(1).max(40).openapi({ param: { name: 'code', in: 'path' } }) });
const IssueBody = z
  .object({
    code: z.string().trim().regex(/^[A-Za-z0-9_-]{1,40}$/, '1-40 letters, digits, _ or -'),
    amount: MoneyInput.openapi({ description: 'value off a payment (funded by the platform)' }),
    maxUses: CountInput.optional().openapi({ description: 'total uses, default 1' }),
    perUserLimit: CountInput.optional().openapi({ description: 'uses per user, default 1' }),
    startsAt: DateTime.optional(),
    endsAt: DateTime.optional(),
  })
  .strict()
  .openapi('IssueVoucher');

export function voucherRoutes(deps: Deps) {
  const app = router();
  const admin = requireUser('admin');
  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/vouchers',
      tags,
      security: bearer,
      middleware: [admin] as const,
      summary: 'Issue an e-voucher (the same body again answers unchanged; other terms → 409 VOUCHER_EXISTS)',
      request: { body: jsonBody(IssueBody) },
      responses: { 201: json(VoucherSchema.extend({ position: z.string() }), 'issued'), ...errors(400, 401, 403, 409, 415) },
    }),
    async (c) => {
      const { voucher, position } = await issueVoucher(deps, c.req.valid('json'), commandMetadata(c));
      return c.json({ ...voucher, position: String(position) }, 201, { 'X-Position': String(position) });
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/vouchers',
      tags,
      security: bearer,
      middleware: [admin] as const,
      summary: 'E-vouchers, newest first (cursor pages)',
      description: 'From the `flash_sales` read model (marketing lists): `used` follows payments within the projection lag; GET /admin/vouchers/{code} reads the voucher’s stream and is exact.',
      request: { query: PageQuery },
      responses: { 200: json(z.object({ items: z.array(VoucherListItem), nextCursor: z.string().nullable() }).openapi('VoucherPage'), 'a page of vouchers'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const page = await listVouchers(deps, c.req.valid('query'));
      const now = deps.clock.now().toISOString();
      const items = page.items.map(({ id: _id, ...doc }) => ({ ...doc, status: phase(doc, now), remainingUses: Math.max(0, doc.maxUses - doc.used) }));
      return c.json({ items, nextCursor: page.nextCursor }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/vouchers/{code}/end',
      tags,
      security: bearer,
      middleware: [admin] as const,
      summary: 'End a voucher now (payments refuse it from here on: VOUCHER_INVALID); ending an ended one answers it unchanged',
      request: { params: CodeParam },
      responses: { 200: json(VoucherSchema.extend({ position: z.string() }), 'ended'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const { voucher, position } = await endVoucher(deps, c.req.valid('param').code, commandMetadata(c));
      return c.json({ ...voucher, position: String(position) }, 200, { 'X-Position': String(position) });
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/vouchers/{code}',
      tags,
      security: bearer,
      middleware: [admin] as const,
      summary: 'A voucher and its usage',
      request: { params: CodeParam },
      responses: { 200: json(VoucherSchema, 'the voucher'), ...errors(401, 403, 404) },
    }),
    async (c) => c.json(await getVoucher(deps, c.req.valid('param').code), 200),
  );
  return app;
}
