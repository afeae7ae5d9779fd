/**
 * Command latency on a short and on a long stream, through the real CommandHandler and user decider.
 *
 * Two user streams in one SQLite event store (opened as src/main.ts opens it): one with 1 event
 * (UserRegistered), one prefilled with 100,000 events (UserRegistered + 99,999 UserProfileUpdated) by
 * direct appends. The handler is warmed once per stream (the first load folds the whole stream; that
 * cold load is reported separately), then UpdateProfile commands with alternating nicknames — so each
 * command appends exactly one event — are timed one at a time, alternating between the two streams.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { sqliteEventStore } from '../src/adapters/eventstore/sqlite.js';
import { userDecider, userStream, type UserCommand, type UserEvent } from '../src/domain/users/user.js';
import { CommandHandler } from '../src/kernel/command-handler.js';
import type { EventStore } from '../src/ports/event-store.js';
import { parseArgs, type BenchArgs } from './lib/args.js';
import { isMain } from './lib/main-module.js';
import { int, ms, ratio, summarize, table, type LatencySummary } from './lib/stats.js';

export interface CommandLatencyResult {
  longStreamEvents: number;
  commands: number;
  prefillMs: number;
  /** First load of the long stream in the process: reads and folds every event (JIT cold too). */
  coldLoadMs: number;
  /** Load of the long stream by a fresh handler once the code is warm: reads and folds every event. */
  reloadMs: number;
  coldLoadShortMs: number;
  short: LatencySummary;
  long: LatencySummary;
  markdown: string;
}

const PREFILL_BATCH = 1_000;

function registered(userId: string, at: string): UserEvent {
  return {
    type: 'UserRegistered',
    data: { userId, phone: null, email: `${userId.toLowerCase()}@bench.example`, nickname: 'bench', passwordHash: '$argon2id$v=19$bench', roles: ['customer'], registeredAt: at },
  };
}

async function createUser(store: EventStore, userId: string, totalEvents: number): Promise<void> {
  const stream = userStream(userId);
  const at = new Date().toISOString();
  await store.append(stream, [registered(userId, at)], 'no_stream');
  let revision = 0;
  while (revision + 1 < totalEvents) {
    const count = Math.min(PREFILL_BATCH, totalEvents - (revision + 1));
    const events = Array.from({ length: count }, (_, i) => ({
      type: 'UserProfileUpdated',
      data: { userId, changes: { nickname: `prefill-${revision + 1 + i}` }, updatedAt: at },
      metadata: { correlationId: `prefill-${userId}`, actor: { id: 'system', role: 'system' } },
    }));
    const result = await store.append(stream, events, revision);
    revision = result.nextRevision;
  }
}

async function timed<T>(action: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await action();
  return { value, ms: performance.now() - started };
}

