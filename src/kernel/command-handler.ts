import type { AppendResult, EventMetadata, EventStore, StreamAppend } from '../ports/event-store.js';
import { ConcurrencyError, VersionConflict } from './errors.js';
import type { Decider, DomainEvent } from './decider.js';
import { LruMap } from './lru-map.js';

export interface CommandResult<Event, State> {
  /** Events this command appended (empty when its outcome already held). */
  events: Event[];
  state: State;
  /** Revision of the stream after the command; -1 when the stream does not exist. */
  revision: number;
  /** Global position of the stream's last event (0 when it does not exist). */
  position: number;
}

export interface HandleOptions {
  metadata?: EventMetadata;
  /** The client's If-Match: the revision it last saw. Stale → VersionConflict. */
  expectedRevision?: number;
  /** Attempts on a concurrency conflict before giving up. Default 5. */
  maxAttempts?: number;
}

/** Optional observation of a handler (metrics); no behaviour depends on it. */
export interface CommandHooks {
  /** An append lost a concurrency race and the command is tried again (`attempt` is the one that failed). */
  onRetry?(streamId: string, attempt: number): void;
  /** The command gave up after its last attempt on a concurrency conflict. */
  onConflict?(streamId: string, attempts: number): void;
}

/** One command of a batch, with the metadata its events carry. */
export interface BatchedCommand<Command> {
  command: Command;
  metadata?: EventMetadata;
}

export type BatchOutcome<Event, State> = { ok: true; result: CommandResult<Event, State> } | { ok: false; error: unknown };

export interface BatchOptions<State> {
  /** Attempts of the whole batch on a concurrency conflict. Default 5. */
  maxAttempts?: number;
  /**
   * A view of the state on which the batch is decided, which evolving the batch's events may change: the
   * cached state must not see events that are not committed yet (the identity when evolve never mutates).
   * It is dropped after deciding: once the append succeeds, the cached state is evolved with the events.
   */
  fork: (state: State) => State;
}

interface CachedStream<State> {
  state: State;
  revision: number;
  position: number;
}

/** A decided command not yet appended (CommandHandler.prepare). */
export interface Decision<Event, State> {
  /** Its events; none when the command's outcome already holds. */
  events: Event[];
  /** The stream as the decision saw it. */
  current: CachedStream<State>;
  append: StreamAppend;
  /** Records the append's result (caching the new state) and gives the command's result. */
  committed(appended: AppendResult): CommandResult<Event, State>;
}

/**
 * Loads an aggregate, decides and appends with the expected revision it read; retries on a
 * conflict. The folded state is cached with its revision so a command reads only the events
 * newer than the cache: its cost does not grow with the stream's length.
 */
