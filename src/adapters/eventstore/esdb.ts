import { createHash, randomUUID } from 'node:crypto';
import {
  ANY,
  BACKWARDS,
  CancelledError,
  DeadlineExceededError,
  END,
  FORWARDS,
  NO_STREAM,
  NotLeaderError,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  isCommandError,
  jsonEvent,
  type AllStreamRecordedEvent,
  type AllStreamResolvedEvent,
  KurrentDBClient,
  type AllStreamSubscription,
  type AppendStreamState,
  type JSONType,
  type Position,
  type ReadPosition,
  type RecordedEvent as EsdbRecordedEvent,
} from '@kurrent/kurrentdb-client';
import type {
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  StreamAppend,
  Subscription,
  SubscriptionHandler,
} from '../../ports/event-store.js';
import { ConcurrencyError, EngineUnavailableError, translateErrors } from '../../kernel/errors.js';
import { assertDistinctStreams } from './checks.js';

/*
 * Global positions.
 *
 * EventStoreDB gives every record in $all a `{ commit, prepare }` pair of byte offsets in its
 * transaction log. Our port has one number; we use the COMMIT position, and map a number n back to
 * `{ commit: n, prepare: n }` to resume reading or subscribing after it. Why that is sound:
 *
 * - Events appended over gRPC are written as implicit transactions: one prepare record per event,
 *   each flagged IsCommitted, with no separate commit record. The server's AllReader yields each
 *   such event as `CommitEventRecord(event, prepare.LogPosition)`, so commit === prepare === the
 *   event's own log offset: unique per event and strictly increasing in $all order, even for the
 *   events of one multi-event append (EventStore/EventStore src/EventStore.Core/Services/Storage/
 *   ReaderIndex/AllReader.cs). Before server 20.6.1 gRPC reported the *transaction* position as
 *   `prepare` for every event of a batch while `commit` was already per event (kurrent-io/
 *   KurrentDB-Client-Dotnet#20, fixed by kurrent-io/KurrentDB#2522): commit is the component that
 *   is unique on every version.
 * - The append response carries the commit position of the LAST event written: the storage chaser
 *   acks an implicit transaction with the last prepare's LogPosition (StorageChaser.cs,
 *   `CommitAck(record.LogPosition, record.TransactionPosition, …)` on TransactionEnd) and the
 *   WriteEvents request manager answers `(CommitPosition, CommitPosition)`. So
 *   `AppendResult.position` equals the `position` the last event has when read from $all.
 * - Only legacy explicit transactions (TCP API, removed from the server in 24.x) share one commit
 *   position between several events; this adapter never writes them and does not support a store
 *   that contains them.
 * - A forward $all read from a position is inclusive, a subscription's start is exclusive
 *   (kurrent-io/KurrentDB#3230); both paths below also drop anything at or below `after`, so the
 *   port's "strictly greater than" holds either way.
 * - Offsets are bytes: Number is exact up to 2^53 bytes (8 PiB of log), checked on conversion.
 *
 * System events (types starting with `$`: stream metadata, projection links, stats) are not ours:
 * subscriptions filter them on the server (`excludeSystemEvents()`); readAll and headPosition skip them
 * here with the same rule while paging $all by position (the client's server-side read filter would change
 * what a page of `maxCount` holds; that path has not been run against a server here).
 */
const isSystemType = (type: string) => type.startsWith('$');

const toNumber = (value: bigint, what: string): number => {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < 0n) throw new RangeError(`${what} ${value} does not fit a safe integer`);
  return Number(value);
};

const positionNumber = (position: Position) => toNumber(position.commit, 'log position');
const positionOf = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });
const comparePositions = (a: Position, b: Position) =>
  a.commit === b.commit ? (a.prepare === b.prepare ? 0 : a.prepare < b.prepare ? -1 : 1) : a.commit < b.commit ? -1 : 1;

