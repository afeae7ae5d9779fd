import { setImmediate } from 'node:timers/promises';
import type { Deps } from '../../deps.js';
import { LruMap } from '../../kernel/lru-map.js';
import { inventoryStream, OutOfStock } from '../../domain/inventory/inventory.js';
import { flashSaleStream, holdsOf, runningSale, skuFlashSalesStream, tokensLeft, type ScheduledFlashSale, type SkuFlashSales } from '../../domain/flash-sales/flash-sale.js';

/**
 * The flash-sale gate (docs/design.md §5, seed 秒杀 "redis 扣减库存"): while a sale runs on a SKU, every checkout
 * line of that SKU first takes `quantity` tokens from an atomic counter in KeyValue (`takeTokens`: memory,
 * or a Lua script on Redis). When too few are left the buyer is refused with OUT_OF_STOCK at once, without
 * touching the event store; so the inventory stream sees only as many buyers as the sale has units. An
 * admitted checkout that then fails gives its tokens back. The inventory reservation stays the final
 * authority: the gate only keeps the losers away from it, so a gate that admits too many (rebuilt while
 * buyers were in flight) can never oversell.
 *
 * The counter is derived state: `quantity − units held under the sale` (reservations in its window not
 * released), computed from the inventory stream (`rebuildGate`). It is written with SET NX, so several
 * processes rebuilding at once agree; it is rebuilt at start-up (`rebuildGates`) and lazily whenever the
 * key is missing (the embedded KeyValue after a restart, or Redis restarted without persistence). Tokens
 * lost by a checkout that crashed before reserving come back through `repairGate` (the sweepers).
 *
 * Which sale runs on a SKU is read from the SKU's schedule stream and kept in-process for
 * SCHEDULE_CACHE_MS, so a refused buyer costs one KeyValue call and no store read. This process forgets
 * its copy when it creates or ends a sale; another API process sees a new sale up to SCHEDULE_CACHE_MS
 * late (its checkouts in that moment bypass the gate: the inventory still refuses any oversell).
 */
export const SCHEDULE_CACHE_MS = 1000;
const SCHEDULE_CACHE_SIZE = 50_000;
/** Kept after a sale's end, so a late give-back still finds its counter. */
const GATE_TTL_AFTER_END_MS = 24 * 60 * 60 * 1000;

export const gateKey = (flashSaleId: string) => `flashsale:${flashSaleId}:tokens`;
/** Units the gate has admitted, ever (a tally: activity that `repairGates` must not mistake for lost tokens). */
export const admitsKey = (flashSaleId: string) => `flashsale:${flashSaleId}:admits`;

interface CachedSchedule {
  state: SkuFlashSales;
  loadedAt: number;
}

const schedules = new WeakMap<object, LruMap<string, CachedSchedule>>();
const rebuilds = new WeakMap<object, Map<string, Promise<number>>>();

function scheduleCache(deps: Pick<Deps, 'handlers'>): LruMap<string, CachedSchedule> {
  let cache = schedules.get(deps.handlers);
  if (!cache) schedules.set(deps.handlers, (cache = new LruMap(SCHEDULE_CACHE_SIZE)));
  return cache;
}

/** The SKU's flash-sale schedule, at most SCHEDULE_CACHE_MS old. */
export async function scheduleOf(deps: Pick<Deps, 'handlers'>, skuId: string): Promise<SkuFlashSales> {
  const cache = scheduleCache(deps);
  const cached = cache.get(skuId);
  const now = Date.now();
  if (cached && now - cached.loadedAt < SCHEDULE_CACHE_MS) return cached.state;
  const { state } = await deps.handlers.skuFlashSales.load(skuFlashSalesStream(skuId));
  cache.set(skuId, { state, loadedAt: now });
  return state;
}

/** This process changed the SKU's schedule: read it again next time. */
export function forgetSchedule(deps: Pick<Deps, 'handlers'>, skuId: string): void {
  scheduleCache(deps).delete(skuId);
}

/** The flash sale running on this SKU at `at`, if any. */
export async function runningFlashSale(deps: Pick<Deps, 'handlers'>, skuId: string, at: string): Promise<ScheduledFlashSale | null> {
  return runningSale(await scheduleOf(deps, skuId), at);
}

/**
 * Units of a cancelled (or expired) order that its flash sale's gate had admitted go back to the gate, so the
 * sale sells them again. Called once per release, by whoever appended it. Lost tokens only make the gate
 * stricter until its counter is rebuilt from the events; a missing counter is rebuilt counting the release.
 */
async function returnToGate(deps: Pick<Deps, 'kv' | 'logger'>, flashSaleId: string, units: number): Promise<void> {
  try {
    await deps.kv.returnTokens(gateKey(flashSaleId), units);
  } catch (error) {
    deps.logger.error({ err: error, flashSaleId, units }, "could not give a cancelled order's units back to the flash-sale gate");
  }
}

