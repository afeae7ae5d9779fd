/**
 * Appends/s to the SQLite event store, side by side with a raw better-sqlite3 baseline in the same run.
 *
 * Both sides start from the same in-memory events (id, stream, revision, type, data object, metadata
 * object) and end with the same rows in the same `events` table:
 *  - Store: `sqliteEventStore(db).append(stream, [event], expectedRevision)`, one event per append,
 *    with the exact expected revision (as the command handler sends it).
 *  - Raw: the adapter's own INSERT statement, prepared once, `JSON.stringify` of data and metadata and
 *    an ISO timestamp per transaction; no revision check (the revision is known up front).
 * Same schema (the raw database is created by the adapter itself, then written to directly), same
 * PRAGMAs (journal_mode=WAL, synchronous=NORMAL, busy_timeout), a fresh file in a temp dir per run.
 *
 *  (a) sequential: each append awaited before the next  vs  one autocommit INSERT per row.
 *  (b) concurrent: waves of N appends in flight (group commit)  vs  N rows per IMMEDIATE transaction.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteEventStore } from '../src/adapters/eventstore/sqlite.js';
import type { EventMetadata, EventStore, ExpectedRevision } from '../src/ports/event-store.js';
import { parseArgs, type BenchArgs } from './lib/args.js';
import { isMain } from './lib/main-module.js';
import { int, median, ratio, table } from './lib/stats.js';

const GOAL = 0.5;

/** The adapter's INSERT, verbatim (src/adapters/eventstore/sqlite.ts). */
const INSERT_SQL = `INSERT INTO events (id, stream_id, revision, type, data, metadata, recorded_at)
     VALUES (@id, @streamId, @revision, @type, @data, @metadata, @recordedAt)`;

interface BenchEvent {
  id: string;
  streamId: string;
  revision: number;
  type: string;
  data: { userId: string; changes: { nickname: string }; updatedAt: string };
  metadata: EventMetadata;
}

export interface ThroughputRow {
  scenario: string;
  inFlight: number;
  events: number;
  store: number;
  raw: number;
  ratio: number;
  storeRuns: number[];
  rawRuns: number[];
}

export interface EventStoreResult {
  rows: ThroughputRow[];
  streams: number;
  rounds: number;
  markdown: string;
}

/** Events spread round-robin over `streams` streams: event i goes to stream i % streams. */
function makeEvents(count: number, streamIds: readonly string[]): BenchEvent[] {
  const at = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => {
    const streamId = streamIds[i % streamIds.length]!;
    return {
      id: randomUUID(),
      streamId,
      revision: Math.floor(i / streamIds.length),
      type: 'UserProfileUpdated',
      data: { userId: streamId.slice(5), changes: { nickname: `nick-${i}` }, updatedAt: at },
      metadata: { correlationId: randomUUID(), actor: { id: streamId.slice(5), role: 'customer' } },
    };
  });
}

const expectedOf = (event: BenchEvent): ExpectedRevision => (event.revision === 0 ? 'no_stream' : event.revision - 1);

const rowOf = (event: BenchEvent, recordedAt: string) => ({
  id: event.id,
  streamId: event.streamId,
  revision: event.revision,
  type: event.type,
  data: JSON.stringify(event.data),
  metadata: JSON.stringify(event.metadata),
  recordedAt,
});

const waves = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

