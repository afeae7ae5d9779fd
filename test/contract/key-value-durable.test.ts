import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteKeyValue } from '../../src/adapters/keyvalue/sqlite.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { buildRuntime } from '../../src/main.js';

/** The SQLite KeyValue file keeps values and their expiry across a close and a reopen, as the embedded default relies on. */

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-kv-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SQLite KeyValue file across a reopen', () => {
  it('keeps values, counters and token buckets; a TTL keeps running while the file is closed', async () => {
    const file = join(tempDir(), 'kv.db');
    let now = 1_000_000;
    const first = sqliteKeyValue(new Database(file), { now: () => now });
    await first.set('code', '123456', { ttlMs: 60_000 });
    await first.incr('tries', 2, { ttlMs: 60_000 });
    await first.set('gate', '5');
    expect(await first.takeTokens('gate', 2)).toBe('taken');
    await first.set('forever', 'yes');
    await first.close();

    now += 45_000; // the process is down for 45 s
    const second = sqliteKeyValue(new Database(file), { now: () => now });
    expect(await second.get('code')).toBe('123456');
    expect(await second.ttl('code')).toBe(15_000);
    expect(await second.incr('tries', 1)).toBe(3);
    expect(await second.ttl('tries')).toBe(15_000);
    expect(await second.get('gate')).toBe('3');
    expect(await second.ttl('forever')).toBeNull();
    await second.close();

    now += 15_000; // past the expiry, though no process ran to see it
    const third = sqliteKeyValue(new Database(file), { now: () => now });
    expect(await third.get('code')).toBeNull();
    expect(await third.set('code', 'new', { ifAbsent: true })).toBe(true);
    expect(await third.get('tries')).toBeNull();
    expect(await third.get('forever')).toBe('yes');
    await third.close();
  });

  it('commits the writes still queued when it is closed', async () => {
    const file = join(tempDir(), 'kv.db');
    const kv = sqliteKeyValue(new Database(file));
    const writes = [kv.set('a', '1'), kv.incr('n', 5), kv.set('b', '2', { ttlMs: 60_000 })];
    await kv.close();
    await expect(Promise.all(writes)).resolves.toEqual([true, 5, true]);
    const reopened = sqliteKeyValue(new Database(file));
    expect([await reopened.get('a'), await reopened.get('n'), await reopened.get('b')]).toEqual(['1', '5', '2']);
    await reopened.close();
  });

  it('sweeps expired rows from the file, a slice at a time', async () => {
    const file = join(tempDir(), 'kv.db');
    let now = 1_000_000;
    const kv = sqliteKeyValue(new Database(file), { now: () => now, sweepIntervalMs: 20 });
    await Promise.all(Array.from({ length: 5_000 }, (_, n) => kv.set(`idem-${n}`, 'x', { ttlMs: 1_000 })));
    await kv.set('kept', 'y', { ttlMs: 60_000 });
    const rows = new Database(file, { readonly: true });
    const count = () => (rows.prepare('SELECT count(*) AS n FROM kv').get() as { n: number }).n;
    expect(count()).toBe(5_001);
    now += 2_000;
    const deadline = Date.now() + 5_000;
    while (count() > 1 && Date.now() < deadline) await sleep(20);
    expect(count()).toBe(1);
    expect(await kv.get('kept')).toBe('y');
    rows.close();
    await kv.close();
  });
});

describe('the embedded default runtime', () => {
  it('keeps its KeyValue in the data dir: a value and its TTL are there after a new runtime starts on it', async () => {
    const dataDir = tempDir();
    const config = loadConfig({ BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' }, { readDotEnv: false });
    const first = await buildRuntime(config, createLogger('silent'));
    await first.deps.kv.set('cart:guest:t1', '{"lines":[]}', { ttlMs: 600_000 });
    await first.close();

    const second = await buildRuntime(config, createLogger('silent'));
    try {
      expect(await second.deps.kv.get('cart:guest:t1')).toBe('{"lines":[]}');
      const ttl = await second.deps.kv.ttl('cart:guest:t1');
      expect(ttl).toBeGreaterThan(500_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
    } finally {
      await second.close();
    }
  });
});
