import type { EventStore, RecordedEvent, Subscription } from '../ports/event-store.js';
import { CheckpointMoved } from '../ports/view-store.js';

/** Where a projection keeps its effects: writes and checkpoint move together, atomically. */
export interface ProjectionTarget {
  readonly name: string;
  /** A read model (default) or a reactor whose effects are commands (its lag is a backlog). */
  readonly kind?: 'projection' | 'reactor';
  checkpoint(): Promise<number>;
  /**
   * Applies the events and moves the checkpoint from `from` to the last event's position in one
   * atomic step; throws CheckpointMoved when another writer moved the checkpoint first.
   */
  apply(events: RecordedEvent[], from: number): Promise<void>;
  /** Empties the read model and sets the checkpoint to 0. */
  reset(): Promise<void>;
  /**
   * Starts filling a new read model beside the live one (blue-green), which keeps serving queries and
   * taking events until the rebuild's `switch`. Targets without it are rebuilt by `reset` and a replay.
   */
  beginRebuild?(): Promise<ProjectionRebuild>;
}

/** A read model rebuilt beside the live one: applied to like a target, then switched in atomically. */
export interface ProjectionRebuild {
  checkpoint(): Promise<number>;
  apply(events: RecordedEvent[], from: number): Promise<void>;
  /**
   * Makes the rebuilt read model live with its checkpoint (the live writer, here or in another process,
   * gets CheckpointMoved and resumes from it), then drops the old one.
   */
  switch(): Promise<void>;
  /** Drops the rebuilt read model; the live one is untouched. */
  abort(): Promise<void>;
}

export interface ProjectionStatus {
  name: string;
  kind: 'projection' | 'reactor';
  checkpoint: number;
  /** Events written but not yet applied (counted up to LAG_COUNT_LIMIT), whatever the engine's positions are. */
  lag: number;
  /** How long ago the oldest event not yet applied was recorded (0 when caught up). */
  lagSeconds: number;
  /** The read model was emptied and is being refilled (a target without blue-green rebuilds). */
  rebuilding: boolean;
  /** A blue-green rebuild in this process: the new read model's checkpoint and lag; the live one serves meanwhile. */
  rebuild?: { checkpoint: number; lag: number };
  error?: string;
}

/** Lag is counted up to this many events (past it, the count says "at least"). */
export const LAG_COUNT_LIMIT = 100_000;

interface Running {
  target: ProjectionTarget;
  checkpoint: number;
  subscription?: Subscription;
  rebuilding: boolean;
  /** The checkpoint of a blue-green rebuild under way here. */
  shadow?: { checkpoint: number };
  /** Released to another process (`release`): not resubscribed after an error. */
  released?: boolean;
  error?: string;
}

export interface ProjectionRunnerOptions {
  batchSize?: number;
  /**
   * A reactor reads again at most this long after its last batch (ms, default 20): under load every group
   * commit wakes every subscription, and a reactor that reads and checkpoints each of them spends the API
   * thread's time on events it mostly ignores. Its effects are commands, so a few ms more lag is free;
   * read models are not paced (read-your-writes waits for them).
   */
  reactorPaceMs?: number;
  onError?: (name: string, error: unknown) => void;
  /** Delay before a failed projection is retried. */
  retryDelayMs?: number;
}

/**
 * Runs each projection from its stored checkpoint over a subscription to all events. Queries call
 * `waitFor(position)` to read their own writes (docs/api.md X-Min-Position).
 */
export class ProjectionRunner {
  private readonly running = new Map<string, Running>();
  private readonly waiters = new Set<() => void>();
  private head = 0;
  private stopped = true;
  private appliedListener: ((name: string, checkpoint: number) => void) | null = null;

  constructor(
    private readonly store: EventStore,
    targets: ProjectionTarget[],
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    for (const target of targets) this.running.set(target.name, { target, checkpoint: 0, rebuilding: false });
  }

  get names(): string[] {
    return [...this.running.keys()];
  }

  /** The read models (not the reactors): what a query's read-your-writes wait covers. */
  get readModelNames(): string[] {
    return [...this.running.values()].filter((entry) => (entry.target.kind ?? 'projection') === 'projection').map((entry) => entry.target.name);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.head = await this.store.headPosition();
    for (const entry of this.running.values()) entry.released = false;
    await Promise.all([...this.running.values()].map((entry) => this.subscribe(entry)));
  }

  /** Runs one projection here (this process took its lease). */
  async run(name: string): Promise<void> {
    const entry = this.entry(name);
    this.stopped = false;
    entry.released = false;
    if (!entry.subscription && !entry.rebuilding) await this.subscribe(entry);
  }

  /** Stops running one projection here (its lease went to another process); `refresh` then follows its stored checkpoint. */
  async release(name: string): Promise<void> {
    const entry = this.entry(name);
    entry.released = true;
    const subscription = entry.subscription;
    entry.subscription = undefined;
    await subscription?.close();
  }

