/**
 * PostgreSQL appends: `npx tsx bench/pg-appends.ts [--quick] [--write]`.
 *
 * Appends/s of `postgresEventStore` next to (1) raw `pg` INSERTs of the same rows and (2) Emmett's
 * PostgreSQL event store (`@event-driven-io/emmett-postgresql`, `getPostgreSQLEventStore(url).appendToStream`),
 * at the same concurrency and batch shape, against the server at DATABASE_URL (default: this machine's,
 * postgres://postgres@127.0.0.1:5432/test). Every run gets a database of its own (created, then dropped),
 * so no side writes into a table another side filled. Prints a markdown table; `--write` also replaces the
 * "PostgreSQL appends" section of BENCHMARKS.md.
 *
 * Workload: W writers, each owning 100 streams it appends to round-robin with the exact expected revision
 * (new stream: no_stream), E events per append (a cart line: sku, quantity, price; a correlation id in the
 * metadata), each writer awaiting its append before the next: W appends in flight. Pools of 10 connections.
 *  - Bazaar: `store.append(stream, events, expected)`: one `append_events` call (advisory lock, revision
 *    check, insert) per append, then a coalesced NOTIFY after the commit.
 *  - Raw: one autocommit multi-row `INSERT … VALUES` per append (named prepared statement) into a table of
 *    the same columns and indexes (position from an identity column): no revision check, no lock, no
 *    notification. The floor of what PostgreSQL costs for these rows.
 *  - Emmett: `appendToStream(stream, events, { expectedStreamVersion })` (BEGIN, its function, COMMIT).
 */
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { postgresEventStore } from '../src/adapters/eventstore/postgres.js';
import { createPostgresPool } from '../src/adapters/postgres/pool.js';
import { uuid7 } from '../src/kernel/uuid7.js';
import type { ExpectedRevision, NewEvent } from '../src/ports/event-store.js';
import { writeSection } from './lib/benchmarks-md.js';
import { cpuBusy, machineInfo, machineMarkdown } from './lib/machine.js';
import { isMain } from './lib/main-module.js';

export const PG_APPENDS_HEADING = '## PostgreSQL appends';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STREAMS_PER_WRITER = 100;
const POOL_SIZE = 10;

interface Scenario {
  name: string;
  writers: number;
  appendsPerWriter: number;
  eventsPerAppend: number;
}

type Side = 'bazaar' | 'raw' | 'emmett';
/** Appends one writer's `events` to `stream` whose current revision is `revision` (-1: none). */
type Appender = (stream: string, events: NewEvent[], revision: number) => Promise<void>;

interface SideUnderTest {
  appender: Appender;
  close(): Promise<void>;
}

const log = (line: string) => console.error(`[pg-appends] ${line}`);

