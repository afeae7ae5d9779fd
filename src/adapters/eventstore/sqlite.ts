import { EventEmitter } from 'node:events';
import { uuid7 } from '../../kernel/uuid7.js';
import { LruMap } from '../../kernel/lru-map.js';
import type Database from 'better-sqlite3';
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
import { ConcurrencyError } from '../../kernel/errors.js';
import { groupCommit, immediateBatchWrite, type Outcome } from '../sqlite/group-commit.js';
import { assertDistinctStreams } from './checks.js';
import { pollingSubscription } from './polling-subscription.js';
import { deepFreeze, TailCache } from './tail-cache.js';

interface EventRow {
  position: number;
  id: string;
  stream_id: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: string;
}

const toRecorded = (row: EventRow): RecordedEvent => ({
  id: row.id,
  streamId: row.stream_id,
  revision: row.revision,
  position: row.position,
  type: row.type,
  data: JSON.parse(row.data) as unknown,
  metadata: JSON.parse(row.metadata) as EventMetadata,
  recordedAt: row.recorded_at,
});

/**
 * A recorded event whose `data` and `metadata` are parsed on first use (then frozen): what the subscriptions
 * read. A reactor or projection looks at the stream and type of every event and at the body of the few it
 * handles; parsing every body up front (a pay order's is kilobytes) cost the API thread's reactors more than
 * all their other work, and the parsed objects lived in the tail cache long enough to burden the collector.
 * The event itself is frozen: to readers it is the same immutable value as an eagerly parsed one.
 */
function lazyRecorded(row: EventRow): RecordedEvent {
  let dataText: string | null = row.data;
  let metadataText: string | null = row.metadata;
  let data: unknown;
  let metadata: EventMetadata | undefined;
  return Object.freeze({
    id: row.id,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    type: row.type,
    get data(): unknown {
      if (dataText !== null) {
        data = deepFreeze(JSON.parse(dataText) as unknown);
        dataText = null;
      }
      return data;
    },
    get metadata(): EventMetadata {
      if (metadataText !== null) {
        metadata = deepFreeze(JSON.parse(metadataText) as EventMetadata);
        metadataText = null;
      }
      return metadata!;
    },
    recordedAt: row.recorded_at,
  });
}

export interface SqliteEventStoreOptions {
  /** How often to look for events written by other processes (ms). */
  pollIntervalMs?: number;
}

/**
 * EventStore on SQLite: one `events` table with UNIQUE(stream_id, revision) and the rowid as the
 * global position. Appends that arrive in the same tick are written in one IMMEDIATE transaction
 * (group commit); each keeps its own expected-revision check, so one conflict fails only its caller.
 * A multi-stream append (`appendAll`) is one caller: all its streams are written, or none.
 */
