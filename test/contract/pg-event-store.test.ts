/**
 * What the PostgreSQL event store promises beyond the shared contract: a transaction that commits late with
 * a smaller position is never skipped, replays by event id, the per-transaction event limit, two processes
 * migrating at once, and subscriptions that outlive their connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { EventStore, RecordedEvent } from '../../src/ports/event-store.js';
import { LISTENER_APPLICATION, postgresEventStore } from '../../src/adapters/eventstore/postgres.js';
import { createPostgresPool } from '../../src/adapters/postgres/pool.js';
import { uuid7 } from '../../src/kernel/uuid7.js';
import { freshSchema, POSTGRES_URL, postgresAvailable } from '../support/postgres.js';

const available = postgresAvailable();
if (!available) console.warn('[pg-event-store] SKIPPED: no PostgreSQL server answers (see test/support/postgres.ts)');

const event = (n: number, id?: string) => ({ type: 'Tested', data: { n }, ...(id ? { id } : {}) });
const stream = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;

function collector(store: EventStore, after: number, filter: (e: RecordedEvent) => boolean) {
  const seen: RecordedEvent[] = [];
  let wake = () => {};
  const subscription = store.subscribeToAll(
    (events) => {
      seen.push(...events.filter(filter));
      wake();
    },
    { after, batchSize: 50 },
  );
  const until = (count: number, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`saw ${seen.length} of ${count}`)), timeoutMs);
      wake = () => {
        if (seen.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake();
    });
  return { seen, subscription, until };
}

describe.skipIf(!available)('PostgreSQL event store', () => {
  let schema: string;
  let pool: pg.Pool;
  let drop: () => Promise<void>;
  let store: EventStore;

  beforeAll(async () => {
    ({ schema, pool, drop } = await freshSchema('es'));
    store = await postgresEventStore(pool, { schema, pollMs: 1000 });
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('never skips a transaction that commits after a later one: the subscriber gets both, in position order, once', async () => {
    const start = await store.headPosition();
    const [early, late] = [stream('early'), stream('late')];
    const ours = (e: RecordedEvent) => e.streamId === early || e.streamId === late;
    const { seen, subscription, until } = collector(store, start, ours);

    // A transaction takes its id (the smaller one) and appends, then waits before committing.
    const slow = new pg.Client({ connectionString: POSTGRES_URL });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      const payload = JSON.stringify([{ s: early, x: 'no_stream', c: false, e: [{ i: uuid7(), t: 'Tested', d: { n: 1 }, m: {} }] }]);
      const held = await slow.query<{ last_position: string }>(`SELECT * FROM ${schema}.append_events($1::jsonb)`, [payload]);
      const heldPosition = Number(held.rows[0]!.last_position);

      // Meanwhile another append takes a larger id and commits.
      const quick = await store.append(late, [event(2)], 'no_stream');
      expect(quick.position).toBeGreaterThan(heldPosition);
      expect((await store.readStream(late)).map((e) => e.position)).toEqual([quick.position]); // its own stream reads at once

      // The fence holds it back: neither readAll nor the subscriber nor headPosition pass the open transaction.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(seen).toEqual([]);
      expect((await store.readAll({ after: start })).filter(ours)).toEqual([]);
      expect(await store.headPosition()).toBeLessThan(heldPosition);

      // It commits (no NOTIFY: the subscriber finds it by its fast poll, the fence being behind the newest row).
      await slow.query('COMMIT');
      await until(2, 5000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen.map((e) => [e.streamId, e.position])).toEqual([
        [early, heldPosition],
        [late, quick.position],
      ]);
      expect((await store.readAll({ after: start })).filter(ours).map((e) => e.position)).toEqual([heldPosition, quick.position]);
      expect(await store.headPosition()).toBeGreaterThanOrEqual(quick.position);
    } finally {
      await slow.query('ROLLBACK').catch(() => {});
      await slow.end();
      await subscription.close();
    }
  });

  it("gives a hot stream's concurrent appends positions in revision order (the transaction id is taken once the stream is locked)", async () => {
    const hot = stream('hot');
    const writers = createPostgresPool(POSTGRES_URL, 8);
    const other = await postgresEventStore(writers, { schema });
    try {
      for (let round = 0; round < 5; round++) {
        await Promise.all(Array.from({ length: 16 }, (_, n) => (n % 2 ? store : other).append(hot, [event(n)], 'any')));
      }
      const read = await store.readStream(hot);
      expect(read.map((e) => e.revision)).toEqual(Array.from({ length: 80 }, (_, n) => n));
      expect(read.every((e, n) => n === 0 || e.position > read[n - 1]!.position)).toBe(true);
    } finally {
      await other.close();
      await writers.end();
    }
  });

  it('answers a replayed append (same ids) with its first result and writes nothing', async () => {
    const id = stream('replay');
    const events = [event(1, uuid7()), event(2, uuid7())];
    const first = await store.append(id, events, 'no_stream');
    await store.append(id, [event(3)], 1);
    // The retry of an append whose answer was lost: the expected revision no longer holds, the ids say it is done.
    expect(await store.append(id, events, 'no_stream')).toEqual(first);
    expect(await store.append(id, events, 'any')).toEqual(first);
    expect((await store.readStream(id)).map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    // Not the same append: refused, nothing written.
    await expect(store.append(id, [events[0]!, event(9, uuid7())], 'any')).rejects.toThrow(/already recorded/);
    await expect(store.append(stream('other'), [events[0]!], 'any')).rejects.toThrow(/already recorded/);
    expect(await store.readStream(id)).toHaveLength(3);

    const [a, b] = [stream('replay-all'), stream('replay-all')];
    const appends = [
      { streamId: a, events: [event(1, uuid7())], expected: 'no_stream' as const },
      { streamId: b, events: [event(2, uuid7()), event(3, uuid7())], expected: 'no_stream' as const },
    ];
    const results = await store.appendAll(appends);
    expect(await store.appendAll(appends)).toEqual(results);
    expect(await store.readStream(b)).toHaveLength(2);
  });

  it('writes at most 4096 events in one transaction, and says so', async () => {
    const big = Array.from({ length: 4096 }, (_, n) => event(n));
    const id = stream('big');
    const result = await store.append(id, big, 'no_stream');
    expect(result.nextRevision).toBe(4095);
    const read = await store.readStream(id);
    expect(read[4095]!.position - read[0]!.position).toBe(4095);
    await expect(store.append(stream('big'), [...big, event(4096)], 'no_stream')).rejects.toThrow(/at most 4096 events/);
    await expect(
      store.appendAll([
        { streamId: stream('big'), events: big.slice(0, 2048), expected: 'any' },
        { streamId: stream('big'), events: big.slice(0, 2049), expected: 'any' },
      ]),
    ).rejects.toThrow(/at most 4096 events/);
  });

  it('keeps positions below 2^53 and of the form xid × 4096 + index', async () => {
    const id = stream('shape');
    await store.appendAll([
      { streamId: id, events: [event(1), event(2)], expected: 'no_stream' },
      { streamId: stream('shape'), events: [event(3)], expected: 'no_stream' },
    ]);
    const read = await store.readStream(id);
    expect(read.map((e) => e.position % 4096)).toEqual([0, 1]);
    const { rows } = await pool.query<{ xid: number }>('SELECT pg_current_xact_id()::text::bigint AS xid');
    expect(Math.floor(read[0]!.position / 4096)).toBeLessThan(rows[0]!.xid);
    expect(Number.isSafeInteger(read[1]!.position)).toBe(true);
    // Lag is counted, not subtracted: positions jump by 4096 per transaction.
    const counter = store as EventStore & { countEvents(after: number, upTo: number, limit: number): Promise<number> };
    expect(await counter.countEvents(read[0]!.position - 1, read[1]!.position + 1, 10)).toBe(3);
    expect(await counter.countEvents(read[0]!.position - 1, read[1]!.position + 1, 2)).toBe(2);
  });

  it('migrates once when two processes start on an empty schema at the same moment', async () => {
    const fresh = await freshSchema('es_race');
    const other = createPostgresPool(fresh.url, 2);
    try {
      const [one, two] = await Promise.all([postgresEventStore(fresh.pool, { schema: fresh.schema }), postgresEventStore(other, { schema: fresh.schema })]);
      await one.append('s', [event(1)], 'no_stream');
      expect((await two.readStream('s')).map((e) => e.revision)).toEqual([0]);
      const { rows } = await fresh.pool.query(`SELECT version FROM ${fresh.schema}.bazaar_migrations WHERE component = 'eventstore'`);
      expect(rows).toHaveLength(1);
      await Promise.all([one.close(), two.close()]);
    } finally {
      await other.end();
      await fresh.drop();
    }
  });

  it('keeps delivering after its connections are killed (LISTEN reconnects; polling covers the gap)', async () => {
    const id = stream('survive');
    const start = await store.headPosition();
    const { seen, subscription, until } = collector(store, start, (e) => e.streamId === id);
    // Another process's appends (another store on another pool) reach it by NOTIFY or by polling.
    const writerPool = createPostgresPool(POSTGRES_URL, 2);
    const writer = await postgresEventStore(writerPool, { schema });
    try {
      await writer.append(id, [event(1)], 'no_stream');
      await until(1);
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      const listeners = async () => (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [LISTENER_APPLICATION])).rows.map((row) => row.pid);
      const before = await listeners();
      expect(before.length).toBeGreaterThanOrEqual(1);
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND (application_name = $1 OR pid IN (SELECT pid FROM pg_stat_activity WHERE query LIKE $2))`,
        [LISTENER_APPLICATION, `%${schema}.events%`],
      );
      expect(killed.rowCount).toBeGreaterThanOrEqual(before.length);
      for (let n = 2; n <= 4; n++) await writer.append(id, [event(n)], n - 2);
      await until(4, 10_000);
      expect(seen.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      // The listener is back (a new backend): a later append arrives well within the idle poll interval.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = await listeners();
      await admin.end();
      expect(after.length).toBeGreaterThanOrEqual(1);
      expect(after.filter((pid) => before.includes(pid))).toEqual([]);
      const sent = Date.now();
      await writer.append(id, [event(5)], 3);
      await until(5, 5000);
      expect(Date.now() - sent).toBeLessThan(900);
    } finally {
      await subscription.close();
      await writer.close();
      await writerPool.end();
    }
  });

  it('close() stops its subscriptions, waits for a running handler, and leaves the pool to its owner', async () => {
    const fresh = await freshSchema('es_close');
    try {
      const own = await postgresEventStore(fresh.pool, { schema: fresh.schema });
      let running = false;
      let finished = false;
      const subscription = own.subscribeToAll(async () => {
        running = true;
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished = true;
      });
      await own.append('s', [event(1)], 'no_stream');
      while (!running) await new Promise((resolve) => setTimeout(resolve, 10));
      await own.close();
      expect(finished).toBe(true);
      await subscription.done;
      await expect(own.append('s', [event(2)], 0)).rejects.toThrow(/closed/);
      expect((await fresh.pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
      const failing = await postgresEventStore(fresh.pool, { schema: fresh.schema });
      const broken = failing.subscribeToAll(() => {
        throw new Error('handler failed');
      });
      await expect(broken.done).rejects.toThrow('handler failed');
      await failing.close();
    } finally {
      await fresh.drop();
    }
  });
});
