import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { isLoopbackAddress } from '../../src/http/routes/dev.js';
import { startTestRuntime, type TestRuntime } from '../support/runtime.js';

/** Dev routes (SMS outbox, sandbox triggers) answer loopback clients only, unless BAZAAR_DEV_ROUTES=on; never in production. */

const OUTBOX = '/api/v1/dev/outbox?to=%2B8613800138000';
const SANDBOX = '/api/v1/dev/sandbox/payments/nope/redeliver';

/** This machine's first non-loopback IPv4 address: connecting to it makes the server see a remote peer. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;

interface Served {
  runtime: TestRuntime;
  server: ServerType;
  port: number;
}

async function served(env: Record<string, string> = {}): Promise<Served> {
  const runtime = await startTestRuntime(env);
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: runtime.app.fetch, port: 0, hostname: '0.0.0.0' }, () => resolve(started));
  });
  return { runtime, server, port: (server.address() as AddressInfo).port };
}

async function stop(s: Served | undefined) {
  if (!s) return;
  await new Promise<void>((resolve) => s.server.close(() => resolve()));
  await s.runtime.close();
}

/** A request to the running server through a real socket from `host`. */
async function request(s: Served, host: string, path: string, init: RequestInit = {}) {
  const response = await fetch(`http://${host}:${s.port}${path}`, init);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

/** The same app called as @hono/node-server calls it, with a socket whose peer is `address`. */
const asPeer = (s: Served, path: string, address: string, init: RequestInit = {}) =>
  s.runtime.app.fetch(new Request(`http://bazaar.test${path}`, init), { incoming: { socket: { remoteAddress: address } } });

describe('dev routes outside production, default (loopback only)', () => {
  let s: Served;
  beforeAll(async () => {
    s = await served();
  });
  afterAll(() => stop(s));

  it('answer a loopback client over a real socket', async () => {
    expect((await request(s, '127.0.0.1', OUTBOX)).status).toBe(200);
  });

  it.runIf(external)('refuse a client from another address over a real socket with 403 problem+json', async () => {
    const refused = await request(s, external!, OUTBOX);
    expect(refused.status).toBe(403);
    expect(refused.type).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringMatching(/BAZAAR_DEV_ROUTES=on/) });
    expect((await request(s, external!, SANDBOX, { method: 'POST' })).status).toBe(403);
  });

  it('refuse a remote peer on every dev route, and a loopback peer whose request a proxy forwarded', async () => {
    for (const [path, init] of [[OUTBOX, {}], [SANDBOX, { method: 'POST' }], ['/api/v1/dev/sandbox/shipments/nope/delivered', { method: 'POST' }]] as const) {
      const response = await asPeer(s, path, '203.0.113.7', init);
      expect(response.status, path).toBe(403);
    }
    expect((await asPeer(s, OUTBOX, '::ffff:198.51.100.1')).status).toBe(403);
    expect((await asPeer(s, OUTBOX, '127.0.0.1', { headers: { 'X-Forwarded-For': '203.0.113.7' } })).status).toBe(403);
    expect((await request(s, '127.0.0.1', OUTBOX, { headers: { Forwarded: 'for=203.0.113.7' } })).status).toBe(403);
    for (const local of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.8.9.10']) expect((await asPeer(s, OUTBOX, local)).status, local).toBe(200);
  });

  it('are documented in /openapi.json with their 403 for other clients', async () => {
    const document = (await request(s, '127.0.0.1', '/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const devOperations = Object.entries(document.paths).filter(([path]) => path.startsWith('/api/v1/dev/')).flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => [`${method} ${path}`, operation] as const));
    expect(devOperations.length).toBeGreaterThanOrEqual(5);
    for (const [name, operation] of devOperations) expect(Object.keys(operation.responses), name).toContain('403');
  });

  it('recognizes loopback addresses only', () => {
    for (const address of ['127.0.0.1', '127.255.0.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of ['192.0.2.2', '10.0.0.1', '::', '::2', 'fd00::1', '::ffff:10.0.0.1', '128.0.0.1', 'localhost', '']) expect(isLoopbackAddress(address), address).toBe(false);
  });
});

describe('BAZAAR_DEV_ROUTES', () => {
  let s: Served | undefined;
  afterAll(() => stop(s));

  it('on: answers every client', async () => {
    s = await served({ BAZAAR_DEV_ROUTES: 'on' });
    expect((await asPeer(s, OUTBOX, '203.0.113.7')).status).toBe(200);
    expect((await asPeer(s, OUTBOX, '127.0.0.1', { headers: { 'X-Forwarded-For': '203.0.113.7' } })).status).toBe(200);
    if (external) expect((await request(s, external, OUTBOX)).status).toBe(200);
  });

  it('off: no dev routes at all (404), as in production', async () => {
    await stop(s);
    s = await served({ BAZAAR_DEV_ROUTES: 'off' });
    expect((await request(s, '127.0.0.1', OUTBOX)).status).toBe(404);
  });

  it('is never on in production, and refuses unknown values', () => {
    const load = (env: Record<string, string>) => loadConfig({ BAZAAR_DATA_DIR: '/tmp/x', ...env }, { readDotEnv: false });
    expect(() => load({ NODE_ENV: 'production', BAZAAR_DEV_ROUTES: 'on' })).toThrow(ConfigError);
    expect(() => load({ NODE_ENV: 'production', BAZAAR_DEV_ROUTES: 'on' })).toThrow(/BAZAAR_DEV_ROUTES/);
    expect(() => load({ BAZAAR_DEV_ROUTES: 'yes' })).toThrow(/BAZAAR_DEV_ROUTES/);
    expect(load({ NODE_ENV: 'production' }).devOutbox).toBe(false);
    expect(load({}).BAZAAR_DEV_ROUTES).toBe('loopback');
    expect(load({}).devOutbox).toBe(true);
  });
});
