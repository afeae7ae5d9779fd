import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteEventStore } from '../../../src/adapters/eventstore/sqlite.js';
import { sqliteViewStore } from '../../../src/adapters/viewstore/sqlite.js';
import { groupCommit } from '../../../src/adapters/sqlite/group-commit.js';
import { sqliteKeyValue } from '../../../src/adapters/keyvalue/sqlite.js';

/**
 * Another connection (the projector thread, another process) holding the write lock must not put the event
 * loop to sleep in SQLite's busy handler: the commit waits on a timer and the loop keeps serving.
 */
describe('SQLite writes while another connection holds the write lock', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempFile = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'bazaar-busy-'));
    dirs.push(dir);
    return join(dir, name);
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Holds the write lock from a second connection for `ms`, counting the timer ticks the loop ran meanwhile. */
  async function whileLocked<T>(file: string, ms: number, write: () => Promise<T>): Promise<{ result: T; ticks: number; settledWhileLocked: boolean }> {
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    let settled = false;
    const pending = write().finally(() => (settled = true));
    await sleep(ms);
    const settledWhileLocked = settled;
    other.exec('COMMIT');
    other.close();
    const result = await pending;
    clearInterval(ticker);
    return { result, ticks, settledWhileLocked };
  }

  it('an append waits for the lock on a timer, without blocking the loop, then commits', async () => {
    const file = tempFile('events.db');
    const store = sqliteEventStore(new Database(file));
    await store.append('warm-up', [{ type: 'Warmed', data: {} }], 'no_stream');

    const { result, ticks, settledWhileLocked } = await whileLocked(file, 150, () => store.append('order-1', [{ type: 'OrderPlaced', data: { n: 1 } }], 'no_stream'));

    expect(settledWhileLocked).toBe(false);
    expect(ticks).toBeGreaterThanOrEqual(10); // a blocked loop would not have ticked at all
    expect(result.nextRevision).toBe(0);
    expect((await store.readStream('order-1')).map((event) => event.data)).toEqual([{ n: 1 }]);
    await store.close();
  });

  it('a projection commit waits for the lock the same way', async () => {
    const file = tempFile('views.db');
    const views = sqliteViewStore(new Database(file));
    await views.commit('p', [{ collection: 'c', id: 'a', doc: { id: 'a', v: 1 } }], 0, 1);

    const { ticks, settledWhileLocked } = await whileLocked(file, 150, () => views.commit('p', [{ collection: 'c', id: 'a', doc: { id: 'a', v: 2 } }], 1, 2));

    expect(settledWhileLocked).toBe(false);
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(await views.get('c', 'a')).toEqual({ id: 'a', v: 2 });
    expect(await views.checkpoint('p')).toBe(2);
    await views.close();
  });

  it('a key-value write (a lease renewal) waits the same way', async () => {
    const file = tempFile('kv.db');
    const kv = sqliteKeyValue(new Database(file));
    await kv.set('lease:orders', 'owner-a', { ttlMs: 5000 });

    const { result, ticks, settledWhileLocked } = await whileLocked(file, 150, () => kv.compareAndSet('lease:orders', 'owner-a', 'owner-a', { ttlMs: 5000 }));

    expect(settledWhileLocked).toBe(false);
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(result).toBe(true);
    expect(await kv.incr('counter')).toBe(1);
    await kv.close();
  });

  it('gives up with SQLITE_BUSY after the busy timeout, and the next batch commits once the lock is free', async () => {
    let locked = true;
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const written: number[] = [];
    const commits = groupCommit<number, number>(
      (batch) => {
        if (locked) throw busy;
        written.push(...batch);
        return batch.map((value) => ({ ok: true, value }));
      },
      { busyTimeoutMs: 60 },
    );

    await expect(commits.submit(1)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(written).toEqual([]);
    locked = false;
    await expect(commits.submit(2)).resolves.toBe(2);
    expect(written).toEqual([2]);
  });

  it('requests queued while a batch waits for the lock join it', async () => {
    let attempts = 0;
    const batches: number[][] = [];
    const commits = groupCommit<number, number>((batch) => {
      if (attempts++ < 3) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      batches.push(batch);
      return batch.map((value) => ({ ok: true, value: value * 10 }));
    });

    const first = commits.submit(1);
    await sleep(2);
    const second = commits.submit(2);
    expect(await Promise.all([first, second])).toEqual([10, 20]);
    expect(batches).toEqual([[1, 2]]);
  });
});
