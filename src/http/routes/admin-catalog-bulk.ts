import { createRoute, z } from '@hono/zod-openapi';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Deps } from '../../deps.js';
import type { AppEnv } from '../env.js';
import { NotFoundError, ValidationError } from '../../kernel/errors.js';
import { JOB_MODES, type JobFormat } from '../../domain/catalog/bulk-job.js';
import { canTouch } from '../../commands/catalog/lookups.js';
import { FileTooLarge, MAX_BULK_BYTES, startBulkUpload } from '../../commands/catalog/bulk/start.js';
import { JOB_CHUNK_ROWS } from '../../commands/catalog/bulk/worker.js';
import { JOB_ROWS_CAP } from '../../projections/catalog/jobs.js';
import { getJob } from '../../queries/catalog/catalog.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { problem, problemResponse } from '../problem.js';
import { errors, IdempotencyKeyHeader, json, router } from '../openapi.js';
import { catalogActor, IdParam, IdSchema, JobSchema, Position, security, tags } from './admin-catalog-schemas.js';

const staff = requireUser('admin', 'merchant');

const BULK_DESCRIPTION = `Send the file as the body: \`text/csv\` or \`application/x-ndjson\` (at most ${MAX_BULK_BYTES / 1024 / 1024} MiB). The body is spooled to disk and the answer is 202 with a job id at once; rows are then processed one by one in the background (poll GET /api/v1/admin/jobs/{jobId}). Good rows are applied, bad rows are reported with their row number and reason; a product is created whole or not at all. \`row\` is the line number in the file (in a CSV the header is line 1). Rows act on the products of the caller (a merchant or its API key), or for an admin of \`merchantId\` (default "platform"). Idempotency-Key: the same key and body give the same job; another body with the key is 422.

**mode=create**, NDJSON: one product per line, shaped as the POST /api/v1/admin/products body (without merchantId). CSV: one row per SKU; contiguous rows with the same \`productKey\` make one product (without that column each row is a one-SKU product). Product columns are read from the product's first row: \`productKey, spuId, title, categoryId, brandId, description, images\` (URLs separated by \`|\`), \`status\` (draft | listed), \`takeStockAt\` (order | payment), \`attr.<name>\` (key and general attributes). SKU columns: \`skuCode, price\` (integer fen: 1999 is ¥19.99), \`currency\` (optional, CNY), \`stock\` (integer ≥ 0), \`sales.<name>\` (sales attributes). Required columns: skuCode, price, stock; empty cells are absent values. Example:
\`\`\`
productKey,title,categoryId,brandId,attr.材质,skuCode,price,stock,sales.颜色,sales.尺码
tee-1,纯棉T恤,01J…,01J…,棉,TEE-R-M,9900,10,红色,M
tee-1,,,,,TEE-B-M,9900,5,蓝色,M
\`\`\`
**mode=update**, one row per SKU: \`skuCode\` or \`skuId\`, then any of \`price\` (integer fen), \`currency\`, \`stock\` (sets the units on hand), \`status\` (listed | delisted, for the SKU's product). NDJSON: \`{ "skuCode" | "skuId", "price"?: Money, "stock"?, "status"? }\`. A row's changes are checked before any is applied.

An unknown or missing column fails the whole job (status failed, \`error\`). Progress is recorded every ${JOB_CHUNK_ROWS} rows; a job interrupted by a restart resumes after its last recorded row.`;

const formatOf = (contentType: string | undefined): JobFormat | null => {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  return null;
};

/** Refuses a body that is neither CSV nor NDJSON (415) before anything is read. */
const fileBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!formatOf(c.req.header('Content-Type'))) return problemResponse(problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the file as text/csv or application/x-ndjson'));
  await next();
};

/** Bulk upload and bulk edit of products, and their jobs. */
export function adminCatalogBulkRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post', path: '/products/bulk', tags, security, middleware: [staff, fileBody] as const,
      summary: 'Bulk upload (mode=create) or bulk edit (mode=update) products from CSV or NDJSON',
      description: BULK_DESCRIPTION,
      request: {
        query: z.object({ mode: z.enum(JOB_MODES).default('create'), merchantId: IdSchema.optional().openapi({ description: 'admin only' }) }),
        headers: IdempotencyKeyHeader,
        body: {
          required: true,
          content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) }, 'application/x-ndjson': { schema: z.string().openapi({ format: 'binary' }) } },
        },
      },
      responses: {
        202: json(z.object({ jobId: z.string(), position: Position }).openapi('BulkJobStarted'), 'accepted; processing in the background'),
        ...errors(400, 401, 403, 413, 415, 422),
      },
    }),
    async (c) => {
      const format = formatOf(c.req.header('Content-Type'))!;
      const key = c.req.header('Idempotency-Key');
      if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
        throw new ValidationError('invalid Idempotency-Key', [{ path: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters, e.g. a UUID' }]);
      }
      const { mode, merchantId } = c.req.valid('query');
      try {
        const body = c.req.raw.body as WebReadableStream<Uint8Array> | null;
        const started = await startBulkUpload(deps, catalogActor(c), { mode, format, merchantId, idempotencyKey: key, body }, commandMetadata(c));
        return c.json({ jobId: started.jobId, position: String(started.position) }, 202, {
          'X-Position': String(started.position),
          Location: `/api/v1/admin/jobs/${started.jobId}`,
          ...(started.replayed ? { 'Idempotent-Replayed': 'true' } : {}),
        });
      } catch (error) {
        if (error instanceof FileTooLarge) throw new HTTPException(413, { message: error.message });
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/jobs/{id}', tags, security, middleware: [staff] as const,
      summary: 'A bulk job: status, counts and failed rows',
      description: `\`rows\` lists the failed rows (\`ok: false\` with the reason), the first ${JOB_ROWS_CAP}; the counts cover every row. A merchant sees only its own jobs (another's is 404).`,
      request: { params: IdParam },
      responses: { 200: json(JobSchema, 'the job'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      let job = await getJob(deps, id);
      if (!job) {
        // Started a moment ago: wait (bounded) for the jobs view.
        await deps.projections.waitFor(await deps.store.headPosition(), 2000, ['jobs']);
        job = await getJob(deps, id);
      }
      if (!job || !canTouch(catalogActor(c), job.merchantId)) throw new NotFoundError('job');
      const { startedBy: _startedBy, throughRow: _throughRow, ...view } = job;
      return c.json(view, 200);
    },
  );

  return app;
}
