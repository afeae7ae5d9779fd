import { DomainError, InvalidStateTransition, NotFoundError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/**
 * A bulk upload or bulk edit of products (`job-<id>`). The file is spooled to disk, then processed
 * row by row in the background; every chunk of rows is recorded with its counts and failed rows, so
 * the job can be followed while it runs and resumed after the last recorded row if the process stops.
 * When the client sent an Idempotency-Key the job id is derived from it and `fingerprint` (sha256 of
 * the body) tells a resend from a different request.
 */
export const JOB_MODES = ['create', 'update'] as const;
export type JobMode = (typeof JOB_MODES)[number];
export const JOB_FORMATS = ['csv', 'ndjson'] as const;
export type JobFormat = (typeof JOB_FORMATS)[number];

export interface RowFailure {
  row: number;
  error: string;
}

export interface JobDefinition {
  jobId: string;
  /** Whose products the rows create or change. */
  merchantId: string;
  mode: JobMode;
  format: JobFormat;
  /** The spooled (or, from the CLI, the original) file. */
  file: string;
  fingerprint: string;
  startedBy: { id: string; role: string };
}

export type JobEvent =
  | { type: 'JobStarted'; data: JobDefinition & { at: string } }
  | {
      type: 'JobProgressed';
      /** Counts are for this chunk; `throughRow` is the last row (line) it covered. */
      data: { jobId: string; throughRow: number; processed: number; succeeded: number; failed: number; failures: RowFailure[]; at: string };
    }
  | { type: 'JobCompleted'; data: { jobId: string; total: number; succeeded: number; failed: number; at: string } }
  | { type: 'JobFailed'; data: { jobId: string; reason: string; at: string } };

export type JobCommand =
  | ({ type: 'StartJob'; at: string } & JobDefinition)
  | { type: 'RecordProgress'; throughRow: number; succeeded: number; failed: number; failures: RowFailure[]; at: string }
  | { type: 'CompleteJob'; at: string }
  | { type: 'FailJob'; reason: string; at: string };

export type JobState = JobDefinition & {
  status: 'running' | 'completed' | 'failed';
  throughRow: number;
  total: number;
  succeeded: number;
  failed: number;
  startedAt: string;
};

export type Job = { status: 'none' } | JobState;

export class IdempotencyKeyReusedForJob extends DomainError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different file or mode; use a new key for a new upload');
  }
}

export const jobDecider: Decider<JobCommand, JobEvent, Job> = {
  initialState: () => ({ status: 'none' }),
  evolve(state, event) {
    switch (event.type) {
      case 'JobStarted': {
        const { at, ...definition } = event.data;
        return { ...definition, status: 'running', throughRow: 0, total: 0, succeeded: 0, failed: 0, startedAt: at };
      }
      case 'JobProgressed':
        if (state.status === 'none') return state;
        return {
          ...state,
          throughRow: event.data.throughRow,
          total: state.total + event.data.processed,
          succeeded: state.succeeded + event.data.succeeded,
          failed: state.failed + event.data.failed,
        };
      case 'JobCompleted':
        return state.status === 'none' ? state : { ...state, status: 'completed' };
      case 'JobFailed':
        return state.status === 'none' ? state : { ...state, status: 'failed' };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'StartJob': {
        const { type: _type, ...data } = command;
        if (state.status !== 'none') {
          if (state.fingerprint === command.fingerprint) return []; // the same upload, resent
          throw new IdempotencyKeyReusedForJob();
        }
        return [{ type: 'JobStarted', data }];
      }
      case 'RecordProgress': {
        const job = requireRunning(state, 'record progress');
        if (command.throughRow <= job.throughRow) return []; // already recorded (resumed job)
        const { succeeded, failed, failures, throughRow, at } = command;
        return [{ type: 'JobProgressed', data: { jobId: job.jobId, throughRow, processed: succeeded + failed, succeeded, failed, failures, at } }];
      }
      case 'CompleteJob': {
        if (state.status === 'completed') return [];
        const job = requireRunning(state, 'complete');
        return [{ type: 'JobCompleted', data: { jobId: job.jobId, total: job.total, succeeded: job.succeeded, failed: job.failed, at: command.at } }];
      }
      case 'FailJob': {
        if (state.status === 'failed') return [];
        const job = requireRunning(state, 'fail');
        return [{ type: 'JobFailed', data: { jobId: job.jobId, reason: command.reason, at: command.at } }];
      }
    }
  },
};

function requireRunning(state: Job, action: string): JobState {
  if (state.status === 'none') throw new NotFoundError('job');
  if (state.status !== 'running') throw new InvalidStateTransition(state.status, `${action} a job`);
  return state;
}

export const jobStream = (jobId: string) => `job-${jobId}`;