function urlFor(database: string): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let databases = 0;
async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bazaar_bench_${process.pid}_${databases++}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  return {
    url: urlFor(name),
    drop: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function bazaarSide(url: string): Promise<SideUnderTest> {
  const pool = createPostgresPool(url, POOL_SIZE);
  const store = await postgresEventStore(pool, { schema: 'bench' });
  return {
    appender: async (stream, events, revision) => {
      const expected: ExpectedRevision = revision < 0 ? 'no_stream' : revision;
      await store.append(stream, events, expected);
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}

async function rawSide(url: string): Promise<SideUnderTest> {
  const pool = createPostgresPool(url, POOL_SIZE);
  await pool.query(`
    CREATE TABLE raw_events (
      position    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id          text NOT NULL UNIQUE,
      stream_id   text NOT NULL,
      revision    bigint NOT NULL,
      type        text NOT NULL,
      data        jsonb NOT NULL,
      metadata    jsonb NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (stream_id, revision)
    )`);
  const statements = new Map<number, string>();
  const statement = (rows: number) => {
    let text = statements.get(rows);
    if (!text) {
      const values = Array.from({ length: rows }, (_, row) => `(${[1, 2, 3, 4, 5, 6].map((column) => `$${row * 6 + column}`).join(', ')})`);
      text = `INSERT INTO raw_events (id, stream_id, revision, type, data, metadata) VALUES ${values.join(', ')}`;
      statements.set(rows, text);
    }
    return text;
  };
  return {
    appender: async (stream, events, revision) => {
      const values: unknown[] = [];
      events.forEach((event, index) => values.push(event.id ?? uuid7(), stream, revision + 1 + index, event.type, JSON.stringify(event.data ?? null), JSON.stringify(event.metadata ?? {})));
      await pool.query({ name: `raw-insert-${events.length}`, text: statement(events.length), values });
    },
    async close() {
      await pool.end();
    },
  };
}

async function emmettSide(url: string): Promise<SideUnderTest> {
  const { getPostgreSQLEventStore } = await import('@event-driven-io/emmett-postgresql');
  const store = getPostgreSQLEventStore(url);
  await store.schema.migrate();
  return {
    appender: async (stream, events, revision) => {
      await store.appendToStream(
        stream,
        events.map((event) => ({ type: event.type, data: event.data as Record<string, unknown>, metadata: event.metadata as Record<string, unknown> })),
        // Emmett counts versions from 1: a stream at revision r (0-based) is at version r + 1; 0 = new stream.
        { expectedStreamVersion: BigInt(revision + 1) },
      );
    },
    async close() {
      await store.close();
    },
  };
}

const makeSide: Record<Side, (url: string) => Promise<SideUnderTest>> = { bazaar: bazaarSide, raw: rawSide, emmett: emmettSide };

function cartLine(writer: number, n: number): NewEvent {
  return {
    id: uuid7(),
    type: 'CartLineAdded',
    data: { cartId: `cart-${writer}-${n % STREAMS_PER_WRITER}`, skuId: `SKU-${(n * 7919) % 100_000}`, quantity: 1 + (n % 3), unitPrice: { amount: 1999 + (n % 100), currency: 'CNY' } },
    metadata: { correlationId: `c-${writer}-${n}`, actor: { id: `user-${writer}`, role: 'customer' } },
  };
}

/** One timed run: appends/s over the whole run, and latency percentiles of single appends. */
async function run(side: Side, scenario: Scenario, tag: string): Promise<{ appendsPerSec: number; eventsPerSec: number; p50: number; p99: number }> {
  const database = await freshDatabase();
  const target = await makeSide[side](database.url);
  try {
    // Warm-up: each writer's first append (connections opened, statements prepared, schema migrated).
    const revisions = Array.from({ length: scenario.writers }, () => new Array<number>(STREAMS_PER_WRITER).fill(-1));
    const stream = (writer: number, k: number) => `cart-${tag}${writer}x${k}`;
    await Promise.all(
      revisions.map(async (own, writer) => {
        const events = Array.from({ length: scenario.eventsPerAppend }, (_, e) => cartLine(writer, e));
        await target.appender(`warmup-${writer}`, events, -1);
        own.fill(-1);
      }),
    );
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      revisions.map(async (own, writer) => {
        for (let n = 0; n < scenario.appendsPerWriter; n++) {
          const k = n % STREAMS_PER_WRITER;
          const events = Array.from({ length: scenario.eventsPerAppend }, (_, e) => cartLine(writer, n * scenario.eventsPerAppend + e));
          const before = performance.now();
          await target.appender(stream(writer, k), events, own[k]!);
          latencies.push(performance.now() - before);
          own[k]! += events.length;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const appends = scenario.writers * scenario.appendsPerWriter;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    return { appendsPerSec: appends / seconds, eventsPerSec: (appends * scenario.eventsPerAppend) / seconds, p50: at(0.5), p99: at(0.99) };
  } finally {
    await target.close();
    await database.drop();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

export async function benchPgAppends(options: { quick: boolean }): Promise<string> {
  const scale = options.quick ? 0.2 : 1;
  const scenarios: Scenario[] = [
    { name: 'sequential (1 writer), 1 event per append', writers: 1, appendsPerWriter: Math.round(2_000 * scale), eventsPerAppend: 1 },
    { name: '8 concurrent writers, 1 event per append', writers: 8, appendsPerWriter: Math.round(1_000 * scale), eventsPerAppend: 1 },
    { name: '8 concurrent writers, 10 events per append', writers: 8, appendsPerWriter: Math.round(250 * scale), eventsPerAppend: 10 },
  ];
  const runs = options.quick ? 1 : 3;
  const sides: Side[] = ['bazaar', 'raw', 'emmett'];
  const started = new Date();
  const machine = machineInfo(started);
  const busyBefore = await cpuBusy();
  const server = await withAdmin(async (client) => {
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const settings = await client.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'wal_level', 'max_connections') ORDER BY name",
    );
    return `PostgreSQL ${version} on the same machine (${settings.rows.map((row) => `${row.name}=${row.setting}`).join(', ')})`;
  });
  const emmettVersion = (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@event-driven-io', 'emmett-postgresql', 'package.json'), 'utf8')) as { version: string }).version;

  const rows: string[] = [];
  for (const scenario of scenarios) {
    const results: Record<Side, Array<Awaited<ReturnType<typeof run>>>> = { bazaar: [], raw: [], emmett: [] };
    for (let r = 0; r < runs; r++) {
      // Each round rotates which side goes first.
      const order = sides.map((_, i) => sides[(i + r) % sides.length]!);
      for (const side of order) {
        const result = await run(side, scenario, `r${r}`);
        results[side].push(result);
        log(`${scenario.name} · ${side} · run ${r + 1}: ${Math.round(result.appendsPerSec)} appends/s (p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms)`);
      }
    }
    const med = (side: Side, key: 'appendsPerSec' | 'eventsPerSec' | 'p50' | 'p99') => median(results[side].map((result) => result[key]));
    const raw = med('raw', 'appendsPerSec');
    const bazaar = med('bazaar', 'appendsPerSec');
    const emmett = med('emmett', 'appendsPerSec');
    const fmt = (value: number) => Math.round(value).toLocaleString('en-US');
    rows.push(
      `| ${scenario.name} | ${fmt(scenario.writers * scenario.appendsPerWriter)} | ${fmt(bazaar)} | ${fmt(raw)} | ${fmt(emmett)} | **${(bazaar / raw).toFixed(2)}** | ${(bazaar / emmett).toFixed(2)}× | ` +
        `${med('bazaar', 'p50').toFixed(2)} / ${med('raw', 'p50').toFixed(2)} / ${med('emmett', 'p50').toFixed(2)} | ${med('bazaar', 'p99').toFixed(2)} / ${med('raw', 'p99').toFixed(2)} / ${med('emmett', 'p99').toFixed(2)} |`,
    );
  }
  const seconds = Math.round((Date.now() - started.getTime()) / 1000);
  return [
    PG_APPENDS_HEADING,
    '',
    `Generated by \`npx tsx bench/pg-appends.ts${options.quick ? ' --quick' : ''}\` in ${seconds} s${options.quick ? ' — QUICK smoke run: figures are indicative only' : ''}.`,
    '',
    machineMarkdown(machine),
    `- Server: ${server}; client and server share the 2 cores`,
    `- Emmett: @event-driven-io/emmett-postgresql ${emmettVersion} (installed with --legacy-peer-deps: it asks for commander ^12 as a peer, the project has 14; its append path does not use commander)`,
    `- Cores busy with other work in the 2 s before the run: ${Math.round(busyBefore * 100)} %${busyBefore > 0.2 ? ' — **the machine was busy: figures are noisy**' : ''}`,
    '',
    '| Scenario | Appends per run | Bazaar appends/s | Raw INSERT appends/s | Emmett appends/s | Bazaar / raw (goal ≥ 0.5) | Bazaar / Emmett | p50 ms (Bazaar / raw / Emmett) | p99 ms (Bazaar / raw / Emmett) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Median of ${runs} run${runs > 1 ? 's' : ''} per side (the sides rotate which goes first), each in a database of its own, after a warm-up append per writer.`,
    'Every writer owns 100 streams and appends to them round-robin with the exact expected revision, awaiting each append: the writer count is the number of appends in flight. Pools of 10 connections.',
    '',
    '- **Bazaar**: `postgresEventStore(pool).append(stream, events, expected)`: one statement per append (`append_events`: an advisory lock per stream, then the transaction id, the revision check and the insert; one transaction, one round trip), then a NOTIFY after the commit (its own statement, asynchronous commit, at most one in flight and one per 5 ms per store).',
    '- **Raw**: one autocommit multi-row `INSERT … VALUES` per append (a named prepared statement) into a table with the same columns and indexes, position from an identity column: no revision check, no lock, no notification. The floor of what PostgreSQL costs for these rows.',
    "- **Emmett**: `getPostgreSQLEventStore(url).appendToStream(stream, events, { expectedStreamVersion })`: `BEGIN`, its `emt_append_to_stream` function (stream row update, insert), `COMMIT`: three round trips, its SQL built as text per call.",
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const report = await benchPgAppends({ quick });
  console.log(report);
  if (argv.includes('--write')) {
    const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'BENCHMARKS.md');
    writeSection(file, PG_APPENDS_HEADING, report);
    log(`section "${PG_APPENDS_HEADING}" of ${file} updated`);
  }
}