export function sqliteEventStore(db: Database.Database, options: SqliteEventStoreOptions = {}): EventStore {
  // Waits for a lock first: switching to WAL takes one, and several processes may open the file at once.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (
      position    INTEGER PRIMARY KEY AUTOINCREMENT,
      id          TEXT NOT NULL UNIQUE,
      stream_id   TEXT NOT NULL,
      revision    INTEGER NOT NULL,
      type        TEXT NOT NULL,
      data        TEXT NOT NULL,
      metadata    TEXT NOT NULL,
      recorded_at TEXT NOT NULL,
      UNIQUE (stream_id, revision)
    );
  `);

  const currentRevision = db.prepare<[string], { revision: number | null }>(
    'SELECT max(revision) AS revision FROM events WHERE stream_id = ?',
  );
  // Positional parameters: binding by name costs about 1 µs more per row.
  const insert = db.prepare<[string, string, number, string, string, string, string]>(
    `INSERT INTO events (id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  // A bound LIMIT costs a query about 5 µs more than none or a literal one: reads without a limit, and the
  // subscriptions' fixed batch sizes, get statements of their own.
  const selectStream = db.prepare<[string, number], EventRow>('SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision');
  const selectStreamLimited = db.prepare<[string, number, number], EventRow>('SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?');
  const selectAll = db.prepare<[number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position');
  const selectAllLimited = new Map<number, Database.Statement<[number], EventRow>>();
  const selectAllUpTo = (maxCount: number): Database.Statement<[number], EventRow> => {
    const limit = Math.trunc(maxCount);
    let statement = selectAllLimited.get(limit);
    if (!statement) {
      statement = db.prepare<[number], EventRow>(`SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ${limit}`);
      if (selectAllLimited.size < 64) selectAllLimited.set(limit, statement);
    }
    return statement;
  };
  const dataVersion = db.prepare<[], { data_version: number }>('PRAGMA data_version');

  /**
   * Per stream, a revision at and past which the stream has no event, as far as this connection knows: set by
   * its reads and its commits. A read from there on answers "nothing newer" without a query: the command
   * handlers read each stream from their cached revision on every command, and those reads (several per
   * checkout) nearly always find nothing. All of it is forgotten when another connection has appended (the
   * head moved past this connection's own commits: checked by the `data_version` poller and at each commit),
   * and a stream's entry when an append to it conflicts. So another process's append reaches this one's
   * command reads up to `pollIntervalMs` late; appends are still checked against the stored revision, so a
   * command decided on such a read fails and retries on the newer state.
   */
  const emptyFrom = new LruMap<string, number>(100_000);
  const selectHead = db.prepare<[], { head: number | null }>('SELECT max(position) AS head FROM events');
  const countBetween = db.prepare<[number, number, number], { count: number }>('SELECT count(*) AS count FROM (SELECT 1 FROM events WHERE position > ? AND position <= ? LIMIT ?)');
  /** The last position this connection knows was written, by itself or (seen by the poller) by another. */
  let knownHead = selectHead.get()?.head ?? 0;
  let writtenHead = knownHead;
  const noticeHead = (head: number) => {
    if (head === knownHead) return;
    emptyFrom.clear(); // another connection appended: what this one knew of stream ends may be stale
    knownHead = head;
  };

  const appended = new EventEmitter();
  appended.setMaxListeners(0);
  const pollIntervalMs = options.pollIntervalMs ?? 25;
  let closed = false;

  // One request is one caller's append: one stream, or several written all or none.
  const writeBatch = db.transaction((batch: StreamAppend[][]): Array<Outcome<AppendResult[]>> => {
    const revisions = new Map<string, number>();
    const revisionOf = (streamId: string) => {
      let revision = revisions.get(streamId);
      if (revision === undefined) revisions.set(streamId, (revision = currentRevision.get(streamId)?.revision ?? -1));
      return revision;
    };
    noticeHead(selectHead.get()?.head ?? 0);
    writtenHead = knownHead; // what a rolled-back batch wrote is not there
    const outcomes: Array<Outcome<AppendResult[]>> = [];
    const recordedAt = new Date().toISOString();
    // The events of one command share their metadata object: serialized once.
    const metadataTexts = new Map<object, string>();
    const metadataText = (metadata: object | undefined) => {
      if (!metadata) return '{}';
      let text = metadataTexts.get(metadata);
      if (text === undefined) metadataTexts.set(metadata, (text = JSON.stringify(metadata)));
      return text;
    };
    for (const appends of batch) {
      // Every stream's expected revision is checked before anything is written: a failure writes nothing.
      const failure = appends.map(({ streamId, expected }) => checkExpected(streamId, expected, revisionOf(streamId))).find(Boolean);
      if (failure) {
        for (const { streamId } of appends) emptyFrom.delete(streamId); // the caller read a stale end: read it again
        outcomes.push({ ok: false, error: failure });
        continue;
      }
      const results = appends.map(({ streamId, events }) => {
        let revision = revisionOf(streamId);
        let position = 0;
        for (const event of events) {
          revision += 1;
          // a time-ordered id: each insert lands at the right edge of the UNIQUE(id) index instead of on a random page
          position = Number(insert.run(event.id ?? uuid7(), streamId, revision, event.type, JSON.stringify(event.data ?? null), metadataText(event.metadata), recordedAt).lastInsertRowid);
        }
        revisions.set(streamId, revision);
        emptyFrom.set(streamId, revision + 1); // true even should the transaction roll back: fewer events, not more
        writtenHead = Math.max(writtenHead, position);
        return { nextRevision: revision, position };
      });
      outcomes.push({ ok: true, value: results });
    }
    return outcomes;
  });

  // The group commit runs at the first of: the check phase (setImmediate: at once when the loop is quiet)
  // or the timers phase (a 0 ms timer: under load, before the next poll phase reads new requests). An append
  // made by a request that appends several times in a row (checkout: the reservation, then the pay order
  // and its orders) thus waits for the requests already in flight, not for every one that arrived meanwhile.
  const commits = groupCommit(immediateBatchWrite(db, writeBatch), {
    schedule: (flush) => {
      const immediate = setImmediate(flush);
      const timer = setTimeout(flush, 0);
      return () => {
        clearImmediate(immediate);
        clearTimeout(timer);
      };
    },
    committed: () => {
      knownHead = Math.max(knownHead, writtenHead);
      appended.emit('append');
    },
  });

  // Appends of other processes: one poller for every subscription, always running, so a commit that lands
  // between a subscription's read and its wait is still seen (the poller's last look was before the read:
  // no timer runs between the two).
  let lastDataVersion = dataVersion.get()!.data_version;
  const poller = setInterval(() => {
    if (!db.open) return clearInterval(poller);
    const version = dataVersion.get()!.data_version;
    if (version === lastDataVersion) return;
    lastDataVersion = version;
    noticeHead(selectHead.get()?.head ?? 0);
    appended.emit('append');
  }, pollIntervalMs);
  poller.unref();

  /** Resolves on the next append (here or, through the poller, elsewhere); a closed store waits only for `signal`. */
  async function waitForChange(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        appended.off('append', finish);
        signal.removeEventListener('abort', finish);
        resolve();
      };
      if (!closed) appended.once('append', finish);
      signal.addEventListener('abort', finish, { once: true });
    });
  }

  const tail = new TailCache();
  const readStore = (after: number, maxCount: number) => (maxCount < 0 ? selectAll.all(after) : selectAllUpTo(maxCount).all(after)).map(lazyRecorded);
  const readAll = async (options: ReadAllOptions = {}): Promise<RecordedEvent[]> => tail.read(options.after ?? 0, options.maxCount ?? -1, readStore);

  /** Queues the appends for the next group commit (this tick's appends share one transaction). */
  const enqueue = (appends: StreamAppend[]): Promise<AppendResult[]> => (closed ? Promise.reject(new Error('event store is closed')) : commits.submit(appends));

  return {
    atomicAppends: true,

    append(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
      if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
      return enqueue([{ streamId, events, expected }]).then((results) => results[0]!);
    },

    appendAll(appends: StreamAppend[]): Promise<AppendResult[]> {
      try {
        assertDistinctStreams(appends);
      } catch (error) {
        return Promise.reject(error);
      }
      return enqueue(appends);
    },

    async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      const fromRevision = options.fromRevision ?? 0;
      const known = emptyFrom.get(streamId);
      if (known !== undefined && fromRevision >= known) return [];
      const rows = options.maxCount === undefined ? selectStream.all(streamId, fromRevision) : selectStreamLimited.all(streamId, fromRevision, options.maxCount);
      // Read to the end: nothing lies past the last row (or past `fromRevision` when there is none).
      if (options.maxCount === undefined || rows.length < options.maxCount) emptyFrom.set(streamId, rows.length > 0 ? rows[rows.length - 1]!.revision + 1 : fromRevision);
      return rows.map(toRecorded);
    },

    readAll,

    subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions = {}): Subscription {
      return pollingSubscription({ readAll: (o) => readAll(o), waitForChange }, handler, options);
    },

    async headPosition(): Promise<number> {
      return selectHead.get()?.head ?? 0;
    },

    async countEvents(after: number, upTo: number, limit: number): Promise<number> {
      return upTo <= after ? 0 : (countBetween.get(after, upTo, limit)?.count ?? 0);
    },

    async close(): Promise<void> {
      commits.flush();
      closed = true;
      clearInterval(poller);
      appended.emit('append');
    },
  };
}

function checkExpected(streamId: string, expected: ExpectedRevision, current: number): ConcurrencyError | undefined {
  const actual = current < 0 ? 'no_stream' : String(current);
  if (expected === 'any') return undefined;
  if (expected === 'no_stream') return current < 0 ? undefined : new ConcurrencyError(streamId, 'no_stream', actual);
  if (expected === 'exists') return current >= 0 ? undefined : new ConcurrencyError(streamId, 'exists', actual);
  return expected === current ? undefined : new ConcurrencyError(streamId, String(expected), actual);
}
