import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { buildRuntime, type Runtime } from '../../src/main.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { engineDeployment } from './engines.js';

export interface TestRuntime extends Runtime {
  app: ReturnType<typeof createApp>;
  config: Config;
  dataDir: string;
}

/**
 * A full runtime in a temporary data directory, projections running, on the engines of the test matrix
 * (test/support/engines.ts: the embedded default, or PostgreSQL + Redis in a schema and key prefix of its own).
 */
export async function startTestRuntime(env: Record<string, string> = {}): Promise<TestRuntime> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-test-'));
  const engines = await engineDeployment();
  const config = loadConfig({ BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test', ...engines.env, ...env }, { readDotEnv: false });
  const runtime = await buildRuntime(config, createLogger(config.LOG_LEVEL));
  await runtime.deps.projections.start();
  const app = createApp(runtime.deps);
  return {
    ...runtime,
    app,
    config,
    dataDir,
    async close() {
      await runtime.close();
      await engines.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** JSON request helper over app.request(). */
export function client(app: TestRuntime['app']) {
  return async (method: string, path: string, options: { body?: unknown; token?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.body !== undefined) headers['Content-Type'] ??= 'application/json';
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const response = await app.request(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    });
    const text = await response.text();
    let body: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    return { status: response.status, headers: response.headers, body };
  };
}
