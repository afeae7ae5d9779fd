import { EventEmitter } from 'node:events';
import pg from 'pg';
import { uuid7 } from '../../kernel/uuid7.js';
import { ConcurrencyError, translateErrors } from '../../kernel/errors.js';
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
} from '../../ports/event-store.js';
import { isPostgresUnavailable, migrateOnce, postgresError, schemaName } from '../postgres/pool.js';
import { assertDistinctStreams } from './checks.js';

export interface PostgresEventStoreOptions {
  /** Schema of the store's tables (default `public`); created if missing. */
  schema?: string;
  /**
   * How often an idle subscription looks for new events when nothing woke it (ms, default 1000). While the
   * fence holds back committed rows, or the LISTEN connection is down, it looks every min(200, pollMs) ms.
   */
  pollMs?: number;
}

/** Events one transaction may write: a position is `xid * 4096 + index`. */
export const MAX_EVENTS_PER_TRANSACTION = 4096;
/** application_name of the LISTEN connection (seen in pg_stat_activity). */
export const LISTENER_APPLICATION = 'bazaar-eventstore-listen';
/**
 * Shortest gap between two NOTIFYs of one store (ms). A NOTIFY is a transaction of its own (it takes a
 * transaction id and commits); one per append cost about as much server time as the append itself. Other
 * processes' subscribers hear of a commit at most this much later.
 */
const NOTIFY_GAP_MS = 5;
/** Transaction ids (xid8) below this keep `xid * 4096 + 4095` below 2^53, a safe JS integer. */
const MAX_XID = 2 ** 41;

/** The fence: every position below it was written by a finished transaction (docs/architecture.md). */
const FENCE = 'pg_snapshot_xmin(pg_current_snapshot())::text::bigint * 4096';

// SQLSTATEs raised by append_events (class BZ: Bazaar's own).
const CONFLICT = 'BZ409';
const TOO_MANY = 'BZ413';
const REPLAY_MISMATCH = 'BZ422';
const POSITIONS_EXHAUSTED = 'BZ500';
const OUT_OF_ORDER = 'BZ501';

