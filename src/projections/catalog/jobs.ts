import type { ViewProjection } from '../../kernel/view-projection.js';
import type { JobEvent } from '../../domain/catalog/bulk-job.js';
import { JOBS, type JobDoc } from './documents.js';

/** At most this many failed rows are kept on a job's view (the counts cover all of them). */
export const JOB_ROWS_CAP = 1000;

/** Bulk jobs as GET /admin/jobs/:id shows them. */
export const jobsProjection: ViewProjection = {
  name: 'jobs',
  collections: [JOBS],
  indexes: { [JOBS]: [['merchantId'], ['status']] },
  route(event) {
    if (!event.streamId.startsWith('job-') || !event.type.startsWith('Job')) return [];
    return [{ collection: JOBS, id: (event.data as { jobId: string }).jobId }];
  },
  evolve(doc, recorded) {
    const job = doc as JobDoc | null;
    const event = recorded as unknown as JobEvent;
    switch (event.type) {
      case 'JobStarted': {
        const { jobId, mode, format, merchantId, startedBy, at } = event.data;
        const view: JobDoc = {
          id: jobId,
          status: 'running',
          mode,
          format,
          merchantId,
          startedBy,
          total: 0,
          succeeded: 0,
          failed: 0,
          rows: [],
          rowsTruncated: false,
          throughRow: 0,
          error: null,
          startedAt: at,
          finishedAt: null,
        };
        return view;
      }
      case 'JobProgressed': {
        if (!job) return job;
        const room = Math.max(0, JOB_ROWS_CAP - job.rows.length);
        const failures = event.data.failures.map((failure) => ({ ...failure, ok: false as const }));
        return {
          ...job,
          total: job.total + event.data.processed,
          succeeded: job.succeeded + event.data.succeeded,
          failed: job.failed + event.data.failed,
          rows: [...job.rows, ...failures.slice(0, room)],
          rowsTruncated: job.rowsTruncated || failures.length > room,
          throughRow: event.data.throughRow,
        };
      }
      case 'JobCompleted':
        return job ? { ...job, status: 'completed', finishedAt: event.data.at } : job;
      case 'JobFailed':
        return job ? { ...job, status: 'failed', error: event.data.reason, finishedAt: event.data.at } : job;
    }
  },
};