/** EventStoreDB needs UUID event ids; a ULID (or any other id) is mapped to a stable UUID and kept in metadata. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ORIGINAL_ID = 'originalEventId';

function esdbEventId(id: string): string {
  if (UUID.test(id)) return id;
  const hex = createHash('sha256').update(id).digest('hex');
  // RFC 9562 layout, version 8 (custom), variant 10xx.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function decodeData(event: EsdbRecordedEvent): unknown {
  if (event.isJson) return event.data;
  const bytes = event.data as Uint8Array;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    return bytes;
  }
}

function toRecorded(event: EsdbRecordedEvent): RecordedEvent {
  // Servers before 22.6 send no position (or the -1 sentinel, read as 2^64-1) on stream reads.
  if (!event.position || event.position.commit >= 1n << 63n) {
    throw new Error(`EventStoreDB returned event ${event.streamId}@${event.revision} without its $all position (server 22.6 or newer is needed)`);
  }
  const raw = event.metadata;
  const metadata: EventMetadata =
    raw && typeof raw === 'object' && !Array.isArray(raw) && !(raw instanceof Uint8Array) ? { ...(raw as EventMetadata) } : {};
  const original = metadata[ORIGINAL_ID];
  delete metadata[ORIGINAL_ID];
  return {
    id: typeof original === 'string' ? original : event.id,
    streamId: event.streamId,
    revision: toNumber(event.revision, 'revision'),
    position: positionNumber(event.position),
    type: event.type,
    data: decodeData(event),
    metadata,
    recordedAt: event.created.toISOString(),
  };
}

function toEventData(event: NewEvent) {
  const id = event.id ?? randomUUID();
  const esdbId = esdbEventId(id);
  const metadata: EventMetadata = { ...(event.metadata ?? {}) };
  if (esdbId !== id) metadata[ORIGINAL_ID] = id;
  // JSON content type. The client's JSONType excludes bare numbers, booleans and null, but it only
  // JSON.stringify()s the value, so any JSON value round-trips.
  return jsonEvent({ id: esdbId, type: event.type, data: (event.data ?? null) as JSONType, metadata: metadata as JSONType });
}

function streamState(expected: ExpectedRevision): AppendStreamState {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  if (expected === 'exists') return STREAM_EXISTS;
  return BigInt(expected);
}

const revisionText = (revision: AppendStreamState | bigint | string) => (revision === STREAM_EXISTS ? 'exists' : String(revision));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const PAGE = 500;

/** The connection-string schemes of KurrentDB / EventStoreDB (the client's own list plus the older `esdb`). */
export const EVENTSTORE_URL_SCHEME = /^(esdb|kurrentdb|kurrent|kdb)(\+discover)?:\/\//;

/**
 * The client for EVENTSTORE_URL, as the runtime builds it. `esdb://` and `esdb+discover://` are the
 * EventStoreDB names of `kurrentdb://` and `kurrentdb+discover://`: the client still parses them the same
 * but prints a deprecation warning on every construction, so they are passed on under the new name.
 */
export function eventStoreDbClient(url: string): KurrentDBClient {
  const match = EVENTSTORE_URL_SCHEME.exec(url.trim());
  if (!match) throw new Error('EVENTSTORE_URL must be a kurrentdb:// (or esdb://, kdb://, kurrent://, …+discover://) connection string');
  const rest = url.trim().slice(match[0].length);
  const scheme = match[1] === 'esdb' ? 'kurrentdb' : match[1]!;
  return KurrentDBClient.connectionString(`${scheme}${match[2] ?? ''}://${rest}`);
}

/** What discovery (`…+discover://` or several hosts) throws when no node of the cluster answers its gossip. */
const DISCOVERY_FAILED = /^Failed to discover after \d+ attempts/;
/** gRPC DEADLINE_EXCEEDED and UNAVAILABLE, and ABORTED: what the server answers an operation it timed out (no quorum). */
const DEADLINE_EXCEEDED = 4;
const ABORTED = 10;
const UNAVAILABLE = 14;