const migrations = (s: string): string[] => [
  `
  CREATE TABLE ${s}.events (
    position    bigint PRIMARY KEY,
    id          text NOT NULL UNIQUE,
    stream_id   text NOT NULL,
    revision    bigint NOT NULL,
    type        text NOT NULL,
    data        jsonb NOT NULL,
    metadata    jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, revision)
  );
  -- One call appends to one or more streams, all or none. It must be its transaction's first write (the store
  -- calls it as a statement of its own: one transaction, one round trip).
  -- p_appends: [{ "s": stream id, "x": expected ("any" | "exists" | "no_stream" | revision),
  --               "c": whether the caller chose the event ids, "e": [{ "i": id, "t": type, "d": data, "m": metadata }] }]
  -- Returns one row per stream, in the caller's order.
  CREATE FUNCTION ${s}.append_events(p_appends jsonb) RETURNS TABLE (next_revision bigint, last_position bigint)
  LANGUAGE plpgsql AS $fn$
  DECLARE
    v_count     int := jsonb_array_length(p_appends);
    v_streams   text[];
    v_total     bigint;
    v_current   bigint[] := array_fill(NULL::bigint, ARRAY[v_count]);
    v_replayed  bigint[] := array_fill(NULL::bigint, ARRAY[v_count]);
    v_newest    bigint := -1;
    v_append    jsonb;
    v_event     jsonb;
    v_expected  jsonb;
    v_i         int;
    v_n         int;
    v_rev       bigint;
    v_pos       bigint;
    v_ok        boolean;
    v_found_stream text;
    v_found_rev bigint;
    v_xid       bigint;
    v_base      bigint;
    v_index     bigint := 0;
  BEGIN
    IF v_count = 1 THEN -- most appends: expressions only, no query
      v_streams := ARRAY[p_appends->0->>'s'];
      v_total := jsonb_array_length(p_appends->0->'e');
    ELSE
      SELECT array_agg(a.value->>'s' ORDER BY a.o), sum(jsonb_array_length(a.value->'e')) INTO v_streams, v_total
        FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS a(value, o);
    END IF;
    IF v_total > ${MAX_EVENTS_PER_TRANSACTION} THEN
      RAISE EXCEPTION 'one append may write at most ${MAX_EVENTS_PER_TRANSACTION} events' USING ERRCODE = '${TOO_MANY}';
    END IF;

    -- Lock every stream, in one order for every caller (no deadlock between multi-stream appends), with
    -- advisory locks: unlike a row lock they need no transaction id. The id is taken once they are held, so
    -- it is larger than the id of every earlier writer of these streams: revisions follow positions.
    IF v_count = 1 THEN
      PERFORM pg_advisory_xact_lock(hashtextextended('${s}:' || v_streams[1], 0));
    ELSE
      PERFORM pg_advisory_xact_lock(k.key) FROM (SELECT DISTINCT hashtextextended('${s}:' || stream, 0) AS key FROM unnest(v_streams) AS stream ORDER BY 1) AS k;
    END IF;
    v_xid := pg_current_xact_id()::text::bigint;
    IF v_xid >= ${MAX_XID} THEN
      RAISE EXCEPTION 'transaction id % is past 2^41: event positions would leave the safe integer range', v_xid USING ERRCODE = '${POSITIONS_EXHAUSTED}';
    END IF;

    FOR v_i IN 1..v_count LOOP
      SELECT e.revision, e.position INTO v_rev, v_pos FROM ${s}.events e WHERE e.stream_id = v_streams[v_i] ORDER BY e.revision DESC LIMIT 1;
      IF NOT FOUND THEN
        v_rev := -1;
        v_pos := -1;
      END IF;
      v_current[v_i] := v_rev;
      v_newest := greatest(v_newest, v_pos);
    END LOOP;
    IF v_newest >= v_xid * 4096 THEN -- only when called after another write of the same transaction
      RAISE EXCEPTION 'append_events must be the first write of its transaction (a stream already holds position %)', v_newest USING ERRCODE = '${OUT_OF_ORDER}';
    END IF;

    -- Every stream is checked before anything is written, in the caller's order.
    FOR v_i IN 1..v_count LOOP
      v_append := p_appends->(v_i - 1);
      v_rev := v_current[v_i];
      v_expected := v_append->'x';
      v_ok := CASE
        WHEN jsonb_typeof(v_expected) = 'number' THEN v_expected::numeric = v_rev
        WHEN v_expected #>> '{}' = 'any' THEN true
        WHEN v_expected #>> '{}' = 'exists' THEN v_rev >= 0
        WHEN v_expected #>> '{}' = 'no_stream' THEN v_rev < 0
        ELSE false
      END;
      -- A replay of an append already written (same ids, same order, same stream) answers its first result.
      -- An exact or no_stream expectation that holds rules a replay out: the events would be past it.
      IF (v_append->>'c')::boolean AND (NOT v_ok OR v_expected #>> '{}' IN ('any', 'exists')) THEN
        SELECT e.stream_id, e.revision INTO v_found_stream, v_found_rev FROM ${s}.events e WHERE e.id = v_append->'e'->0->>'i';
        IF FOUND THEN
          v_n := jsonb_array_length(v_append->'e');
          IF v_found_stream = v_streams[v_i] AND v_n = (
            SELECT count(*) FROM jsonb_array_elements(v_append->'e') WITH ORDINALITY AS x(ev, o)
            JOIN ${s}.events e ON e.id = x.ev->>'i' AND e.stream_id = v_streams[v_i] AND e.revision = v_found_rev + x.o - 1
          ) THEN
            v_replayed[v_i] := v_found_rev + v_n - 1;
            CONTINUE;
          END IF;
          RAISE EXCEPTION 'event % is already recorded (stream %, revision %): a replayed append must repeat the same events in the same order',
            v_append->'e'->0->>'i', v_found_stream, v_found_rev USING ERRCODE = '${REPLAY_MISMATCH}';
        END IF;
      END IF;
      IF NOT v_ok THEN
        RAISE EXCEPTION 'stream %: expected revision %, actual %', v_streams[v_i], v_expected, v_rev
          USING ERRCODE = '${CONFLICT}', DETAIL = (v_i - 1)::text || ' ' || v_rev::text;
      END IF;
    END LOOP;

    v_base := v_xid * 4096;
    FOR v_i IN 1..v_count LOOP
      IF v_replayed[v_i] IS NOT NULL THEN
        next_revision := v_replayed[v_i];
        SELECT e.position INTO STRICT last_position FROM ${s}.events e WHERE e.stream_id = v_streams[v_i] AND e.revision = v_replayed[v_i];
        RETURN NEXT;
        CONTINUE;
      END IF;
      v_append := p_appends->(v_i - 1);
      v_rev := v_current[v_i];
      v_n := jsonb_array_length(v_append->'e');
      IF v_n = 1 THEN
        v_event := v_append->'e'->0;
        INSERT INTO ${s}.events (position, id, stream_id, revision, type, data, metadata)
          VALUES (v_base + v_index, v_event->>'i', v_streams[v_i], v_rev + 1, v_event->>'t', v_event->'d', v_event->'m');
      ELSE
        INSERT INTO ${s}.events (position, id, stream_id, revision, type, data, metadata)
          SELECT v_base + v_index + x.o - 1, x.ev->>'i', v_streams[v_i], v_rev + x.o, x.ev->>'t', x.ev->'d', x.ev->'m'
          FROM jsonb_array_elements(v_append->'e') WITH ORDINALITY AS x(ev, o);
      END IF;
      v_index := v_index + v_n;
      next_revision := v_rev + v_n;
      last_position := v_base + v_index - 1;
      RETURN NEXT;
    END LOOP;
  END;
  $fn$;
  `,
];

