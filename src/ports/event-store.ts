/**
 * EventStore port: the append-only ledger every aggregate writes to.
 * Revisions are per stream (0-based); positions are global and strictly increasing.
 */

export type ExpectedRevision = 'no_stream' | 'any' | 'exists' | number;

export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  actor?: { id: string; role: string };
  idempotencyKey?: string;
  [key: string]: unknown;
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  metadata?: EventMetadata;
  /** Optional client-chosen event id (uuid or ulid); generated when absent. */
  id?: string;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  streamId: string;
  revision: number;
  position: number;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /** ISO-8601 time the store recorded the event. */
  recordedAt: string;
}

export interface AppendResult {
  /** Revision of the last event written: the stream's new current revision. */
  nextRevision: number;
  /** Global position of the last event written. */
  position: number;
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  streamId: string;
  events: NewEvent[];
  expected: ExpectedRevision;
}

export interface ReadStreamOptions {
  /** First revision to read (inclusive). Default 0. */
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events with position strictly greater than this. Default: from the start. */
  after?: number;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Deliver events with position strictly greater than this (catch-up, then live). */
  after?: number;
  /** Largest batch handed to the handler at once. */
  batchSize?: number;
}

export interface Subscription {
  /** Stops delivery; resolves when the handler is no longer running. */
  close(): Promise<void>;
  /** Settles when the subscription stops: rejects if the handler threw. */
  readonly done: Promise<void>;
}

export type SubscriptionHandler = (events: RecordedEvent[]) => Promise<void> | void;

export interface EventStore {
  append(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /**
   * Appends to several distinct streams, in order; one result per stream. `atomicAppends` says what a
   * failure leaves: true, nothing (one transaction); false, the appends before the failing one (the engine
   * has no multi-stream transaction: the first append is the caller's commit point, and the caller repairs
   * the rest, as checkout's ensureOrders does).
   */
  appendAll(appends: StreamAppend[]): Promise<AppendResult[]>;
  readonly atomicAppends: boolean;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(handler: SubscriptionHandler, options?: SubscribeOptions): Subscription;
  /** Position of the newest event in the store (0 when empty). */
  headPosition(): Promise<number>;
  /**
   * How many events lie in (after, upTo], counting at most `limit`. Positions are not event counts on every
   * engine (EventStoreDB's are byte offsets, PostgreSQL's carry the transaction id): lag is measured with this.
   * Optional: without it, callers count what `readAll` returns.
   */
  countEvents?(after: number, upTo: number, limit: number): Promise<number>;
  close(): Promise<void>;
}
