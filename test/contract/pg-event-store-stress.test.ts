/**
 * The PostgreSQL event store under concurrent writers in two other processes, with subscribers following:
 * every subscriber sees every event exactly once, in strictly increasing positions, each stream's revisions
 * in order. Then a writer process is killed (SIGKILL) mid-run: every append it had acknowledged is stored.
 *
 * Counts: 2 processes × 4 writers (8 concurrent writers) × 5,000 appends = 40,000 appends (about 44,000
 * events: every 10th append writes to two streams). About 20–25 s on this 2-core machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { EventStore, RecordedEvent, Subscription } from '../../src/ports/event-store.js';
import { postgresEventStore } from '../../src/adapters/eventstore/postgres.js';
import { createPostgresPool } from '../../src/adapters/postgres/pool.js';
import { freshSchema, postgresAvailable } from '../support/postgres.js';

const available = postgresAvailable();
if (!available) console.warn('[pg-event-store-stress] SKIPPED: no PostgreSQL server answers at DATABASE_URL or 127.0.0.1:5432 (see test/support/postgres.ts)');

const WRITER = fileURLToPath(new URL('../support/pg-append-writer.ts', import.meta.url));
const PROCESSES = 2;
const WRITERS_PER_PROCESS = 4;
const APPENDS_PER_WRITER = 5_000;

interface Writer {
  child: ChildProcess;
  acked: string[];
  done: boolean;
  exit: Promise<number | null>;
  stderr: string[];
}

function startWriter(url: string, schema: string, tag: string, writers: number, appends: number): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, url, schema, tag, String(writers), String(appends)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const writer: Writer = { child, acked: [], done: false, stderr: [], exit: once(child, 'exit').then(([code]) => code as number | null) };
  let rest = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('ack ')) writer.acked.push(line.slice(4));
      else if (line === 'done') writer.done = true;
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => writer.stderr.push(chunk));
  return writer;
}

/** A subscriber that checks, as events arrive, what the store promises about the global order. */
function follower(store: EventStore, batchSize: number) {
  const ids = new Set<string>();
  const revisions = new Map<string, number>();
  const problems: string[] = [];
  let last = 0;
  let count = 0;
  const subscription: Subscription = store.subscribeToAll(
    (events: RecordedEvent[]) => {
      for (const event of events) {
        count++;
        if (event.position <= last) problems.push(`position ${event.position} after ${last}`);
        last = event.position;
        if (ids.has(event.id)) problems.push(`event ${event.id} delivered twice`);
        ids.add(event.id);
        const previous = revisions.get(event.streamId) ?? -1;
        if (event.revision !== previous + 1) problems.push(`${event.streamId}: revision ${event.revision} after ${previous}`);
        revisions.set(event.streamId, event.revision);
      }
    },
    { batchSize },
  );
  return { ids, problems, subscription, count: () => count };
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!available)('PostgreSQL event store under concurrent writers in other processes', () => {
  let schema: string;
  let url: string;
  let pool: pg.Pool;
  let drop: () => Promise<void>;
  let otherPool: pg.Pool;
  let store: EventStore;
  let otherStore: EventStore;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ({ schema, url, pool, drop } = await freshSchema('es_stress'));
    store = await postgresEventStore(pool, { schema });
    otherPool = createPostgresPool(url, 3);
    otherStore = await postgresEventStore(otherPool, { schema });
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await store?.close();
    await otherStore?.close();
    await otherPool?.end();
    await drop?.();
  });

  const stored = async () => Number((await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.events`)).rows[0]!.n);

  it('delivers every event to every subscriber exactly once, in order; a killed writer loses no acknowledged append', { timeout: 120_000 }, async () => {
    const started = Date.now();
    const followers = [follower(store, 500), follower(store, 37), follower(otherStore, 200)];

    const writers = Array.from({ length: PROCESSES }, (_, p) => startWriter(url, schema, `p${p}`, WRITERS_PER_PROCESS, APPENDS_PER_WRITER));
    children.push(...writers.map((w) => w.child));
    const codes = await Promise.all(writers.map((w) => w.exit));
    expect(codes, writers.flatMap((w) => w.stderr).join('')).toEqual(writers.map(() => 0));
    expect(writers.every((w) => w.done)).toBe(true);

    // Per writer: 5,000 appends; every 10th (not also a 25th) writes two events.
    const twoEvent = Array.from({ length: APPENDS_PER_WRITER }, (_, n) => n).filter((n) => n % 10 === 9 && n % 25 !== 24).length;
    const expected = PROCESSES * WRITERS_PER_PROCESS * (APPENDS_PER_WRITER + twoEvent);
    const acked = writers.flatMap((w) => w.acked);
    expect(acked).toHaveLength(expected);
    expect(new Set(acked).size).toBe(expected);
    expect(await stored()).toBe(expected);

    await waitFor('the subscribers to catch up', () => followers.every((f) => f.count() >= expected), 30_000);
    for (const f of followers) {
      expect(f.problems.slice(0, 5)).toEqual([]);
      expect(f.count()).toBe(expected);
      expect(acked.every((id) => f.ids.has(id))).toBe(true);
    }
    const written = Date.now() - started;

    // A writer killed mid-run: what it acknowledged is stored; what it wrote, the subscribers still see once.
    const victim = startWriter(url, schema, 'killed', WRITERS_PER_PROCESS, APPENDS_PER_WRITER);
    children.push(victim.child);
    await waitFor('the victim to acknowledge appends', () => victim.acked.length >= 2_000, 30_000);
    victim.child.kill('SIGKILL');
    await victim.exit;
    expect(victim.done).toBe(false);
    const ackedBeforeKill = [...victim.acked];
    const found = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.events WHERE id = ANY($1::text[])`, [ackedBeforeKill]);
    expect(found.rows[0]!.n).toBe(ackedBeforeKill.length);

    const total = await stored();
    expect(total).toBeGreaterThanOrEqual(expected + ackedBeforeKill.length);
    await waitFor('the subscribers to see the victim\'s events', () => followers.every((f) => f.count() >= total), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const f of followers) {
      expect(f.problems.slice(0, 5)).toEqual([]);
      expect(f.count()).toBe(total);
      expect(ackedBeforeKill.every((id) => f.ids.has(id))).toBe(true);
    }
    await Promise.all(followers.map((f) => f.subscription.close()));
    console.info(`[pg-event-store-stress] ${expected} events from 8 writers in 2 processes, seen by 3 subscribers in ${written} ms; killed writer: ${ackedBeforeKill.length} acknowledged, ${total - expected} stored`);
  });
});
