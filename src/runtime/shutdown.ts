import type { ServerType } from '@hono/node-server';
import type { Server } from 'node:http';

/** How long a stopping server waits for the requests in flight (the orchestrator's kill timeout is longer: 30 s in Kubernetes). */
export const DRAIN_GRACE_MS = 10_000;

/** How often a draining server closes the keep-alive connections that went idle (their requests done). */
const IDLE_SWEEP_MS = 50;

/**
 * Stops accepting connections and waits for the requests in flight to be answered. Keep-alive connections
 * are closed as soon as they are idle (Node closes only those idle at the moment of `close()`; a client
 * pool's connection would otherwise hold the server open for the whole keep-alive timeout). After `graceMs`
 * the connections still open are cut.
 */
export function drainHttp(server: ServerType, graceMs: number): Promise<void> {
  const http = server as Server;
  return new Promise<void>((resolve) => {
    if (!http.listening) return resolve();
    const idle = setInterval(() => http.closeIdleConnections?.(), IDLE_SWEEP_MS);
    const cut = setTimeout(() => http.closeAllConnections?.(), graceMs);
    http.close(() => {
      clearInterval(idle);
      clearTimeout(cut);
      resolve();
    });
    http.closeIdleConnections?.();
  });
}

/**
 * When `bazaar serve` runs as an npm script (`npm start`), npm forwards SIGINT/SIGTERM to the script's
 * shell, and a POSIX shell (dash) dies of it without passing it on: the server would be left running as an
 * orphan. Under npm the server therefore also stops when its parent (that shell) goes away. Outside npm a
 * server whose parent exits keeps running (`nohup bazaar serve &`).
 */
export function stopWithNpmScript(stop: () => void, options: { env?: NodeJS.ProcessEnv; intervalMs?: number } = {}): () => void {
  const env = options.env ?? process.env;
  if (!env.npm_lifecycle_event) return () => {};
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, options.intervalMs ?? 250);
  timer.unref();
  return () => clearInterval(timer);
}
