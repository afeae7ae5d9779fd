/**
 * Child process for bench/http.ts: serves one target on 127.0.0.1 on a free port, tells the parent the
 * port over IPC, and stops on the message 'stop'. Started with stdout attached to /dev/null, so the
 * app's pino logger (createLogger, writing to fd 1) serializes every access-log line into /dev/null.
 *
 *   bare        a bare Hono app answering {"status":"ok"} on /healthz
 *   app         createApp() over a full runtime (buildRuntime, embedded default, projections running), LOG_LEVEL=info
 *   app-silent  the same with LOG_LEVEL=silent (to show what logging costs)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { buildRuntime } from '../../src/main.js';

export type HttpTarget = 'bare' | 'app' | 'app-silent';

async function target(mode: HttpTarget): Promise<{ fetch: (request: Request) => Response | Promise<Response>; close: () => Promise<void> }> {
  if (mode === 'bare') {
    const app = new Hono();
    app.get('/healthz', (c) => c.json({ status: 'ok' }));
    return { fetch: app.fetch, close: async () => {} };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-bench-http-'));
  const config = loadConfig(
    { BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: mode === 'app' ? 'info' : 'silent', NODE_ENV: 'production' },
    { readDotEnv: false },
  );
  const runtime = await buildRuntime(config, createLogger(config.LOG_LEVEL));
  await runtime.deps.projections.start();
  const app = createApp(runtime.deps);
  return {
    fetch: app.fetch,
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const mode = process.argv[2] as HttpTarget;
if (!['bare', 'app', 'app-silent'].includes(mode)) throw new Error(`unknown target ${String(mode)}`);
if (!process.send) throw new Error('http-server.ts must be started with an IPC channel (child_process.fork)');

const { fetch, close } = await target(mode);
const server = serve({ fetch, port: 0, hostname: '127.0.0.1' });
server.once('listening', () => process.send!({ port: (server.address() as AddressInfo).port }));

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await close();
  process.exit(0);
};
process.on('message', (message) => {
  if (message === 'stop') void stop();
});
process.on('disconnect', () => void stop());
