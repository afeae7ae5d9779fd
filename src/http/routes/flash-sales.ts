import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { createFlashSale, endFlashSale, getFlashSale } from '../../commands/flash-sales/flash-sales.js';
import { listFlashSales } from '../../queries/marketing/marketing.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { bearer, errors, etag, IfMatchHeader, json, jsonBody, MoneySchema, parseIfMatch, router } from '../openapi.js';
import { CountInput, MoneyInput } from '../limits.js';

const tags = ['Promotions'];
const security = bearer;
const Position = z.string().openapi({ description: 'global position of the last event written' });
const DateTime = z.iso.datetime({ offset: true });
const IdParam = z.object({ id: z.string().max(40).openapi({ param: { name: 'id', in: 'path' } }) });

const CreateFlashSaleBody = z
  .object({
    skuId: z.string().trim().min(1).max(100),
    quantity: CountInput.openapi({ description: 'units the gate admits; at most the SKU’s available stock now' }),
    price: MoneyInput.optional().openapi({ description: 'the unit price while the sale runs (default: the SKU’s own price)' }),
    startsAt: DateTime.optional().openapi({ description: 'default: now' }),
    endsAt: DateTime.optional().openapi({ description: 'exclusive; default: open until ended by an admin' }),
  })
  .strict()
  .openapi('CreateFlashSale');

const FlashSaleSchema = z
  .object({
    id: z.string(),
    skuId: z.string(),
    productId: z.string(),
    quantity: z.number().int(),
    price: MoneySchema.nullable(),
    startsAt: z.string(),
    endsAt: z.string().nullable(),
    createdAt: z.string(),
    endedAt: z.string().nullable(),
    status: z.enum(['scheduled', 'running', 'ended']),
    admitted: z.number().int().openapi({ description: 'units the gate has let through (quantity − remaining)' }),
    remaining: z.number().int().openapi({ description: 'tokens left at the gate' }),
    held: z.number().int().openapi({ description: 'units reserved or sold under the sale (from the inventory stream)' }),
    version: z.number().int(),
  })
  .openapi('FlashSale');

/** Flash sales (admin): a gate in front of one SKU's inventory (src/commands/flash-sales/gate.ts). */
export function flashSaleRoutes(deps: Deps) {
  const app = router();
  const admin = requireUser('admin');

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/flash-sales',
      tags,
      security,
      middleware: [admin] as const,
      summary: 'Create a flash sale on one SKU',
      description:
        'While it runs (startsAt ≤ now < endsAt, not ended), checkouts of the SKU pass a gate that admits at most `quantity` units; the others get 409 OUT_OF_STOCK at once. ' +
        'With `price`, that is the unit price during the window (checkout compares `expectedUnitPrice` with it). `quantity` above the available stock is 400; ' +
        'a window overlapping another sale of the SKU that has not ended is 409 FLASH_SALE_CONFLICT.',
      request: { body: jsonBody(CreateFlashSaleBody) },
      responses: { 201: json(z.object({ id: z.string(), position: Position }), 'created'), ...errors(400, 401, 403, 409, 415) },
    }),
    async (c) => {
      const created = await createFlashSale(deps, c.req.valid('json'), commandMetadata(c));
      return c.json({ id: created.id, position: String(created.position) }, 201, {
        'X-Position': String(created.position),
        Location: `/api/v1/admin/flash-sales/${created.id}`,
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/flash-sales',
      tags,
      security,
      middleware: [admin] as const,
      summary: 'Flash sales, newest first (cursor pages), each with its gate’s admitted and remaining units',
      description: 'The list comes from the `flash_sales` read model; each sale’s counters are read as GET /admin/flash-sales/{id} reads them (the gate while it runs). `open=true`: only sales an admin has not ended.',
      request: {
        query: z.object({
          open: z.enum(['true', 'false']).optional().openapi({ description: 'true: not ended by an admin; false: ended' }),
          limit: z.coerce.number().int().min(1).max(50).default(20).openapi({ description: '1-50, default 20' }),
          cursor: z.string().max(500).optional().openapi({ description: "the previous page's nextCursor" }),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(FlashSaleSchema), nextCursor: z.string().nullable() }).openapi('FlashSalePage'), 'a page of flash sales'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const page = await listFlashSales(deps, { limit: query.limit, cursor: query.cursor, open: query.open === undefined ? undefined : query.open === 'true' });
      const items = await Promise.all(page.items.map((doc) => getFlashSale(deps, doc.id)));
      return c.json({ items, nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/admin/flash-sales/{id}',
      tags,
      security,
      middleware: [admin] as const,
      summary: 'A flash sale with its gate: admitted and remaining units',
      request: { params: IdParam },
      responses: { 200: json(FlashSaleSchema, 'the flash sale'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const sale = await getFlashSale(deps, c.req.valid('param').id);
      return c.json(sale, 200, { ETag: etag(sale.version) });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/flash-sales/{id}/end',
      tags,
      security,
      middleware: [admin] as const,
      summary: 'End a flash sale now (its SKU sells at its own price again, without the gate)',
      description: 'Ending a sale that is over answers it unchanged. If-Match (optional) is the sale’s ETag; stale → 412.',
      request: { params: IdParam, headers: IfMatchHeader },
      responses: { 200: json(FlashSaleSchema.extend({ position: Position }), 'ended'), ...errors(400, 401, 403, 404, 412) },
    }),
    async (c) => {
      const expectedVersion = parseIfMatch(c.req.header('If-Match'));
      const { sale, position } = await endFlashSale(deps, c.req.valid('param').id, commandMetadata(c), expectedVersion);
      return c.json({ ...sale, position: String(position) }, 200, { ETag: etag(sale.version), 'X-Position': String(position) });
    },
  );

  return app;
}
