import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';

/** The real server process: the start-up warning while dev routes are on, and who may call them over real HTTP. */

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const OUTBOX = '/api/v1/dev/outbox?to=%2B8613800138000';
const external = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;

interface Server {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

const children: Server[] = [];
const dataDirs: string[] = [];

function run(extra: Record<string, string>, port: number): Server {
  const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-e2e-dev-'));
  dataDirs.push(dataDir);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['NODE_ENV', 'PORT', 'HOST', 'JWT_SECRET', 'BAZAAR_BOOTSTRAP_ADMIN', 'BAZAAR_DEV_ROUTES', 'EVENTSTORE_URL', 'MONGODB_URL', 'REDIS_URL', 'ELASTICSEARCH_URL']) delete env[name];
  const child = spawn(TSX, ['src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: 'warn', BAZAAR_DATA_DIR: dataDir, PORT: String(port), JWT_SECRET: 'x'.repeat(40), ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const server: Server = { child, port, output: () => output, exited: new Promise((done) => child.once('exit', (code) => done(code))) };
  children.push(server);
  return server;
}

async function healthy(server: Server): Promise<void> {
  let exitCode: number | null | undefined;
  void server.exited.then((code) => (exitCode = code));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the server exited with ${exitCode}:\n${server.output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${server.port}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`not healthy within 60 s:\n${server.output()}`);
}

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const code = await Promise.race([server.exited, sleep(5000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    try {
      process.kill(-server.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await server.exited;
  }
}

afterAll(async () => {
  for (const server of children) await stop(server);
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe('dev routes of the real server', () => {
  it('default: a warning at start, loopback clients only', async () => {
    const server = run({}, await freePort());
    await healthy(server);
    const until = Date.now() + 5000;
    while (!server.output().includes('dev routes') && Date.now() < until) await sleep(50);
    expect(server.output()).toMatch(/"level":40.*dev routes \(\/api\/v1\/dev\/\*: SMS codes, sandbox triggers\) are on for loopback clients/);
    expect((await fetch(`http://127.0.0.1:${server.port}${OUTBOX}`)).status).toBe(200);
    if (external) expect((await fetch(`http://${external}:${server.port}${OUTBOX}`)).status).toBe(403);
    await stop(server);
  }, 150_000);

  it('NODE_ENV=production: no dev routes and no warning; BAZAAR_DEV_ROUTES=on is refused at start', async () => {
    const production = run({ NODE_ENV: 'production' }, await freePort());
    await healthy(production);
    expect((await fetch(`http://127.0.0.1:${production.port}${OUTBOX}`)).status).toBe(404);
    await stop(production);
    expect(production.output()).not.toContain('dev routes');

    const refused = run({ NODE_ENV: 'production', BAZAAR_DEV_ROUTES: 'on' }, await freePort());
    expect(await refused.exited).not.toBe(0);
    expect(refused.output()).toMatch(/BAZAAR_DEV_ROUTES/);
  }, 150_000);
});