/** Gives released reservations' units back to the gates that admitted them (`saleOf`: the sale of a SKU's line, if any). */
export async function returnReleasedToGates(deps: Pick<Deps, 'kv' | 'logger'>, released: Array<{ skuId: string; quantity: number }>, saleOf: (skuId: string) => string | undefined): Promise<void> {
  for (const { skuId, quantity } of released) {
    const flashSaleId = saleOf(skuId);
    if (flashSaleId) await returnToGate(deps, flashSaleId, quantity);
  }
}

/** Per store: each sale's holds as folded so far and the inventory revision they reach (keyed by the sale's terms). */
const foldedHolds = new WeakMap<Deps['store'], LruMap<string, { revision: number; held: Map<string, number> }>>();
const FOLDED_SALES_KEPT = 1_000;
const FOLD_PAGE = 500;

/**
 * The units a sale holds and the gate's tokens, from the SKU's inventory events since the sale was set. The
 * fold is kept, so each call reads only the events appended since the last one: the gate repairer looks at
 * every running sale every 10 s, and a hot SKU's stream grows by thousands of reservations a second.
 */
export async function countFromEvents(deps: Pick<Deps, 'store'>, sale: ScheduledFlashSale): Promise<{ held: number; tokens: number }> {
  let folds = foldedHolds.get(deps.store);
  if (!folds) foldedHolds.set(deps.store, (folds = new LruMap(FOLDED_SALES_KEPT)));
  const key = `${sale.flashSaleId}|${sale.inventoryRevision}|${sale.startsAt}|${sale.endsAt ?? ''}|${sale.endedAt ?? ''}`;
  const fold = folds.get(key) ?? { revision: sale.inventoryRevision, held: new Map<string, number>() };
  folds.set(key, fold);
  // Page by page, letting the event loop serve requests in between: 10 s of a hot sale is thousands of
  // events, and reading them in one synchronous query held the API's loop for tens of milliseconds.
  for (;;) {
    const page = await deps.store.readStream(inventoryStream(sale.skuId), { fromRevision: fold.revision + 1, maxCount: FOLD_PAGE });
    // Another call may have folded past this page meanwhile: fold only what is newer, in stream order.
    const newer = page.filter((event) => event.revision > fold.revision);
    holdsOf(sale, fold.held, newer);
    if (newer.length > 0) fold.revision = newer[newer.length - 1]!.revision;
    if (page.length < FOLD_PAGE) break;
    await setImmediate();
  }
  let held = 0;
  for (const quantity of fold.held.values()) held += quantity;
  return { held, tokens: tokensLeft(sale.quantity, held) };
}

function gateTtlMs(sale: ScheduledFlashSale, now: number): number | undefined {
  return sale.endsAt === null ? undefined : Math.max(1, Date.parse(sale.endsAt) - now) + GATE_TTL_AFTER_END_MS;
}

/**
 * Writes the sale's counter from the events unless it exists (SET NX: a live counter is never
 * overwritten). One rebuild per sale at a time in this process. Returns the tokens it computed.
 */
export function rebuildGate(deps: Pick<Deps, 'store' | 'kv' | 'handlers'>, sale: ScheduledFlashSale): Promise<number> {
  let running = rebuilds.get(deps.handlers);
  if (!running) rebuilds.set(deps.handlers, (running = new Map()));
  const inFlight = running.get(sale.flashSaleId);
  if (inFlight) return inFlight;
  const work = (async () => {
    await ensureSaleStream(deps, sale);
    const { tokens } = await countFromEvents(deps, sale);
    const ttlMs = gateTtlMs(sale, Date.now());
    await deps.kv.set(gateKey(sale.flashSaleId), String(tokens), { ifAbsent: true, ...(ttlMs === undefined ? {} : { ttlMs }) });
    return tokens;
  })();
  running.set(sale.flashSaleId, work);
  const forget = () => {
    if (running.get(sale.flashSaleId) === work) running.delete(sale.flashSaleId);
  };
  work.then(forget, forget);
  return work;
}

/** A sale on its SKU's schedule whose own stream is missing (a crash between the two appends) gets it now. */
async function ensureSaleStream(deps: Pick<Deps, 'handlers'>, sale: ScheduledFlashSale): Promise<void> {
  const stream = flashSaleStream(sale.flashSaleId);
  if ((await deps.handlers.flashSale.load(stream)).state.status !== 'none') return;
  const { createdAt, endedAt: _e, ...terms } = sale;
  try {
    await deps.handlers.flashSale.handle(stream, { type: 'CreateFlashSale', terms, available: sale.quantity, at: createdAt }, { metadata: { correlationId: `repair-${sale.flashSaleId}` } });
  } catch {
    // e.g. its window is over: nothing to repair for a gate that no longer opens
  }
}

/** Tokens left at the gate (rebuilding a missing counter first). */
export async function gateTokens(deps: Pick<Deps, 'store' | 'kv' | 'handlers'>, sale: ScheduledFlashSale): Promise<number> {
  const raw = await deps.kv.get(gateKey(sale.flashSaleId));
  if (raw !== null) return Math.max(0, Number(raw));
  await rebuildGate(deps, sale);
  return Math.max(0, Number((await deps.kv.get(gateKey(sale.flashSaleId))) ?? 0));
}

