import { Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';

/**
 * The projections of an `all` process on a second core: a worker thread runs the `projector` role
 * (src/runtime/projector-worker.ts) on its own SQLite connections, so projection batches never hold up
 * requests on the API thread's event loop. The API thread keeps the reactors and sweepers and follows the
 * checkpoints the worker reports (`waitFor` and X-Min-Position end as soon as a projection commits). Both
 * threads use the KeyValue file kv.db directly. A thread that dies is started again.
 */
export interface ProjectorThread {
  stop(): Promise<void>;
}

const RESTART_DELAY_MS = 1000;

/** The configuration as environment variables (what the thread's loadConfig reads). */
export function configEnv(config: Config): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([name, value]) => name !== 'devOutbox' && value !== undefined)
      .map(([name, value]) => [name, String(value)]),
  );
}

export async function startProjectorThread(deps: Pick<Deps, 'config' | 'projections' | 'logger'>): Promise<ProjectorThread> {
  const env = configEnv(deps.config);
  let stopping = false;
  let current: Worker | null = null;

  const launch = () =>
    new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(new URL('./projector-worker.mjs', import.meta.url), { workerData: { env }, execArgv: [] });
      let started = false;
      worker.on('message', (message: { type?: string; checkpoints?: Record<string, number>; error?: string }) => {
        if (message.type === 'applied') {
          for (const [name, checkpoint] of Object.entries(message.checkpoints ?? {})) deps.projections.follow(name, checkpoint);
        } else if (message.type === 'started') {
          started = true;
          resolve(worker);
        } else if (message.type === 'failed') {
          reject(new Error(`the projector thread could not start: ${message.error}`));
        }
      });
      worker.on('error', (error) => {
        deps.logger.error({ err: error }, 'projector thread failed');
        if (!started) reject(error);
      });
      worker.on('exit', (code) => {
        if (!started) return reject(new Error(`the projector thread exited with code ${code} before it started`));
        if (stopping || current !== worker) return;
        deps.logger.error({ code }, 'projector thread exited; starting it again');
        current = null;
        setTimeout(() => {
          if (stopping) return;
          launch().then(
            (next) => (current = next),
            (error: unknown) => deps.logger.error({ err: error }, 'projector thread did not start again'),
          );
        }, RESTART_DELAY_MS).unref();
      });
    });

  current = await launch();
  return {
    async stop() {
      stopping = true;
      const worker = current;
      current = null;
      if (!worker) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'stop' });
      const timer = setTimeout(() => void worker.terminate(), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
