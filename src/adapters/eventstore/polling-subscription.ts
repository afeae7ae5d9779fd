import type { RecordedEvent, Subscription, SubscriptionHandler } from '../../ports/event-store.js';

export interface PollingSource {
  readAll(options: { after: number; maxCount: number }): Promise<RecordedEvent[]>;
  /** Resolves when new events may exist (an append here, or a timer for other writers). */
  waitForChange(signal: AbortSignal): Promise<void>;
}

/** Catch-up then live delivery over a store that can only be read: reads, hands over, waits, repeats. */
export function pollingSubscription(
  source: PollingSource,
  handler: SubscriptionHandler,
  options: { after?: number; batchSize?: number } = {},
): Subscription {
  const abort = new AbortController();
  const batchSize = options.batchSize ?? 500;
  let after = options.after ?? 0;

  const done = (async () => {
    while (!abort.signal.aborted) {
      const events = await source.readAll({ after, maxCount: batchSize });
      if (abort.signal.aborted) break;
      if (events.length === 0) {
        await source.waitForChange(abort.signal);
        continue;
      }
      await handler(events);
      after = events[events.length - 1]!.position;
    }
  })();
  done.catch(() => undefined); // observed through `done` by the owner

  return {
    done,
    async close() {
      abort.abort();
      await done.catch(() => undefined);
    },
  };
}