  /** Whether the projection runs in this process. */
  isRunning(name: string): boolean {
    return Boolean(this.entry(name).subscription);
  }

  /**
   * Calls `listener` after every batch a projection running here applies, with its new checkpoint (a
   * projector thread tells the API thread this way; see `follow`). Replaces an earlier listener.
   */
  onApplied(listener: (name: string, checkpoint: number) => void): void {
    this.appliedListener = listener;
  }

  /** Another thread or process that runs `name` reports its checkpoint: waiters for it wake at once. */
  follow(name: string, checkpoint: number): void {
    const entry = this.entry(name);
    if (entry.subscription || entry.rebuilding || checkpoint <= entry.checkpoint) return;
    entry.checkpoint = checkpoint;
    this.head = Math.max(this.head, checkpoint);
    this.wake();
  }

  /** Someone waits in `waitFor` (an observer polls faster then). */
  get waiting(): boolean {
    return this.waiters.size > 0;
  }

  /**
   * Reads the stored checkpoints of the projections not running here (another process runs them) and
   * wakes the waiters: what makes `waitFor` (X-Min-Position) work in a process that runs no projections.
   */
  async refresh(): Promise<void> {
    let moved = false;
    for (const entry of this.running.values()) {
      if (entry.subscription || entry.rebuilding) continue;
      const stored = await entry.target.checkpoint();
      if (stored !== entry.checkpoint) {
        entry.checkpoint = stored;
        moved = true;
      }
    }
    if (moved) this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running.values()].map((entry) => entry.subscription?.close()));
    for (const entry of this.running.values()) entry.subscription = undefined;
    this.wake();
  }

  /** Checkpoint of one projection, or the lowest of all. */
  checkpoint(name?: string): number {
    const entries = name ? [this.entry(name)] : [...this.running.values()];
    return entries.reduce((low, entry) => Math.min(low, entry.checkpoint), Number.MAX_SAFE_INTEGER);
  }

  async status(): Promise<ProjectionStatus[]> {
    this.head = Math.max(this.head, await this.store.headPosition());
    // A projection not running here (CLI, another process owns it) reports what is stored.
    for (const entry of this.running.values()) if (!entry.subscription && !entry.rebuilding) entry.checkpoint = await entry.target.checkpoint();
    const head = this.head;
    return Promise.all(
      [...this.running.values()].map(async (entry) => ({
        name: entry.target.name,
        kind: entry.target.kind ?? 'projection',
        checkpoint: entry.checkpoint,
        ...(await this.lagBehind(entry.checkpoint, head)),
        rebuilding: entry.rebuilding,
        ...(entry.shadow ? { rebuild: { checkpoint: entry.shadow.checkpoint, lag: (await this.lagBehind(entry.shadow.checkpoint, head)).lag } } : {}),
        ...(entry.error ? { error: entry.error } : {}),
      })),
    );
  }

  /** Lag in events and in time: positions are not event counts on every engine. */
  private async lagBehind(checkpoint: number, head: number): Promise<{ lag: number; lagSeconds: number }> {
    if (checkpoint >= head) return { lag: 0, lagSeconds: 0 };
    const oldest = await this.store.readAll({ after: checkpoint, maxCount: 1 });
    const lagSeconds = oldest[0] ? Math.max(0, (Date.now() - Date.parse(oldest[0].recordedAt)) / 1000) : 0;
    const lag = this.store.countEvents
      ? await this.store.countEvents(checkpoint, head, LAG_COUNT_LIMIT)
      : (await this.store.readAll({ after: checkpoint, maxCount: LAG_COUNT_LIMIT })).filter((event) => event.position <= head).length;
    return { lag, lagSeconds: Math.round(lagSeconds * 1000) / 1000 };
  }

  /** Resolves true once the projections (or the named ones) have applied `position`; false on timeout. */
  async waitFor(position: number, timeoutMs: number, names?: string[]): Promise<boolean> {
    const caughtUp = () => (names ?? this.names).every((name) => this.entry(name).checkpoint >= position);
    if (caughtUp()) return true;
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (caughtUp()) finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(caughtUp()), timeoutMs);
      this.waiters.add(check);
    });
  }

  /**
   * Rebuilds the projection from every event; resolves when the rebuilt read model is live. Blue-green where
   * the target supports it: the new read model is filled beside the live one (which keeps serving and
   * following events, here or in another process), switched in once it has caught up with the head, and the
   * old one dropped; if this fails or the process dies first, the live one stays and the rebuild can be
   * started again. Otherwise the read model is emptied and replayed.
   */
  async rebuild(name: string): Promise<void> {
    const entry = this.entry(name);
    if (entry.target.beginRebuild) return this.rebuildBeside(entry, entry.target.beginRebuild);
    await entry.subscription?.close();
    entry.subscription = undefined;
    entry.rebuilding = true;
    try {
      await entry.target.reset();
      entry.checkpoint = 0;
      const head = await this.store.headPosition();
      if (this.stopped) {
        await this.catchUp(entry, head);
      } else {
        await this.subscribe(entry);
        await this.waitFor(head, 24 * 60 * 60 * 1000, [name]);
      }
    } finally {
      entry.rebuilding = false;
    }
  }

  private async rebuildBeside(entry: Running, begin: () => Promise<ProjectionRebuild>): Promise<void> {
    if (entry.shadow) throw new Error(`projection ${entry.target.name} is already being rebuilt`);
    const batchSize = this.options.batchSize ?? 500;
    entry.shadow = { checkpoint: 0 };
    try {
      const rebuild = await begin();
      const shadow = entry.shadow;
      try {
        shadow.checkpoint = await rebuild.checkpoint();
        const catchUp = async (head: number) => {
          while (shadow.checkpoint < head) {
            const events = await this.store.readAll({ after: shadow.checkpoint, maxCount: batchSize });
            if (events.length === 0) break;
            await rebuild.apply(events, shadow.checkpoint);
            shadow.checkpoint = events[events.length - 1]!.position;
            this.head = Math.max(this.head, shadow.checkpoint);
          }
        };
        // Catch up with the head, again while it moved on by more than a batch meanwhile, then with the last
        // batch. What arrives later is applied by the live writer, which resumes from the switched checkpoint.
        for (let head = await this.store.headPosition(); ; ) {
          await catchUp(head);
          head = await this.store.headPosition();
          if (head - shadow.checkpoint <= batchSize) {
            await catchUp(head);
            break;
          }
        }
        await rebuild.switch();
      } catch (error) {
        await rebuild.abort().catch((abortError: unknown) => this.options.onError?.(entry.target.name, abortError));
        throw error;
      }
    } finally {
      entry.shadow = undefined;
    }
    // The live writer here resumes from the rebuilt checkpoint (it would get CheckpointMoved on its next batch).
    const subscription = entry.subscription;
    if (subscription) {
      entry.subscription = undefined;
      await subscription.close();
      if (!this.stopped && !entry.released) await this.subscribe(entry);
    } else {
      entry.checkpoint = await entry.target.checkpoint();
      this.wake();
    }
  }

  /** Applies events up to `head` without a live subscription (CLI use). */
  async catchUp(entry: Running | string, head?: number): Promise<void> {
    const running = typeof entry === 'string' ? this.entry(entry) : entry;
    running.checkpoint = await running.target.checkpoint();
    const until = head ?? (await this.store.headPosition());
    while (running.checkpoint < until) {
      const events = await this.store.readAll({ after: running.checkpoint, maxCount: this.options.batchSize ?? 500 });
      if (events.length === 0) break;
      await running.target.apply(events, running.checkpoint);
      running.checkpoint = events[events.length - 1]!.position;
    }
  }

  private entry(name: string): Running {
    const entry = this.running.get(name);
    if (!entry) throw new Error(`unknown projection ${name}`);
    return entry;
  }

  private async subscribe(entry: Running): Promise<void> {
    entry.checkpoint = await entry.target.checkpoint();
    this.wake();
    const subscription = this.store.subscribeToAll(
      async (events) => {
        await entry.target.apply(events, entry.checkpoint);
        entry.checkpoint = events[events.length - 1]!.position;
        entry.error = undefined;
        this.head = Math.max(this.head, entry.checkpoint);
        this.wake();
        this.appliedListener?.(entry.target.name, entry.checkpoint);
        if (entry.target.kind === 'reactor') await pause(this.options.reactorPaceMs ?? 20);
      },
      { after: entry.checkpoint, batchSize: this.options.batchSize ?? 500 },
    );
    entry.subscription = subscription;
    subscription.done.catch((error: unknown) => {
      if (this.stopped || entry.subscription !== subscription) return;
      entry.subscription = undefined;
      if (!(error instanceof CheckpointMoved)) {
        entry.error = error instanceof Error ? error.message : String(error);
        this.options.onError?.(entry.target.name, error);
      }
      // Another writer moved the checkpoint (a rebuild, a second process), or the write failed:
      // resume from what is stored.
      this.resubscribe(entry, error instanceof CheckpointMoved ? 0 : (this.options.retryDelayMs ?? 1000));
    });
  }

  /**
   * Subscribes the projection again after `delay`. Reading its checkpoint can fail too (the engine is still
   * away): it tries again, backing off to 10 × retryDelayMs, until it runs, is released or the runner stops.
   */
  private resubscribe(entry: Running, delay: number): void {
    const retryDelayMs = this.options.retryDelayMs ?? 1000;
    setTimeout(() => {
      if (this.stopped || entry.released || entry.subscription) return;
      this.subscribe(entry).catch((error: unknown) => {
        entry.error = error instanceof Error ? error.message : String(error);
        this.options.onError?.(entry.target.name, error);
        this.resubscribe(entry, Math.min(Math.max(delay * 2, retryDelayMs), 10 * retryDelayMs));
      });
    }, delay).unref();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const pause = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve());
