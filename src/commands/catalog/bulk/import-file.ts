import cliProgress from 'cli-progress';
import type { Deps } from '../../../deps.js';
import type { JobMode, JobState } from '../../../domain/catalog/bulk-job.js';
import { startFileJob } from './start.js';
import { runJob } from './worker.js';

/**
 * `bazaar catalog import FILE`: runs a bulk job in this process over a local file (no upload, no
 * spool copy), with a progress bar over the bytes read. The job is recorded like an uploaded one, so
 * GET /admin/jobs/:id shows it, and a server started later resumes it if the import was interrupted.
 */
export async function importCatalogFile(
  deps: Deps,
  input: { file: string; mode: JobMode; merchantId?: string },
  output: NodeJS.WriteStream = process.stderr,
): Promise<JobState | null> {
  const metadata = { actor: { id: 'cli', role: 'system' }, correlationId: 'cli-catalog-import' };
  const job = await startFileJob(deps, input, metadata);
  const bar = new cliProgress.SingleBar(
    { stream: output, format: ' {bar} {percentage}% | {rows} rows | {succeeded} ok | {failed} failed | {eta_formatted}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(job.bytes, 1), 0, { rows: 0, succeeded: 0, failed: 0 });
  try {
    return await runJob(deps, job.jobId, {
      onProgress: (progress) => bar.update(Math.min(progress.bytesRead, job.bytes), { rows: progress.rows, succeeded: progress.succeeded, failed: progress.failed }),
    });
  } finally {
    bar.update(Math.max(job.bytes, 1));
    bar.stop();
  }
}
