import type { Deps } from '../../deps.js';
import type { EventMetadata, NewEvent } from '../../ports/event-store.js';
import { shopperStream, type ShopperEvent } from '../../domain/personalization/profile.js';
import { SHOPPER_PROFILES, type ProfileDoc } from '../../projections/personalization/affinity.js';

/**
 * Shopper signals that are not events elsewhere (product-detail opens, search-result clicks, cart adds),
 * recorded as events of the `shopper-<userId>` stream so the profile can be rebuilt and audited.
 *
 * Off the request path: `record` only queues (synchronously, no I/O) and answers at once. The queue is
 * flushed every `flushMs` (or when it holds `maxBatch` signals): one append per shopper per flush. Each
 * shopper has a token bucket (`perMinute`, bursts of `burst`); beyond it, and beyond `maxQueued` signals
 * waiting, signals are dropped, never waited for. A shopper who turned personalization off is skipped at
 * flush time (the projection ignores signals after the switch in any case). Limits are per process.
 */
export interface SignalInput {
  kind: 'view' | 'click' | 'cart';
  productId: string;
  skuId?: string;
  query?: string;
  rank?: number;
}

export type SignalOutcome = 'queued' | 'rate_limited' | 'dropped';

export interface SignalRecorderOptions {
  flushMs: number;
  maxBatch: number;
  perMinute: number;
  burst: number;
  maxQueued: number;
}

export const SIGNAL_DEFAULTS: SignalRecorderOptions = { flushMs: 250, maxBatch: 500, perMinute: 60, burst: 20, maxQueued: 10_000 };

interface Queued {
  userId: string;
  event: ShopperEvent;
}

export class SignalRecorder {
  private queue: Queued[] = [];
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  readonly counts = { queued: 0, rateLimited: 0, dropped: 0, appended: 0, appends: 0, failed: 0 };

  constructor(
    private readonly deps: Pick<Deps, 'store' | 'views' | 'clock' | 'logger'>,
    readonly options: SignalRecorderOptions = SIGNAL_DEFAULTS,
  ) {}

  /** Queues a signal of a signed-in shopper; never waits. */
  record(userId: string, signal: SignalInput): SignalOutcome {
    if (this.queue.length >= this.options.maxQueued) {
      this.counts.dropped++;
      return 'dropped';
    }
    if (!this.take(userId)) {
      this.counts.rateLimited++;
      return 'rate_limited';
    }
    const at = this.deps.clock.now().toISOString();
    const event: ShopperEvent =
      signal.kind === 'view'
        ? { type: 'ShopperProductViewed', data: { userId, productId: signal.productId, at } }
        : signal.kind === 'click'
          ? { type: 'ShopperSearchResultClicked', data: { userId, productId: signal.productId, query: signal.query ?? '', rank: signal.rank ?? 0, at } }
          : { type: 'ShopperCartItemAdded', data: { userId, productId: signal.productId, skuId: signal.skuId ?? '', at } };
    this.queue.push({ userId, event });
    this.counts.queued++;
    if (this.queue.length >= this.options.maxBatch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.options.flushMs);
      this.timer.unref();
    }
    return 'queued';
  }

  /** Drops what is queued for a shopper (they cleared or switched off their profile). */
  forget(userId: string): void {
    this.queue = this.queue.filter((item) => item.userId !== userId);
  }

  /** Appends everything queued (one append per shopper); resolves when written. Errors are logged, not thrown. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: Queued[]): Promise<void> {
    if (batch.length === 0) return;
    const byUser = new Map<string, ShopperEvent[]>();
    for (const { userId, event } of batch) byUser.set(userId, [...(byUser.get(userId) ?? []), event]);
    await Promise.all(
      [...byUser].map(async ([userId, events]) => {
        try {
          const profile = await this.deps.views.get<ProfileDoc>(SHOPPER_PROFILES, userId);
          if (profile && !profile.enabled) {
            this.counts.dropped += events.length;
            return;
          }
          const metadata: EventMetadata = { correlationId: 'shopper-signals', actor: { id: userId, role: 'customer' } };
          await this.deps.store.append(shopperStream(userId), events.map((event): NewEvent => ({ ...event, metadata })), 'any');
          this.counts.appended += events.length;
          this.counts.appends++;
        } catch (error) {
          this.counts.failed += events.length;
          this.deps.logger.warn({ err: error, userId, signals: events.length }, 'shopper signals not recorded');
        }
      }),
    );
  }

  private take(userId: string): boolean {
    const now = Date.now();
    let bucket = this.buckets.get(userId);
    if (!bucket) {
      if (this.buckets.size >= 100_000) this.buckets.clear();
      this.buckets.set(userId, (bucket = { tokens: this.options.burst, at: now }));
    }
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.at) * this.options.perMinute) / 60_000);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

const recorders = new WeakMap<object, SignalRecorder>();

/** The process's recorder for these deps (created on first use). */
export function signalRecorder(deps: Pick<Deps, 'store' | 'views' | 'clock' | 'logger'>, options?: Partial<SignalRecorderOptions>): SignalRecorder {
  let recorder = recorders.get(deps.store);
  if (!recorder || options) {
    recorder = new SignalRecorder(deps, { ...SIGNAL_DEFAULTS, ...options });
    recorders.set(deps.store, recorder);
  }
  return recorder;
}

/** PATCH /me/personalization and DELETE: the shopper's choices, appended at once (not rate-limited). */
export async function recordChoice(
  deps: Pick<Deps, 'store' | 'views' | 'clock' | 'logger'>,
  userId: string,
  type: 'PersonalizationCleared' | 'PersonalizationDisabled' | 'PersonalizationEnabled',
): Promise<{ position: number }> {
  const recorder = signalRecorder(deps);
  await recorder.flush(); // what was queued before the choice lands before it
  if (type !== 'PersonalizationEnabled') recorder.forget(userId);
  const event: ShopperEvent = { type, data: { userId, at: deps.clock.now().toISOString() } };
  const result = await deps.store.append(shopperStream(userId), [{ ...event, metadata: { correlationId: 'shopper-choice', actor: { id: userId, role: 'customer' } } }], 'any');
  return { position: result.position };
}
