import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';

/**
 * The README's "Try it" block, pasted into bash as it is against a real server: only the port is another
 * (localhost:3000 → the test's port) and the data directory a fresh one.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

function tryItBlock(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('Try it');
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(start));
  if (start < 0 || !block) throw new Error('README.md has no "Try it" sh block');
  return block[1]!;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['NODE_ENV', 'PORT', 'HOST', 'JWT_SECRET', 'BAZAAR_BOOTSTRAP_ADMIN', 'BAZAAR_LIMITS', 'EVENTSTORE_URL', 'MONGODB_URL', 'REDIS_URL', 'ELASTICSEARCH_URL']) delete env[name];
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

describe("the README's example commands", () => {
  let server: ChildProcess;
  let dataDir: string;
  let port: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'bazaar-readme-'));
    port = await freePort();
    server = spawn(TSX, ['src/cli.ts', 'serve'], { cwd: ROOT, env: cleanEnv({ BAZAAR_DATA_DIR: dataDir, PORT: String(port) }), stdio: 'ignore', detached: true });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false);
      if (healthy) return;
      await sleep(100);
    }
    throw new Error('the server did not become healthy within 30 s');
  });

  afterAll(async () => {
    if (server?.pid) {
      const exited = new Promise((done) => server.once('exit', done));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('work when pasted: register with the outbox code, seed, search in Chinese and English', async () => {
    const script = `set -euo pipefail\n${tryItBlock().replaceAll('localhost:3000', `127.0.0.1:${port}`)}`;
    const shell = spawn('bash', ['-c', script], { cwd: ROOT, env: cleanEnv({ BAZAAR_DATA_DIR: dataDir }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    shell.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    shell.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => shell.once('exit', done));
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('"accessToken"');
    const searches = [...stdout.matchAll(/\{"total":(\d+)/g)].map((match) => Number(match[1]));
    expect(searches).toHaveLength(2);
    for (const total of searches) expect(total).toBeGreaterThan(0);
  }, 180_000);
});