class Files {
  private readonly dir = mkdtempSync(join(tmpdir(), 'bazaar-bench-es-'));
  private next = 0;
  file(): string {
    return join(this.dir, `run-${this.next++}.db`);
  }
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A database exactly as the runtime opens the event store (src/main.ts), schema created by the adapter. */
function open(file: string): { db: Database.Database; store: EventStore } {
  const db = new Database(file);
  db.pragma('synchronous = normal');
  const store = sqliteEventStore(db);
  const mode = db.pragma('journal_mode', { simple: true });
  const sync = db.pragma('synchronous', { simple: true });
  if (mode !== 'wal' || sync !== 1) throw new Error(`unexpected PRAGMAs: journal_mode=${String(mode)} synchronous=${String(sync)}`);
  return { db, store };
}

function finish(db: Database.Database, expectedRows: number): void {
  const { n } = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM events').get()!;
  if (n !== expectedRows) throw new Error(`expected ${expectedRows} rows, found ${n}`);
  db.close();
}

/** Appends/s through the store; inFlight 1 = each append awaited before the next. */
async function runStore(file: string, events: readonly BenchEvent[], inFlight: number): Promise<number> {
  const { db, store } = open(file);
  const batches = waves(events, inFlight);
  const started = performance.now();
  if (inFlight === 1) {
    for (const event of events) {
      await store.append(event.streamId, [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata }], expectedOf(event));
    }
  } else {
    for (const batch of batches) {
      await Promise.all(batch.map((event) => store.append(event.streamId, [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata }], expectedOf(event))));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  finish(db, events.length);
  return events.length / seconds;
}

/** Rows/s through a prepared INSERT; batch 1 = one autocommit INSERT per row, else `batch` rows per IMMEDIATE transaction. */
function runRaw(file: string, events: readonly BenchEvent[], batch: number): number {
  const { db } = open(file);
  const insert = db.prepare(INSERT_SQL);
  const batches = waves(events, batch);
  const writeBatch = db.transaction((rows: readonly BenchEvent[]) => {
    const recordedAt = new Date().toISOString();
    for (const event of rows) insert.run(rowOf(event, recordedAt));
  });
  const started = performance.now();
  if (batch === 1) {
    for (const event of events) insert.run(rowOf(event, new Date().toISOString()));
  } else {
    for (const rows of batches) writeBatch.immediate(rows);
  }
  const seconds = (performance.now() - started) / 1000;
  finish(db, events.length);
  return events.length / seconds;
}

export async function benchEventStore(args: BenchArgs, log: (line: string) => void = () => {}): Promise<EventStoreResult> {
  const streams = 10_000;
  const rounds = args.quick ? 1 : 3;
  const streamIds = Array.from({ length: streams }, () => `user-${randomUUID()}`);
  const scenarios = [
    { scenario: 'sequential (1 in flight)', inFlight: 1, events: args.quick ? 5_000 : 30_000 },
    { scenario: 'concurrent (64 in flight)', inFlight: 64, events: args.quick ? 20_000 : 150_000 },
    { scenario: 'concurrent (256 in flight)', inFlight: 256, events: args.quick ? 20_000 : 150_000 },
  ];
  const files = new Files();
  const rows: ThroughputRow[] = [];
  try {
    for (const { scenario, inFlight, events: count } of scenarios) {
      const events = makeEvents(count, streamIds);
      // Warm-up (JIT, page cache) on a throw-away file, not measured.
      const warm = events.slice(0, Math.min(events.length, 5_000));
      await runStore(files.file(), warm, inFlight);
      runRaw(files.file(), warm, inFlight);
      const storeRuns: number[] = [];
      const rawRuns: number[] = [];
      for (let round = 0; round < rounds; round++) {
        // Alternate which side goes first so drift (page cache, thermal, GC) does not favour one.
        if (round % 2 === 0) {
          storeRuns.push(await runStore(files.file(), events, inFlight));
          rawRuns.push(runRaw(files.file(), events, inFlight));
        } else {
          rawRuns.push(runRaw(files.file(), events, inFlight));
          storeRuns.push(await runStore(files.file(), events, inFlight));
        }
      }
      const store = median(storeRuns);
      const raw = median(rawRuns);
      const row = { scenario, inFlight, events: count, store, raw, ratio: store / raw, storeRuns, rawRuns };
      rows.push(row);
      log(`eventstore ${scenario}: store ${int(store)}/s, raw ${int(raw)}/s, ratio ${ratio(row.ratio)}`);
    }
  } finally {
    files.dispose();
  }
  return { rows, streams, rounds, markdown: markdown(rows, streams, rounds) };
}

function markdown(rows: readonly ThroughputRow[], streams: number, rounds: number): string {
  const body = rows.map((row) => [
    row.scenario,
    int(row.events),
    int(row.store),
    row.inFlight === 1 ? `${int(row.raw)} (1 row per autocommit INSERT)` : `${int(row.raw)} (${row.inFlight} rows per transaction)`,
    `**${ratio(row.ratio)}**`,
    row.ratio >= GOAL ? 'met' : 'NOT met',
  ]);
  return [
    '### Event store appends (SQLite)',
    '',
    table(['Scenario', 'Events', 'Store appends/s', 'Raw better-sqlite3 rows/s', 'Ratio store/raw', `Goal ≥ ${GOAL}`], body, ['l', 'r', 'r', 'r', 'r', 'l']),
    '',
    `One event per append, spread round-robin over ${int(streams)} streams, each append with its exact expected revision. ` +
      `Median of ${rounds} run${rounds === 1 ? '' : 's'} per side (sides alternate which goes first), after a warm-up; a fresh database file in a temp dir (ext4) per run.`,
    '',
    '- **Store**: `sqliteEventStore(db).append(stream, [event], expected)`. Sequential: each append awaited before the next. ' +
      'Concurrent: waves of N appends issued together and awaited with `Promise.all` — they land in one group-commit IMMEDIATE transaction.',
    '- **Raw baseline**: the same table (created by the adapter), the adapter\'s own INSERT statement prepared once, the same rows ' +
      '(same ids, streams, revisions; `JSON.stringify` of the same data and metadata objects and an ISO timestamp, inside the timed loop). ' +
      'Sequential: one autocommit INSERT per row (one implicit transaction each). Concurrent: N rows per `BEGIN IMMEDIATE … COMMIT`. ' +
      'The baseline does no expected-revision check, no promise and no scheduling: it is the floor of what SQLite costs for those rows.',
    '- Both: `journal_mode=WAL`, `synchronous=NORMAL`, `busy_timeout=5000`, better-sqlite3 defaults otherwise.',
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const result = await benchEventStore(parseArgs(), (line) => console.error(line));
  console.log(result.markdown);
}
