import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { KeyValue } from '../ports/key-value.js';

export const leaseKey = (name: string) => `lease:${name}`;

/** Who a lease owner is (`lease-owner:<owner>` in KeyValue, kept while the process lives): its role and process. */
export const leaseOwnerKey = (owner: string) => `lease-owner:${owner}`;

export interface LeaseOwnerInfo {
  owner: string;
  /** The role the lease keeper runs (a projector thread of an `all` process says `projector`, with `thread: true`). */
  role: string;
  thread: boolean;
  host: string;
  pid: number;
  startedAt: string;
}

/** The lease of the periodic sweepers (order expiry, stuck payments and refunds) and of resuming bulk jobs. */
export const SWEEPERS_LEASE = 'sweepers';

/**
 * Leases in KeyValue (Redis in production, the shared SQLite file `kv.db` on one machine): a key holding
 * the owner's id with a TTL. The owner renews it (compare-and-set, owner → owner) well before it expires;
 * when the owner dies the key expires and the next process that asks takes it.
 */
export class Leases {
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly kv: KeyValue,
    readonly ttlMs: number,
  ) {}

  /** Takes the lease when it is free (or expired), renews it when this process holds it; false when another holds it. */
  async acquire(name: string): Promise<boolean> {
    const key = leaseKey(name);
    const current = await this.kv.get(key);
    if (current !== null && current !== this.owner) return false;
    return this.kv.compareAndSet(key, current, this.owner, { ttlMs: this.ttlMs });
  }

  /** Gives the lease up at once (a clean shutdown), so a standby does not wait for the TTL. */
  async release(name: string): Promise<void> {
    await this.kv.compareAndSet(leaseKey(name), this.owner, null);
  }

  holder(name: string): Promise<string | null> {
    return this.kv.get(leaseKey(name));
  }
}

/** Work that runs in one process at a time: a projection, a reactor, the sweepers. */
export interface OwnedTask {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LeaseKeeperOptions {
  logger: Logger;
  /** Renewal period; default a third of the lease TTL. */
  renewMs?: number;
  onChange?: (name: string, owned: boolean) => void;
}

/**
 * Keeps the leases of its tasks: every `renewMs` it takes or renews each lease, starts the tasks whose
 * lease it got, and stops those whose lease it lost (it could not renew in time: another process may run
 * them now). A process without a lease is a hot standby. Even if two processes ran one projection for a
 * moment, its checkpoint compare-and-set (CheckpointMoved) keeps every event applied once.
 */
export class LeaseKeeper {
  private readonly active = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly leases: Leases,
    private readonly tasks: OwnedTask[],
    private readonly options: LeaseKeeperOptions,
  ) {}

  /** Takes what it can at once (resolves after the first round), then keeps renewing. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.round();
    const renewMs = this.options.renewMs ?? Math.max(50, Math.floor(this.leases.ttlMs / 3));
    this.timer = setInterval(() => void this.round(), renewMs);
    this.timer.unref();
  }

  owns(name: string): boolean {
    return this.active.has(name);
  }

  get owned(): string[] {
    return [...this.active];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    for (const task of this.tasks) {
      if (!this.active.has(task.name)) continue;
      this.active.delete(task.name);
      await task.stop().catch((error: unknown) => this.options.logger.error({ err: error, lease: task.name }, 'stopping failed'));
      await this.leases.release(task.name).catch(() => undefined);
      this.options.onChange?.(task.name, false);
    }
  }

  private round(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.tick().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async tick(): Promise<void> {
    const { logger } = this.options;
    for (const task of this.tasks) {
      if (this.stopped) return;
      let held: boolean;
      try {
        held = await this.leases.acquire(task.name);
      } catch (error) {
        // The lease store is unreachable: this process cannot prove it still owns the task.
        logger.warn({ err: error, lease: task.name }, 'lease could not be renewed');
        held = false;
      }
      const running = this.active.has(task.name);
      if (held && !running) {
        try {
          await task.start();
          this.active.add(task.name);
          logger.info({ lease: task.name, owner: this.leases.owner }, 'lease taken: running');
          this.options.onChange?.(task.name, true);
        } catch (error) {
          logger.error({ err: error, lease: task.name }, 'could not start; releasing the lease');
          await this.leases.release(task.name).catch(() => undefined);
        }
      } else if (!held && running) {
        this.active.delete(task.name);
        logger.warn({ lease: task.name }, 'lease lost: stopping (standby)');
        this.options.onChange?.(task.name, false);
        await task.stop().catch((error: unknown) => logger.error({ err: error, lease: task.name }, 'stopping failed'));
      }
    }
  }
}