/**
 * Whether a @kurrent/kurrentdb-client error means the server is away or cannot serve right now: no connection
 * (UnavailableError, which the client also makes of INTERNAL, DATA_LOSS and lost streams), no answer within the
 * deadline, an operation the server timed out (ABORTED: a cluster without quorum) or cancelled (a node shutting
 * down), a node that is no longer the leader (failing over), or no node found by discovery. Some calls reject
 * with grpc-js's ServiceError as it is (an append without a connection): its status code decides. Refusals of
 * the request itself (wrong expected version, access denied, deleted stream, too large…) are not.
 */
export function isEventStoreDbUnavailable(error: unknown): boolean {
  if (error instanceof EngineUnavailableError) return true;
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof CancelledError ||
    error instanceof NotLeaderError
  ) {
    return true;
  }
  if (!(error instanceof Error)) return false;
  const { code, details } = error as { code?: unknown; details?: unknown };
  if (error instanceof UnknownError) return code === ABORTED;
  if (!isCommandError(error) && typeof details === 'string') return code === UNAVAILABLE || code === DEADLINE_EXCEEDED;
  return DISCOVERY_FAILED.test(error.message);
}

/** `error` as EngineUnavailableError when EventStoreDB is away (isEventStoreDbUnavailable), else unchanged. */
export function eventStoreDbError(error: unknown): unknown {
  if (error instanceof EngineUnavailableError || !isEventStoreDbUnavailable(error)) return error;
  return new EngineUnavailableError('eventstoredb', 2, { cause: error });
}

/**
 * EventStore on KurrentDB / EventStoreDB. Every method throws EngineUnavailableError when the server cannot
 * serve (eventStoreDbError); a subscription's `done` rejects with the client's own error, for its owner to
 * resubscribe.
 */
