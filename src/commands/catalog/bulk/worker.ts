import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { Deps } from '../../../deps.js';
import { DomainError } from '../../../kernel/errors.js';
import { jobStream, type JobState, type RowFailure } from '../../../domain/catalog/bulk-job.js';
import { JOBS, type JobDoc } from '../../../projections/catalog/documents.js';
import { readRecords, UnreadableFile, type FileRecord } from './records.js';
import { checkCsvHeader } from './csv-rows.js';
import { applyCsvGroup, applyJsonProduct, applyUpdate, jobContext, type CsvGroup, type JobContext, type Outcome } from './apply.js';

/** Progress is recorded (JobProgressed) at least every this many rows. */
export const JOB_CHUNK_ROWS = 500;

export interface JobProgress {
  rows: number;
  succeeded: number;
  failed: number;
  bytesRead: number;
}

export interface RunOptions {
  onProgress?: (progress: JobProgress) => void;
  /** Stops between rows; the job stays running and is resumed after its last recorded row. */
  signal?: AbortSignal;
}

export const spoolDir = (deps: Pick<Deps, 'config'>) => resolve(deps.config.BAZAAR_DATA_DIR, 'jobs');

/**
 * Processes a running job from the row after the last one recorded, one row (CSV create: one product
 * group) at a time, and records progress every chunk. Bad rows are reported with their reason; a file
 * that cannot be read at all fails the job.
 */
export async function runJob(deps: Deps, jobId: string, options: RunOptions = {}): Promise<JobState | null> {
  const stream = jobStream(jobId);
  const { state } = await deps.handlers.job.load(stream);
  if (state.status !== 'running') return state.status === 'none' ? null : state;
  const context = jobContext(deps, state);
  const at = () => deps.clock.now().toISOString();
  const handle = (command: Parameters<typeof deps.handlers.job.handle>[1]) => deps.handlers.job.handle(stream, command, { metadata: context.metadata });

  if (!existsSync(state.file)) {
    await handle({ type: 'FailJob', reason: 'the uploaded file is gone; upload it again', at: at() });
    return (await deps.handlers.job.load(stream)).state as JobState;
  }
  const records = readRecords(state.file, state.format, checkCsvHeader(state.mode));
  const totals = { rows: state.total, succeeded: state.succeeded, failed: state.failed };
  let chunk = { rows: 0, succeeded: 0, failures: [] as RowFailure[], throughRow: state.throughRow };

  const record = async () => {
    if (chunk.rows === 0) return;
    const { succeeded, failures, throughRow } = chunk;
    await handle({ type: 'RecordProgress', throughRow, succeeded, failed: failures.length, failures, at: at() });
    chunk = { rows: 0, succeeded: 0, failures: [], throughRow };
  };
  const count = (outcome: Outcome, lastRow: number, bytesRead: number) => {
    chunk.rows += outcome.succeeded + outcome.failures.length;
    chunk.succeeded += outcome.succeeded;
    chunk.failures.push(...outcome.failures);
    chunk.throughRow = Math.max(chunk.throughRow, lastRow);
    totals.rows += outcome.succeeded + outcome.failures.length;
    totals.succeeded += outcome.succeeded;
    totals.failed += outcome.failures.length;
    options.onProgress?.({ ...totals, bytesRead });
  };

  try {
    const steps = state.format === 'csv' && state.mode === 'create' ? csvGroups(context, records) : singleRows(context, records);
    for await (const step of steps) {
      if (options.signal?.aborted) {
        await record(); // the rows applied so far are not applied again on resume
        return null;
      }
      if (step.lastRow <= state.throughRow) continue; // recorded before a restart
      count(await step.apply(), step.lastRow, step.bytes);
      if (chunk.rows >= JOB_CHUNK_ROWS) await record();
    }
    await record();
    await handle({ type: 'CompleteJob', at: at() });
  } catch (error) {
    if (options.signal?.aborted) return null;
    const reason = error instanceof UnreadableFile || error instanceof DomainError ? error.message : 'an internal error stopped the job; the rows recorded so far were applied';
    if (!(error instanceof UnreadableFile)) deps.logger.error({ err: error, jobId }, 'bulk job failed');
    await record().catch(() => undefined);
    await handle({ type: 'FailJob', reason, at: at() });
  }
  await removeSpooled(deps, state.file);
  return (await deps.handlers.job.load(stream)).state as JobState;
}

/** A unit of work: one row, or the rows of one product; `lastRow` is where progress may be recorded after it. */
interface Step {
  lastRow: number;
  /** Bytes of the file up to the step's last record. */
  bytes: number;
  apply(): Promise<Outcome>;
}

