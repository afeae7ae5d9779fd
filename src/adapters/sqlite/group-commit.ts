/** What one queued request of a group commit came to. */
export type Outcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

export interface GroupCommit<Request, Result> {
  /** Queues a request for the next commit; settles with its own outcome. */
  submit(request: Request): Promise<Result>;
  /** Commits what is queued now (the stores' close). */
  flush(): void;
}

/**
 * Group commit for the embedded SQLite stores: the requests queued until the scheduled flush are written by
 * one `write` call (one transaction), which gives each its own outcome, so one refused request fails only its
 * caller. A `write` that throws (the transaction failed) fails every request of the batch.
 *
 * `schedule` decides when the flush runs after the first request of a batch (setImmediate by default); it
 * may schedule it more than once, and the first call commits. `committed` runs after each batch's requests
 * are settled.
 */
export function groupCommit<Request, Result>(
  write: (batch: Request[]) => Array<Outcome<Result>>,
  options: { schedule?: (flush: () => void) => () => void; committed?: () => void } = {},
): GroupCommit<Request, Result> {
  const schedule = options.schedule ?? ((run: () => void) => {
    const immediate = setImmediate(run);
    return () => clearImmediate(immediate);
  });
  let pending: Array<{ request: Request; resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  let cancelScheduled: (() => void) | null = null;

  function flush(): void {
    cancelScheduled?.();
    cancelScheduled = null;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let outcomes: Array<Outcome<Result>>;
    try {
      outcomes = write(batch.map((queued) => queued.request));
    } catch (error) {
      for (const queued of batch) queued.reject(error);
      return;
    }
    outcomes.forEach((outcome, index) => {
      const queued = batch[index]!;
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
    options.committed?.();
  }

  return {
    submit(request) {
      return new Promise<Result>((resolve, reject) => {
        if (pending.length === 0) cancelScheduled = schedule(flush);
        pending.push({ request, resolve, reject });
      });
    },
    flush,
  };
}
