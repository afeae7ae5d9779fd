import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ulid } from 'ulid';
import type { Deps } from '../../../deps.js';
import type { EventMetadata } from '../../../ports/event-store.js';
import { ValidationError } from '../../../kernel/errors.js';
import { idFromSeed, sha256Hex } from '../../../domain/catalog/canonical.js';
import { jobStream, type JobFormat, type JobMode } from '../../../domain/catalog/bulk-job.js';
import { resolveMerchant, type CatalogActor } from '../lookups.js';
import { jobWorker, spoolDir } from './worker.js';

/** Largest file a bulk upload accepts. */
export const MAX_BULK_BYTES = 1024 * 1024 * 1024;

export class FileTooLarge extends Error {}

export interface StartedJob {
  jobId: string;
  position: number;
  /** The same Idempotency-Key and body were sent before: this is that job. */
  replayed: boolean;
}

/**
 * POST /admin/products/bulk: streams the body to a spool file (never holding it in memory), records
 * JobStarted and hands the job to the background worker. With an Idempotency-Key the job id derives
 * from (caller, key) and a resend with the same body finds the same job; another body is refused (422).
 */
export async function startBulkUpload(
  deps: Deps,
  actor: CatalogActor,
  input: { mode: JobMode; format: JobFormat; merchantId?: string; idempotencyKey?: string; body: WebReadableStream<Uint8Array> | null },
  metadata: EventMetadata,
): Promise<StartedJob> {
  const merchantId = await resolveMerchant(deps, actor, input.merchantId);
  await mkdir(spoolDir(deps), { recursive: true });
  const file = join(spoolDir(deps), `${ulid()}.${input.format}`);
  try {
    const { digest, bytes } = await spool(input.body, file);
    if (bytes === 0) throw new ValidationError('the file is empty', [{ path: '(body)', message: `send the ${input.format.toUpperCase()} file as the request body` }]);
    const jobId = input.idempotencyKey ? idFromSeed(`bulk:${actor.id}:${input.idempotencyKey}`) : ulid();
    const started = await start(deps, { jobId, merchantId, mode: input.mode, format: input.format, file, digest, startedBy: actor }, metadata);
    if (started.replayed) await rm(file, { force: true });
    return started;
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
}

/** The CLI's import: the file is processed where it is (no spool copy). */
export async function startFileJob(
  deps: Deps,
  input: { file: string; mode: JobMode; merchantId?: string },
  metadata: EventMetadata,
): Promise<StartedJob & { format: JobFormat; bytes: number }> {
  const file = resolve(input.file);
  const format = formatOfFile(file);
  const { size } = await stat(file);
  const merchantId = await resolveMerchant(deps, { id: 'cli', role: 'admin' }, input.merchantId);
  const { digest } = await spool(Readable.toWeb(createReadStream(file)) as WebReadableStream<Uint8Array>, null);
  const startedBy = { id: String(metadata.actor?.id ?? 'cli'), role: String(metadata.actor?.role ?? 'system') };
  const started = await start(deps, { jobId: ulid(), merchantId, mode: input.mode, format, file, digest, startedBy }, metadata, false);
  return { ...started, format, bytes: size };
}

export function formatOfFile(file: string): JobFormat {
  const extension = extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  throw new ValidationError('unknown file type', [{ path: 'file', message: 'use a .csv, .ndjson or .jsonl file' }]);
}

async function start(
  deps: Deps,
  input: { jobId: string; merchantId: string; mode: JobMode; format: JobFormat; file: string; digest: string; startedBy: { id: string; role: string } },
  metadata: EventMetadata,
  enqueue = true,
): Promise<StartedJob> {
  const { jobId, merchantId, mode, format, file, startedBy } = input;
  const fingerprint = sha256Hex(`${mode}\n${format}\n${merchantId}\n${input.digest}`);
  const result = await deps.handlers.job.handle(
    jobStream(jobId),
    { type: 'StartJob', jobId, merchantId, mode, format, file, fingerprint, startedBy: { id: startedBy.id, role: startedBy.role }, at: deps.clock.now().toISOString() },
    { metadata },
  );
  const replayed = result.events.length === 0;
  if (!replayed && enqueue) jobWorker(deps).enqueue(jobId);
  return { jobId, position: result.position, replayed };
}

/** Copies a body to `file` (or only hashes it when file is null), refusing more than MAX_BULK_BYTES. */
async function spool(body: WebReadableStream<Uint8Array> | null, file: string | null): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  if (!body) return { digest: hash.digest('hex'), bytes };
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > MAX_BULK_BYTES) return callback(new FileTooLarge(`the file is larger than ${MAX_BULK_BYTES} bytes`));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const sink = file ? createWriteStream(file) : new Transform({ transform: (_chunk, _encoding, callback) => callback() }).resume();
  await pipeline(Readable.fromWeb(body), meter, sink);
  return { digest: hash.digest('hex'), bytes };
}