export function esdbEventStore(client: KurrentDBClient): EventStore {
  const subscriptions = new Set<Subscription>();
  let closed = false;

  /** Reads $all in `direction` from `from`, skipping system events, until `wanted` user events or the end. */
  async function scanAll(
    direction: typeof FORWARDS | typeof BACKWARDS,
    from: ReadPosition,
    wanted: number,
    keep: (event: AllStreamRecordedEvent) => boolean = () => true,
  ): Promise<AllStreamRecordedEvent[]> {
    const found: AllStreamRecordedEvent[] = [];
    const pageSize = Number.isFinite(wanted) ? Math.min(PAGE, Math.max(32, wanted * 2)) : PAGE;
    let fromPosition = from;
    let last: Position | undefined;
    while (found.length < wanted) {
      const page = await collect<AllStreamResolvedEvent>(client.readAll({ direction, fromPosition, maxCount: pageSize }));
      let progressed = false;
      for (const { event } of page) {
        if (!event) continue;
        // A read from a position may or may not include the record at that position: skip what we have seen.
        if (last && (direction === FORWARDS ? comparePositions(event.position, last) <= 0 : comparePositions(event.position, last) >= 0)) continue;
        last = event.position;
        progressed = true;
        if (isSystemType(event.type) || !keep(event)) continue;
        found.push(event);
        if (found.length >= wanted) break;
      }
      if (page.length < pageSize || !progressed || !last) break;
      fromPosition = last;
    }
    return found;
  }

  async function readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? 0;
    const events = await scanAll(
      FORWARDS,
      after > 0 ? positionOf(after) : START,
      options.maxCount ?? Number.POSITIVE_INFINITY,
      (event) => positionNumber(event.position) > after,
    );
    return events.map(toRecorded);
  }

  function subscribeToAll(handler: SubscriptionHandler, options: SubscribeOptions = {}): Subscription {
    const after = options.after ?? 0;
    const batchSize = options.batchSize ?? PAGE;
    const source: AllStreamSubscription = client.subscribeToAll(
      { fromPosition: after > 0 ? positionOf(after) : START, filter: excludeSystemEvents() },
      { highWaterMark: batchSize },
    );
    let stopped = false;
    let failure: unknown;
    let ended = false;
    let wake: () => void = () => undefined;
    const onReadable = () => wake();
    const onEnd = () => {
      ended = true;
      wake();
    };
    const onError = (error: unknown) => {
      failure ??= error;
      wake();
    };
    source.on('readable', onReadable);
    source.on('end', onEnd);
    source.on('close', onEnd);
    source.on('error', onError);

    const nextBatch = async (): Promise<RecordedEvent[] | null> => {
      for (;;) {
        if (stopped) return null;
        if (failure) throw failure;
        const batch: RecordedEvent[] = [];
        let item: AllStreamResolvedEvent | null;
        while (batch.length < batchSize && (item = source.read() as AllStreamResolvedEvent | null) !== null) {
          const event = item.event;
          if (!event || isSystemType(event.type) || positionNumber(event.position) <= after) continue;
          batch.push(toRecorded(event));
        }
        if (batch.length > 0) return batch;
        if (ended) return null;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = () => undefined;
      }
    };

    const done = (async () => {
      try {
        for (;;) {
          const batch = await nextBatch();
          if (!batch) break;
          await handler(batch);
        }
        // The server ended the subscription without being asked to (shutdown, lost leader): the owner resubscribes.
        if (!stopped) throw failure ?? new Error('EventStoreDB ended the $all subscription');
      } finally {
        stopped = true;
        await source.unsubscribe().catch(() => undefined);
        source.off('readable', onReadable);
        source.destroy();
      }
    })();
    done.catch(() => undefined); // observed through `done` by the owner

    const subscription: Subscription = {
      done,
      async close() {
        stopped = true;
        wake();
        await done.catch(() => undefined);
        subscriptions.delete(subscription);
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  const store: EventStore = {
    // One append per stream. The client has multiStreamAppend, but the server must be KurrentDB 25.1 or newer
    // (infra/docker-compose.yml deploys 25.0) and it has not been run against a server here.
    atomicAppends: false,

    async appendAll(appends: StreamAppend[]): Promise<AppendResult[]> {
      assertDistinctStreams(appends);
      const results: AppendResult[] = [];
      for (const { streamId, events, expected } of appends) results.push(await store.append(streamId, events, expected));
      return results;
    },

    async append(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
      if (closed) throw new Error('event store is closed');
      if (events.length === 0) throw new Error('append needs at least one event');
      let result;
      try {
        result = await client.appendToStream(streamId, events.map(toEventData), { streamState: streamState(expected) });
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) {
          throw new ConcurrencyError(streamId, revisionText(error.expectedState), revisionText(error.actualState));
        }
        throw error;
      }
      if (!result.success) {
        // Only when the connection string sets throwOnAppendFailure=false.
        throw new ConcurrencyError(streamId, String(expected), String(result.nextExpectedRevision));
      }
      const nextRevision = toNumber(result.nextExpectedRevision, 'revision');
      if (result.position) return { nextRevision, position: positionNumber(result.position) };
      // No position in the answer (an idempotent retry of an append already written): read it back.
      const [last] = await collect(client.readStream(streamId, { fromRevision: result.nextExpectedRevision, maxCount: 1 }));
      if (!last?.event?.position) throw new Error(`EventStoreDB did not report the position of ${streamId}@${nextRevision}`);
      return { nextRevision, position: positionNumber(last.event.position) };
    },

    async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      if (options.maxCount === 0) return [];
      try {
        const resolved = await collect(
          client.readStream(streamId, {
            direction: FORWARDS,
            fromRevision: options.fromRevision ? BigInt(options.fromRevision) : START,
            ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
          }),
        );
        return resolved.flatMap(({ event }) => (event ? [toRecorded(event)] : []));
      } catch (error) {
        if (error instanceof StreamNotFoundError) return [];
        throw error;
      }
    },

    readAll,
    subscribeToAll,

    async headPosition(): Promise<number> {
      const [newest] = await scanAll(BACKWARDS, END, 1);
      return newest ? positionNumber(newest.position) : 0;
    },

    async close(): Promise<void> {
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await client.dispose();
    },
  };
  return translateErrors(store, eventStoreDbError);
}
