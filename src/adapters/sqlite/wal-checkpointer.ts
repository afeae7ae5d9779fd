import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the WAL of the embedded SQLite files back into their databases from a worker thread, so the
 * process that writes never pays for it: with SQLite's automatic checkpoint, the commit that crosses the
 * threshold copies the pages itself, on the event loop. The checkpoints are PASSIVE (they never block a
 * reader or a writer), every `intervalMs`. The writers keep a high automatic threshold as a safety net
 * should this thread stop.
 */
export interface WalCheckpointer {
  stop(): Promise<void>;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
try {
  // a background thread: it yields its core to the API's event loop (see src/runtime/thread-priority.ts)
  require('node:os').setPriority(Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()), 10);
} catch { /* not Linux: no per-thread priority */ }
const Database = require(workerData.driver);
const databases = workerData.files.map((file) => {
  const db = new Database(file);
  db.pragma('busy_timeout = 50');
  return db;
});
const checkpoint = () => {
  for (const db of databases) {
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next round catches up */ }
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  for (const db of databases) db.close();
  parentPort.close();
});
`;

export function startWalCheckpointer(files: string[], intervalMs = 100): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { files, intervalMs, driver } });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', () => undefined); // the writers' automatic checkpoint takes over
  return {
    async stop() {
      worker.ref(); // keeps the process alive until the last checkpoint is done
      worker.postMessage('stop');
      await exited;
    },
  };
}