async function* singleRows(context: JobContext, records: AsyncIterable<FileRecord>): AsyncGenerator<Step> {
  const { mode } = context.job;
  for await (const record of records) {
    if (record.error !== undefined) {
      yield { lastRow: record.row, bytes: record.bytes, apply: async () => ({ succeeded: 0, failures: [{ row: record.row, error: record.error }] }) };
    } else if (mode === 'update') {
      const value = record.kind === 'csv' ? record.fields : record.value;
      yield { lastRow: record.row, bytes: record.bytes, apply: () => applyUpdate(context, record.row, value, record.kind === 'csv') };
    } else if (record.kind === 'json') {
      yield { lastRow: record.row, bytes: record.bytes, apply: () => applyJsonProduct(context, record.row, record.value) };
    }
  }
}

/** CSV create: contiguous rows with the same productKey make one product (without the column, each row is one). */
async function* csvGroups(context: JobContext, records: AsyncIterable<FileRecord>): AsyncGenerator<Step> {
  const done = new Set<string>();
  let group: CsvGroup | null = null;
  let bytes = 0;
  const close = (current: CsvGroup): Step => {
    done.add(current.key);
    const rows = [...current.rows.map((entry) => entry.row), ...current.tainted.map((f) => f.row), ...current.strays.map((f) => f.row)];
    return { lastRow: Math.max(...rows), bytes, apply: () => applyCsvGroup(context, current) };
  };
  for await (const record of records) {
    const fields = record.error === undefined ? (record.kind === 'csv' ? record.fields : undefined) : record.fields;
    if (fields === undefined) {
      // Unparseable (bad quoting): it cannot be told which product it belonged to, so it fails alone.
      const stray = { row: record.row, error: record.error ?? 'not a CSV row' };
      if (group) group.strays.push(stray);
      else yield { lastRow: stray.row, bytes: record.bytes, apply: async () => ({ succeeded: 0, failures: [stray] }) };
      bytes = record.bytes;
      continue;
    }
    const key = fields.productKey ?? `row ${record.row}`;
    if (group && group.key !== key) {
      yield close(group);
      group = null;
    }
    group ??= { key, rows: [], tainted: [], strays: [], scattered: done.has(key) };
    bytes = record.bytes;
    if (record.error !== undefined) group.tainted.push({ row: record.row, error: record.error });
    else if (group.scattered) group.tainted.push({ row: record.row, error: `the rows of product "${key}" must be contiguous` });
    else group.rows.push({ row: record.row, fields });
  }
  if (group) yield close(group);
}

async function removeSpooled(deps: Deps, file: string): Promise<void> {
  if (resolve(file).startsWith(spoolDir(deps) + sep)) await rm(file, { force: true });
}

// ---------- the in-process worker ----------

export interface JobWorker {
  enqueue(jobId: string): void;
  /** Resolves when the queue is empty. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const workers = new WeakMap<Deps, JobWorker>();

/** One worker per runtime: jobs run one at a time, in the order they were started. */
export function jobWorker(deps: Deps): JobWorker {
  let worker = workers.get(deps);
  if (worker) return worker;
  const queue: string[] = [];
  const abort = new AbortController();
  let running: Promise<void> | null = null;
  const drain = async () => {
    while (queue.length > 0 && !abort.signal.aborted) {
      const jobId = queue.shift()!;
      try {
        await runJob(deps, jobId, { signal: abort.signal });
      } catch (error) {
        deps.logger.error({ err: error, jobId }, 'bulk job could not run; it is resumed at the next start');
      }
    }
    running = null;
  };
  worker = {
    enqueue(jobId) {
      if (abort.signal.aborted) return;
      queue.push(jobId);
      running ??= drain();
    },
    async idle() {
      while (running) await running;
    },
    async stop() {
      abort.abort();
      await worker!.idle();
    },
  };
  workers.set(deps, worker);
  return worker;
}

/** At start-up: jobs a stopped process left running continue after their last recorded row. */
export async function resumeInterruptedJobs(deps: Deps): Promise<number> {
  await deps.projections.waitFor(await deps.store.headPosition(), 10_000, ['jobs']);
  let cursor: string | null = null;
  let resumed = 0;
  do {
    const page: { items: JobDoc[]; nextCursor: string | null } = await deps.views.find<JobDoc>(JOBS, { where: { status: 'running' }, limit: 100, cursor });
    for (const job of page.items) {
      jobWorker(deps).enqueue(job.id);
      resumed += 1;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return resumed;
}