export class CommandHandler<Command, Event extends DomainEvent, State> {
  private readonly cache: LruMap<string, CachedStream<State>>;
  private hooks: CommandHooks = {};

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<Command, Event, State>,
    cacheSize = 10_000,
  ) {
    this.cache = new LruMap(cacheSize);
  }

  /** Installs the hooks (replacing earlier ones). */
  observe(hooks: CommandHooks): void {
    this.hooks = hooks;
  }

  async load(streamId: string): Promise<CachedStream<State>> {
    const cached = this.cache.get(streamId);
    let { state, revision, position } = cached ?? { state: this.decider.initialState(), revision: -1, position: 0 };
    const newer = await this.store.readStream(streamId, { fromRevision: revision + 1 });
    for (const recorded of newer) {
      state = this.decider.evolve(state, { type: recorded.type, data: recorded.data } as Event);
      revision = recorded.revision;
      position = recorded.position;
    }
    const loaded = { state, revision, position };
    this.cache.set(streamId, loaded);
    return loaded;
  }

  async handle(streamId: string, command: Command, options: HandleOptions = {}): Promise<CommandResult<Event, State>> {
    const maxAttempts = options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const decision = await this.prepare(streamId, command, options);
      if (decision.events.length === 0) return { events: [], ...decision.current };
      const { events, expected } = decision.append;
      try {
        return decision.committed(await this.store.append(streamId, events, expected));
      } catch (error) {
        this.retryOrThrow(error, streamId, attempt, maxAttempts);
        // Someone else appended; the next load reads their events on top of our cache.
      }
    }
  }

  /**
   * Loads and decides without appending, for an append of several streams at once (EventStore.appendAll):
   * the events, the append to make, and `committed` to call with its result (it caches the new state).
   * Nothing is retried here: on a conflict the caller decides what the stored streams mean.
   */
  async prepare(streamId: string, command: Command, options: Pick<HandleOptions, 'metadata' | 'expectedRevision'> & { assumeNew?: boolean } = {}): Promise<Decision<Event, State>> {
    // `assumeNew`: a stream named by an id just generated is decided on the initial state without a read; its
    // append expects no stream, so should it exist after all, the append fails and nothing is written.
    const current = options.assumeNew ? { state: this.decider.initialState(), revision: -1, position: 0 } : await this.load(streamId);
    if (options.expectedRevision !== undefined && options.expectedRevision !== current.revision) {
      throw new VersionConflict(options.expectedRevision, current.revision);
    }
    const events = this.decider.decide(command, current.state);
    return {
      events,
      current,
      append: {
        streamId,
        events: events.map((event) => ({ type: event.type, data: event.data, metadata: options.metadata })),
        expected: current.revision < 0 ? 'no_stream' : current.revision,
      },
      committed: (appended) => {
        const next = { state: events.reduce(this.decider.evolve, current.state), revision: appended.nextRevision, position: appended.position };
        this.cache.set(streamId, next);
        return { events, ...next };
      },
    };
  }

  /**
   * Decides several commands on one stream as one unit of work (docs/design.md §7, a hot stream's queue drained
   * per append): each is decided on the state the earlier ones left, and all their events are appended at
   * once. A command whose decide throws gets its error and adds nothing; a conflict retries the whole batch.
   * Each result carries its own events and revision, and the batch's final state and position.
   */
  async handleBatch(streamId: string, commands: Array<BatchedCommand<Command>>, options: BatchOptions<State>): Promise<Array<BatchOutcome<Event, State>>> {
    const maxAttempts = options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const current = await this.load(streamId);
      let view = options.fork(current.state);
      const decided: Array<{ events: Event[]; revision: number } | { error: unknown }> = [];
      const pending: Array<{ type: string; data: unknown; metadata?: EventMetadata }> = [];
      const all: Event[] = [];
      for (const { command, metadata } of commands) {
        let events: Event[];
        try {
          events = this.decider.decide(command, view);
        } catch (error) {
          decided.push({ error });
          continue;
        }
        for (const event of events) {
          view = this.decider.evolve(view, event);
          all.push(event);
          pending.push({ type: event.type, data: event.data, metadata });
        }
        decided.push({ events, revision: current.revision + pending.length });
      }
      if (pending.length === 0) return decided.map((outcome) => ('error' in outcome ? { ok: false, error: outcome.error } : { ok: true, result: { events: [], ...current } }));
      try {
        const appended = await this.store.append(streamId, pending, current.revision < 0 ? 'no_stream' : current.revision);
        const state = all.reduce(this.decider.evolve, current.state);
        const next = { state, revision: appended.nextRevision, position: appended.position };
        this.cache.set(streamId, next);
        return decided.map((outcome) =>
          'error' in outcome
            ? { ok: false, error: outcome.error }
            : { ok: true, result: { events: outcome.events, state, revision: outcome.events.length > 0 ? outcome.revision : current.revision, position: appended.position } },
        );
      } catch (error) {
        this.retryOrThrow(error, streamId, attempt, maxAttempts);
      }
    }
  }

  /** Returns when the failed append lost a concurrency race and may be tried again; throws otherwise. */
  private retryOrThrow(error: unknown, streamId: string, attempt: number, maxAttempts: number): void {
    if (!(error instanceof ConcurrencyError)) throw error;
    // Reading on top of the cache finds the newer events only when the store is ahead of it; if it is not
    // (an append reported that never committed, a store restored from a backup), start from scratch.
    if (!(revisionOf(error.actual) > revisionOf(error.expected))) this.cache.delete(streamId);
    if (attempt >= maxAttempts) {
      this.hooks.onConflict?.(streamId, attempt);
      throw error;
    }
    this.hooks.onRetry?.(streamId, attempt);
  }
}

/** A ConcurrencyError's revision text as a number: no_stream is -1, anything unreadable NaN. */
function revisionOf(text: string): number {
  return text === 'no_stream' ? -1 : /^\d+$/.test(text) ? Number(text) : Number.NaN;
}
