import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { buildRuntime } from '../main.js';
import { startRole } from './roles.js';
import { deprioritizeThisThread } from './thread-priority.js';

/**
 * The projector thread (src/runtime/projector-thread.ts): the `projector` role of this process, on its own
 * connections to the embedded files (the KeyValue file kv.db included: the product-cache markers it
 * writes go straight to the store the API thread reads, not through the API thread). It reports every checkpoint it moves
 * (once per tick) so the API thread's read-your-writes waits end at once.
 */
const port = parentPort!;
const { env } = workerData as { env: Record<string, string> };

try {
  // Under full load the API's event loop keeps its core; the projections catch up in the gaps.
  deprioritizeThisThread();
  const config = loadConfig({ ...env, BAZAAR_ROLE: 'projector' }, { readDotEnv: false });
  const logger = createLogger(config.LOG_LEVEL).child({ thread: 'projector' });
  const runtime = await buildRuntime(config, logger, { walCheckpointer: false });
  const moved = new Map<string, number>();
  runtime.deps.projections.onApplied((name, checkpoint) => {
    if (moved.size === 0) {
      setImmediate(() => {
        port.postMessage({ type: 'applied', checkpoints: Object.fromEntries(moved) });
        moved.clear();
      });
    }
    moved.set(name, checkpoint);
  });
  const role = await startRole(runtime.deps, 'projector');
  port.on('message', (message: { type?: string }) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await role.stop();
      await runtime.close();
      port.postMessage({ type: 'stopped' });
      port.close();
    })();
  });
  port.postMessage({ type: 'started' });
} catch (error) {
  port.postMessage({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  port.close();
}