interface EventRow {
  position: number | string;
  id: string;
  stream_id: string;
  revision: number | string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date | string;
}

const toRecorded = (row: EventRow): RecordedEvent => ({
  id: row.id,
  streamId: row.stream_id,
  revision: Number(row.revision),
  position: Number(row.position),
  type: row.type,
  data: row.data,
  metadata: row.metadata ?? {},
  recordedAt: (row.recorded_at instanceof Date ? row.recorded_at : new Date(row.recorded_at)).toISOString(),
});

/** An error that a lost or refused connection causes: a subscription reads again, later, instead of failing. */
export function isConnectionError(error: unknown): boolean {
  return isPostgresUnavailable(error);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * EventStore on PostgreSQL. An append (one stream or several) is one call of the `append_events` function:
 * one statement, so one transaction and one round trip. It takes a transaction-scoped advisory lock per
 * stream (in one order for every caller), then its transaction id, reads each stream's current revision,
 * checks the expected revisions, and writes the events, with `UNIQUE (stream_id, revision)` behind it.
 *
 * Positions: the writing transaction's id (`pg_current_xact_id()`) × 4096 + the event's index in the
 * transaction. Readers of the global order (readAll, subscribeToAll, headPosition) only see positions below
 * `pg_snapshot_xmin(pg_current_snapshot()) × 4096`: every transaction below xmin has finished, so no commit
 * can later add a position below what a reader has passed. See docs/architecture.md, "PostgreSQL event
 * store: positions that never skip".
 *
 * Subscriptions wake on LISTEN/NOTIFY (`<schema>_events`, notified after each commit), on this store's own
 * appends, and on a timer. The pool belongs to the caller: close() ends what the store opened, not the pool.
 * Every method throws EngineUnavailableError when the server cannot be reached (postgresError).
 */
export async function postgresEventStore(pool: pg.Pool, options: PostgresEventStoreOptions = {}): Promise<EventStore> {
  const schema = schemaName(options);
  const pollMs = options.pollMs ?? 1000;
  const fastPollMs = Math.min(200, pollMs);
  const channel = `${schema}_events`.slice(0, 63);
  await migrateOnce(pool, schema, 'eventstore', migrations(schema));

  // A store restored into another cluster (pg_dump into a fresh server) would start from smaller
  // transaction ids than the positions it holds: new events would sort before old ones. Refuse to start.
  const check = await pool.query<{ next_xid: string | number; newest: string | number | null }>(
    `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next_xid, (SELECT max(position) FROM ${schema}.events) AS newest`,
  );
  const { next_xid: nextXid, newest } = check.rows[0]!;
  if (newest !== null && Number(newest) >= Number(nextXid) * 4096) {
    throw new Error(
      `${schema}.events holds position ${newest}, past this cluster's next transaction id ${nextXid} × 4096: the store was restored into another cluster; ` +
        'advance its transaction ids (pg_resetwal --epoch) before writing (docs/architecture.md)',
    );
  }

  const q = (name: string, text: string) => ({ name: `bazaar-es-${schema}-${name}`, text });
  const appendSql = q('append', `SELECT next_revision, last_position FROM ${schema}.append_events($1::jsonb)`);
  const columns = 'position, id, stream_id, revision, type, data, metadata, recorded_at';
  const streamSql = q('stream', `SELECT ${columns} FROM ${schema}.events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`);
  const allSql = q('all', `SELECT ${columns} FROM ${schema}.events WHERE position > $1 AND position < (SELECT ${FENCE}) ORDER BY position LIMIT $2`);
  const headSql = q('head', `SELECT coalesce(max(position), 0) AS head FROM ${schema}.events WHERE position < (SELECT ${FENCE})`);
  const heldSql = q('held', `SELECT coalesce((SELECT max(position) FROM ${schema}.events) >= (SELECT ${FENCE}), false) AS held`);

  let closed = false;
  /** Bumped on every possible change (own commit, notification, reconnect): a waiter that read before it returns at once. */
  let generation = 0;
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const changed = () => {
    generation++;
    changes.emit('change');
  };

  // ---- notifications to other processes: after the commit, never inside it, at most one in flight.
  // NOTIFY takes a transaction id, so it commits like a write: asynchronously (the notification is delivered
  // at commit either way; a crash loses nothing a subscriber's poll would not find). One simple-protocol
  // query: its two statements run as one implicit transaction, so SET LOCAL applies to it alone.
  const notifySql = `SET LOCAL synchronous_commit = off; SELECT pg_notify('${channel}', '')`;
  let notifying: Promise<void> | null = null;
  let notifyTimer: NodeJS.Timeout | null = null;
  let notifyAgain = false;
  let lastNotify = -Infinity;
  const sendNotify = () => {
    lastNotify = performance.now();
    notifying = pool
      .query(notifySql)
      .then(
        () => undefined,
        () => undefined, // best effort: the subscribers' timers cover a lost notification
      )
      .then(() => {
        notifying = null;
        if (notifyAgain) {
          notifyAgain = false;
          notifyOthers();
        }
      });
  };
  /** Called after each commit: a NOTIFY starts after it, at most one in flight and one per NOTIFY_GAP_MS. */
  const notifyOthers = () => {
    if (notifying) {
      notifyAgain = true;
      return;
    }
    if (notifyTimer) return; // the scheduled one starts after this commit
    const wait = lastNotify + NOTIFY_GAP_MS - performance.now();
    if (wait <= 0) return sendNotify();
    notifyTimer = setTimeout(() => {
      notifyTimer = null;
      sendNotify();
    }, wait);
  };

  // ---- the LISTEN connection: opened with the first subscription, reopened when lost.
  let listener: pg.Client | null = null;
  let listening = false;
  let listenerStarted = false;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let reconnectDelay = 250;
  const startListener = () => {
    if (listenerStarted || closed) return;
    listenerStarted = true;
    void connectListener();
  };
  async function connectListener(): Promise<void> {
    reconnectTimer = null;
    if (closed) return;
    const client = new pg.Client({ ...pool.options, application_name: LISTENER_APPLICATION });
    listener = client;
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      listening = false;
      if (listener === client) listener = null;
      client.end().catch(() => undefined);
      if (closed) return;
      changed(); // subscribers poll fast while deaf
      reconnectTimer = setTimeout(() => void connectListener(), reconnectDelay);
      reconnectTimer.unref?.();
      reconnectDelay = Math.min(reconnectDelay * 2, 5000);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (message) => {
      if (message.channel === channel) changed();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
      if (closed || lost) return void client.end().catch(() => undefined);
      listening = true;
      reconnectDelay = 250;
      changed(); // what was appended while deaf
    } catch {
      onLost();
    }
  }

  /** Resolves on the next change after `seen`, after `ms`, or on abort. */
  function waitForChange(seen: number, ms: number, signal: AbortSignal): Promise<void> {
    if (generation !== seen || signal.aborted || closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        changes.off('change', finish);
        signal.removeEventListener('abort', finish);
        resolve();
      }
      changes.on('change', finish);
      signal.addEventListener('abort', finish, { once: true });
    });
  }

  async function write(appends: StreamAppend[]): Promise<AppendResult[]> {
    if (closed) throw new Error('event store is closed');
    const total = appends.reduce((sum, { events }) => sum + events.length, 0);
    if (total > MAX_EVENTS_PER_TRANSACTION) {
      throw new Error(`an append may write at most ${MAX_EVENTS_PER_TRANSACTION} events in one transaction (got ${total}): split it`);
    }
    const payload = JSON.stringify(
      appends.map(({ streamId, events, expected }) => ({
        s: streamId,
        x: expected,
        c: events.some((event) => event.id !== undefined),
        e: events.map((event) => ({ i: event.id ?? uuid7(), t: event.type, d: event.data ?? null, m: event.metadata ?? {} })),
      })),
    );
    let rows: Array<{ next_revision: number | string; last_position: number | string }>;
    try {
      ({ rows } = await pool.query({ ...appendSql, values: [payload] }));
    } catch (error) {
      throw translate(error, appends);
    }
    changed();
    notifyOthers();
    return rows.map((row) => ({ nextRevision: Number(row.next_revision), position: Number(row.last_position) }));
  }

  async function readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const { rows } = await pool.query<EventRow>({ ...allSql, values: [options.after ?? 0, options.maxCount ?? null] });
    return rows.map(toRecorded);
  }

  const subscriptions = new Set<Subscription>();

  function subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions = {}): Subscription {
    const abort = new AbortController();
    const batchSize = options.batchSize ?? 500;
    let after = options.after ?? 0;
    if (closed) abort.abort();
    else startListener();

    const done = (async () => {
      let failures = 0;
      while (!abort.signal.aborted) {
        const seen = generation;
        let events: RecordedEvent[];
        let held = false;
        try {
          events = await readAll({ after, maxCount: batchSize });
          if (events.length === 0 && !abort.signal.aborted) held = Boolean((await pool.query<{ held: boolean }>(heldSql)).rows[0]?.held);
          failures = 0;
        } catch (error) {
          if (abort.signal.aborted) break;
          if (!isConnectionError(error)) throw error;
          await sleep(Math.min(100 * 2 ** failures++, 5000), abort.signal); // the server is away: try again, later
          continue;
        }
        if (abort.signal.aborted) break;
        if (events.length === 0) {
          // Rows past the fence wait for an older transaction: it may be another database's, which notifies nobody.
          await waitForChange(seen, held || !listening ? fastPollMs : pollMs, abort.signal);
          continue;
        }
        await handler(events);
        after = events[events.length - 1]!.position;
      }
    })();
    done.catch(() => undefined); // observed through `done` by the owner

    const subscription: Subscription = {
      done,
      async close() {
        abort.abort();
        await done.catch(() => undefined);
        subscriptions.delete(subscription);
      },
    };
    subscriptions.add(subscription);
    done.finally(() => subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  const countSql = q('count', `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${schema}.events WHERE position > $1 AND position <= $2 LIMIT $3) AS counted`);

  // Not returned as a literal: countEvents is an optional member of the port.
  const store = {
    atomicAppends: true,

    async append(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
      if (events.length === 0) throw new Error('append needs at least one event');
      return (await write([{ streamId, events, expected }]))[0]!;
    },

    async appendAll(appends: StreamAppend[]): Promise<AppendResult[]> {
      assertDistinctStreams(appends);
      return write(appends);
    },

    async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      if (options.maxCount === 0) return [];
      const { rows } = await pool.query<EventRow>({ ...streamSql, values: [streamId, options.fromRevision ?? 0, options.maxCount ?? null] });
      return rows.map(toRecorded);
    },

    readAll,
    subscribeToAll,

    async headPosition(): Promise<number> {
      const { rows } = await pool.query<{ head: number | string }>(headSql);
      return Number(rows[0]?.head ?? 0);
    },

    /** Events in (after, upTo], at most `limit`: positions carry the transaction id, so their differences are no counts. */
    async countEvents(after: number, upTo: number, limit: number): Promise<number> {
      if (upTo <= after) return 0;
      const { rows } = await pool.query<{ n: number }>({ ...countSql, values: [after, upTo, limit] });
      return Number(rows[0]?.n ?? 0);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const client = listener;
      listener = null;
      listening = false;
      if (client) await client.end().catch(() => undefined);
      if (notifyTimer) {
        clearTimeout(notifyTimer);
        notifyTimer = null;
        sendNotify();
      }
      while (notifying) await notifying;
      changes.emit('change');
    },
  };
  // A lost connection (server down or restarting) reaches callers as EngineUnavailableError: HTTP 503.
  return translateErrors(store satisfies EventStore as EventStore, postgresError);
}

/** Maps the function's refusals to the port's errors. */
function translate(error: unknown, appends: StreamAppend[]): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === CONFLICT) {
    const [index, actual] = String((error as { detail?: unknown }).detail ?? '').split(' ');
    const append = appends[Number(index)];
    if (append) {
      const current = Number(actual);
      return new ConcurrencyError(append.streamId, String(append.expected), current < 0 ? 'no_stream' : String(current));
    }
  }
  if (code === TOO_MANY || code === REPLAY_MISMATCH || code === POSITIONS_EXHAUSTED || code === OUT_OF_ORDER) return new Error((error as Error).message, { cause: error });
  if (code === '23505' && /events_id_key/.test(String((error as { constraint?: unknown }).constraint ?? ''))) {
    return new Error(`an event id of this append is already recorded elsewhere: ${(error as Error).message}`, { cause: error });
  }
  return error;
}
