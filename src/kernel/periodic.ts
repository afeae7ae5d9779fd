import type { Logger } from 'pino';

export interface Periodic {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs`, never two at once, on an unref'd timer (it never keeps the process
 * alive). A failed run is logged and the next one comes on time. Sweepers and pollers use it.
 */
export function every<T>(intervalMs: number, work: () => Promise<T>, report: { logger: Logger; failure: string; done?: (result: T) => void }): Periodic {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = work()
      .then((result) => report.done?.(result))
      .catch((error: unknown) => report.logger.error({ err: error }, report.failure))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