export async function benchCommandLatency(args: BenchArgs, log: (line: string) => void = () => {}): Promise<CommandLatencyResult> {
  const longStreamEvents = 100_000;
  const commands = args.quick ? 300 : 5_000;
  const warmup = args.quick ? 50 : 200;
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-bench-cmd-'));
  const db = new Database(join(dir, 'events.db'));
  db.pragma('synchronous = normal');
  const store = sqliteEventStore(db);
  try {
    const shortUser = ulid();
    const longUser = ulid();
    const shortStream = userStream(shortUser);
    const longStream = userStream(longUser);
    await createUser(store, shortUser, 1);
    const prefill = await timed(() => createUser(store, longUser, longStreamEvents));
    log(`command-latency: prefilled ${int(longStreamEvents)} events in ${ms(prefill.ms)}`);

    const handler = new CommandHandler(store, userDecider);
    const coldLoad = await timed(() => handler.load(longStream));
    if (coldLoad.value.revision !== longStreamEvents - 1) throw new Error(`long stream at revision ${coldLoad.value.revision}`);
    const coldLoadShort = await timed(() => handler.load(shortStream));
    const reload = await timed(() => new CommandHandler(store, userDecider).load(longStream));
    log(`command-latency: cold load of the long stream ${ms(coldLoad.ms)} (fresh handler, warm code: ${ms(reload.ms)})`);

    const counters = new Map<string, number>();
    const command = async (stream: string): Promise<number> => {
      const n = counters.get(stream) ?? 0;
      counters.set(stream, n + 1);
      const update: UserCommand = { type: 'UpdateProfile', changes: { nickname: n % 2 === 0 ? 'nick-a' : 'nick-b' }, at: new Date().toISOString() };
      const started = performance.now();
      const result = await handler.handle(stream, update, { metadata: { correlationId: `bench-${n}`, actor: { id: 'bench', role: 'customer' } } });
      const elapsed = performance.now() - started;
      if (result.events.length !== 1) throw new Error(`command ${n} on ${stream} appended ${result.events.length} events`);
      return elapsed;
    };

    for (let i = 0; i < warmup; i++) {
      await command(shortStream);
      await command(longStream);
    }
    const shortSamples: number[] = [];
    const longSamples: number[] = [];
    for (let i = 0; i < commands; i++) {
      // Alternate (and alternate which goes first) so drift does not favour one stream.
      if (i % 2 === 0) {
        shortSamples.push(await command(shortStream));
        longSamples.push(await command(longStream));
      } else {
        longSamples.push(await command(longStream));
        shortSamples.push(await command(shortStream));
      }
    }
    const finalLong = (await store.readStream(longStream, { fromRevision: longStreamEvents - 1 })).length;
    if (finalLong !== 1 + warmup + commands) throw new Error(`long stream grew by ${finalLong - 1}, expected ${warmup + commands}`);

    const short = summarize(shortSamples);
    const long = summarize(longSamples);
    log(`command-latency: p50 ${ms(short.p50)} vs ${ms(long.p50)}, p99 ${ms(short.p99)} vs ${ms(long.p99)}`);
    const result = { longStreamEvents, commands, prefillMs: prefill.ms, coldLoadMs: coldLoad.ms, reloadMs: reload.ms, coldLoadShortMs: coldLoadShort.ms, short, long };
    return { ...result, markdown: markdown(result, warmup) };
  } finally {
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function markdown(r: Omit<CommandLatencyResult, 'markdown'>, warmup: number): string {
  const row = (name: string, s: LatencySummary) => [name, int(s.count), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max), ms(s.mean)];
  return [
    '### Command latency vs stream length',
    '',
    table(
      ['Stream (events before the run)', 'Commands', 'p50', 'p90', 'p99', 'max', 'mean'],
      [row('1 event', r.short), row(`${int(r.longStreamEvents)} events`, r.long)],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    `Long/short: p50 ×${ratio(r.long.p50 / r.short.p50)}, p99 ×${ratio(r.long.p99 / r.short.p99)}.`,
    '',
    table(
      ['Load without a cached state', 'Time'],
      [
        [`First load of the ${int(r.longStreamEvents)}-event stream (reads and folds every event; first run of the code)`, ms(r.coldLoadMs)],
        [`Same load by a fresh handler, code already warm`, ms(r.reloadMs)],
        ['First load of the 1-event stream', ms(r.coldLoadShortMs)],
        [`(Prefill of the ${int(r.longStreamEvents)} events by direct appends of ${int(PREFILL_BATCH)}, not a command path)`, ms(r.prefillMs)],
      ],
      ['l', 'r'],
    ),
    '',
    'The real `CommandHandler` with the user decider over the SQLite store (WAL, synchronous=NORMAL, file in a temp dir). ' +
      'Each command is `UpdateProfile` with a nickname alternating between two values, so each one appends one event; ' +
      `commands are awaited one at a time, alternating between the two streams; ${int(warmup)} warm-up commands per stream are not counted. ` +
      'Latency is `handler.handle()` end to end: load (cached state + read of newer events, none here), decide, append (group commit: one setImmediate + one IMMEDIATE transaction), evolve. ' +
      'A command pays the full fold only when its stream is not in the handler\'s cache (first load, or evicted past 10,000 streams): that is the cold-load figure. ' +
      'p99 and max come from the occasional command whose commit triggers a WAL checkpoint or meets a GC pause; they move either way between runs, whichever the stream.',
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const result = await benchCommandLatency(parseArgs(), (line) => console.error(line));
  console.log(result.markdown);
}