export interface Admission {
  /** The sales this checkout took tokens from, with how many. */
  taken: Array<{ sale: ScheduledFlashSale; count: number }>;
  /** Gives every token back (the checkout failed); idempotent. */
  giveBack(): Promise<void>;
}

/** What an operator counts at the gate (metrics); the domain stays free of any metrics library. */
export interface GateObserver {
  admitted(flashSaleId: string, units: number): void;
  refused(flashSaleId: string, units: number): void;
}

const gateObservers = new WeakMap<object, GateObserver>();

/** Reports the gate's admits and refusals of the checkouts that go through these handlers. */
export function observeGate(deps: Pick<Deps, 'handlers'>, observer: GateObserver): void {
  gateObservers.set(deps.handlers, observer);
}

/**
 * Passes a checkout through the gates of the SKUs with a running flash sale: takes `quantity` tokens per
 * such line, or gives back what it took and throws OUT_OF_STOCK. Null when no line is on a flash sale.
 */
export async function admit(deps: Pick<Deps, 'store' | 'kv' | 'handlers' | 'logger'>, lines: Array<{ skuId: string; quantity: number }>, at: string): Promise<Admission | null> {
  const taken: Admission['taken'] = [];
  let returned = false;
  const giveBack = async () => {
    if (returned) return;
    returned = true;
    for (const { sale, count } of taken) {
      try {
        await deps.kv.returnTokens(gateKey(sale.flashSaleId), count);
      } catch (error) {
        // Lost tokens only make the gate stricter; a rebuild counts them again from the events.
        deps.logger.error({ err: error, flashSaleId: sale.flashSaleId, count }, 'could not give flash-sale tokens back');
      }
    }
  };
  for (const line of lines) {
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) continue; // checkout validation refuses it
    const sale = await runningFlashSale(deps, line.skuId, at);
    if (!sale) continue;
    const key = gateKey(sale.flashSaleId);
    let outcome = await deps.kv.takeTokens(key, line.quantity);
    for (let attempt = 0; outcome === 'absent' && attempt < 3; attempt++) {
      await rebuildGate(deps, sale);
      outcome = await deps.kv.takeTokens(key, line.quantity);
    }
    if (outcome !== 'taken') {
      gateObservers.get(deps.handlers)?.refused(sale.flashSaleId, line.quantity);
      await giveBack();
      const left = line.quantity === 1 ? 0 : Number((await deps.kv.get(key)) ?? 0);
      throw new OutOfStock(line.skuId, line.quantity, left);
    }
    gateObservers.get(deps.handlers)?.admitted(sale.flashSaleId, line.quantity);
    taken.push({ sale, count: line.quantity });
    const ttlMs = gateTtlMs(sale, Date.now());
    await deps.kv.incr(admitsKey(sale.flashSaleId), line.quantity, ttlMs === undefined ? {} : { ttlMs }).catch((error: unknown) => {
      // Only a hint for repairGate (the deficit of an admission in flight moves anyway): the checkout goes on.
      deps.logger.warn({ err: error, flashSaleId: sale.flashSaleId }, 'could not tally a flash-sale admission');
    });
  }
  return taken.length === 0 ? null : { taken, giveBack };
}

/** A gate's deficit (tokens the events leave minus tokens at the gate) and admissions tally at one look. */
export interface GateSample {
  at: number;
  deficit: number;
  admits: number;
}

/** Longer than any checkout takes from its gate tokens to its reservation: a deficit this old with no admission since is lost. */
export const GATE_QUIET_MS = 60_000;

/**
 * Gives back tokens lost by a checkout that crashed between taking them and appending its reservation (no
 * reservation, so no release will ever return them). The gate then holds fewer tokens than the events
 * leave: a deficit. Checkouts in flight make one too, but each ends within GATE_QUIET_MS, reserving
 * (the events count it) or giving back (the gate counts it), and either way the deficit moves. So a
 * deficit that stays the same over GATE_QUIET_MS while the admissions tally stays the same is lost
 * tokens, and goes back. `samples` is the sweeper's memory from one look to the next. Returns the units given back.
 */
export async function repairGate(deps: Pick<Deps, 'store' | 'kv' | 'logger'>, sale: ScheduledFlashSale, samples: Map<string, GateSample>, now: number): Promise<number> {
  const id = sale.flashSaleId;
  const counter = await deps.kv.get(gateKey(id));
  if (counter === null) {
    samples.delete(id); // missing: rebuilt from the events by the next checkout or start-up
    return 0;
  }
  const { tokens } = await countFromEvents(deps, sale);
  const admits = Number((await deps.kv.get(admitsKey(id))) ?? 0);
  const deficit = tokens - Number(counter);
  const previous = samples.get(id);
  if (deficit <= 0) {
    samples.delete(id);
    return 0;
  }
  if (!previous || previous.deficit !== deficit || previous.admits !== admits) {
    samples.set(id, { at: now, deficit, admits });
    return 0;
  }
  if (now - previous.at < GATE_QUIET_MS) return 0;
  samples.delete(id);
  await deps.kv.returnTokens(gateKey(id), deficit);
  deps.logger.warn({ flashSaleId: id, units: deficit }, 'flash-sale gate: tokens of a checkout that never reserved given back');
  return deficit;
}
