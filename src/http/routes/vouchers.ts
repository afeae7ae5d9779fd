import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { getVoucher, issueVoucher } from '../../commands/vouchers/vouchers.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { bearer, errors, json, jsonBody, MoneySchema, router } from '../openapi.js';

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
    used: z.number().int(),
    remainingUses: z.number().int(),
  })
  .openapi('Voucher');
const IssueBody = z
  .object({
    code: z.string().trim().regex(/^[A-Za-z0-9_-]{1,40}$/, '1-40 letters, digits, _ or -'),
    amount: MoneySchema.openapi({ description: 'value off a payment (funded by the platform)' }),
    maxUses: z.number().int().positive().optional().openapi({ description: 'total uses, default 1' }),
    perUserLimit: z.number().int().positive().optional().openapi({ description: 'uses per user, default 1' }),
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
      path: '/admin/vouchers/{code}',
      tags,
      security: bearer,
      middleware: [admin] as const,
      summary: 'A voucher and its usage',
      request: { params: z.object({ code: z.string().min(1).max(40) }) },
      responses: { 200: json(VoucherSchema, 'the voucher'), ...errors(401, 403, 404) },
    }),
    async (c) => c.json(await getVoucher(deps, c.req.valid('param').code), 200),
  );
  return app;
}
