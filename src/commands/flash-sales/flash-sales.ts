import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError, ValidationError, VersionConflict } from '../../kernel/errors.js';
import type { Money } from '../../domain/common/money.js';
import { available, inventoryStream } from '../../domain/inventory/inventory.js';
import { productStream } from '../../domain/catalog/product.js';
import {
  flashSaleDecider,
  flashSaleStream,
  phaseAt,
  skuFlashSalesStream,
  type FlashSale,
  type FlashSalePhase,
  type FlashSaleTerms,
  type ScheduledFlashSale,
} from '../../domain/flash-sales/flash-sale.js';
import { lookupSku } from '../catalog/lookups.js';
import { FLASH_SALES, type FlashSaleDoc } from '../../projections/flash-sales/flash-sales.js';
import { countFromEvents, forgetSchedule, gateKey, gateTokens, rebuildGate, repairGate, type GateSample } from './gate.js';
import { every, type Periodic } from '../../kernel/periodic.js';

/** Flash sales (admin): create, end early, read with the gate's figures; the gate itself is in gate.ts. */
export interface CreateFlashSaleInput {
  skuId: string;
  quantity: number;
  price?: Money;
  startsAt?: string;
  endsAt?: string;
}

export interface FlashSaleResource {
  id: string;
  skuId: string;
  productId: string;
  quantity: number;
  price: Money | null;
  startsAt: string;
  endsAt: string | null;
  createdAt: string;
  endedAt: string | null;
  status: FlashSalePhase;
  /** Units the gate has let through (quantity − remaining). */
  admitted: number;
  /** Tokens left at the gate. */
  remaining: number;
  /** Units reserved or sold under the sale, from the inventory stream (admitted buyers still checking out are not in it yet). */
  held: number;
  version: number;
}

/**
 * Creates a flash sale: the SKU must exist and `quantity` must not exceed its available stock now. The
 * SKU's schedule is appended first (the commit point: it refuses a window overlapping a sale not ended),
 * then `flashsale-<id>`. A crash in between leaves a scheduled sale (its terms are all on the schedule, so
 * the gate works) whose stream the gate's rebuild appends (`rebuildGate`).
 */
export async function createFlashSale(deps: Deps, input: CreateFlashSaleInput, metadata: EventMetadata): Promise<{ id: string; position: number }> {
  const at = deps.clock.now().toISOString();
  const skuDoc = await lookupSku(deps, input.skuId);
  const product = skuDoc ? (await deps.handlers.product.load(productStream(skuDoc.productId))).state : null;
  if (!skuDoc || !product || product.status === 'none' || !product.skus.some((sku) => sku.skuId === input.skuId)) {
    throw new ValidationError('unknown SKU', [{ path: 'skuId', message: `no SKU ${input.skuId}` }]);
  }
  const inventory = await deps.handlers.inventory.load(inventoryStream(input.skuId));
  const terms: FlashSaleTerms = {
    flashSaleId: ulid(),
    skuId: input.skuId,
    productId: product.productId,
    quantity: input.quantity,
    price: input.price ?? null,
    startsAt: input.startsAt ? new Date(input.startsAt).toISOString() : at,
    endsAt: input.endsAt ? new Date(input.endsAt).toISOString() : null,
    inventoryRevision: inventory.revision,
  };
  const free = available(inventory.state);
  // Validate through the sale's decider first (pure), so bad terms never reach the schedule.
  flashSaleDecider.decide({ type: 'CreateFlashSale', terms, available: free, at }, { status: 'none' });
  await deps.handlers.skuFlashSales.handle(skuFlashSalesStream(terms.skuId), { type: 'ScheduleFlashSale', terms, at }, { metadata, maxAttempts: 20 });
  forgetSchedule(deps, terms.skuId);
  const created = await deps.handlers.flashSale.handle(flashSaleStream(terms.flashSaleId), { type: 'CreateFlashSale', terms, available: free, at }, { metadata });
  // The gate opens with every token (no reservation can be under a sale created a moment ago).
  await rebuildGate(deps, scheduled(created.state));
  return { id: terms.flashSaleId, position: created.position };
}

/** Ends a sale now (admin): the gate closes and its SKU sells at its own price again. */
export async function endFlashSale(deps: Deps, flashSaleId: string, metadata: EventMetadata, expectedVersion?: number): Promise<{ sale: FlashSaleResource; position: number }> {
  const at = deps.clock.now().toISOString();
  const { state, revision } = await loadSale(deps, flashSaleId);
  // If-Match: checked before the schedule is touched, and again by the sale's own append.
  if (expectedVersion !== undefined && expectedVersion !== revision) throw new VersionConflict(expectedVersion, revision);
  const schedule = await deps.handlers.skuFlashSales.handle(skuFlashSalesStream(state.skuId), { type: 'EndScheduledFlashSale', flashSaleId, at }, { metadata, maxAttempts: 20 });
  forgetSchedule(deps, state.skuId);
  const ended = await deps.handlers.flashSale.handle(flashSaleStream(flashSaleId), { type: 'EndFlashSale', at }, { metadata, ...(expectedVersion === undefined ? {} : { expectedRevision: expectedVersion }) });
  return { sale: await resource(deps, ended.state as Extract<FlashSale, { status: 'active' }>, ended.revision), position: Math.max(schedule.position, ended.position) };
}

export async function getFlashSale(deps: Deps, flashSaleId: string): Promise<FlashSaleResource> {
  const { state, revision } = await loadSale(deps, flashSaleId);
  return resource(deps, state, revision);
}

/** The sale from its stream; unknown → 404. */
async function loadSale(deps: Deps, flashSaleId: string): Promise<{ state: Extract<FlashSale, { status: 'active' }>; revision: number }> {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(flashSaleId)) throw new NotFoundError('flash sale');
  const loaded = await deps.handlers.flashSale.load(flashSaleStream(flashSaleId));
  if (loaded.state.status === 'active') return { state: loaded.state, revision: loaded.revision };
  throw new NotFoundError('flash sale');
}

const scheduled = (state: FlashSale): ScheduledFlashSale => {
  if (state.status !== 'active') throw new NotFoundError('flash sale');
  const { status: _s, availableAtCreation: _a, ...sale } = state;
  return sale;
};

async function resource(deps: Deps, state: Extract<FlashSale, { status: 'active' }>, version: number): Promise<FlashSaleResource> {
  const sale = scheduled(state);
  const status = phaseAt(sale, deps.clock.now().toISOString());
  const { held, tokens } = await countFromEvents(deps, sale);
  // While the sale is open the gate's counter is the truth (it includes buyers still checking out);
  // after it, the events are.
  const remaining = status === 'ended' ? tokens : await gateTokens(deps, sale);
  return {
    id: sale.flashSaleId,
    skuId: sale.skuId,
    productId: sale.productId,
    quantity: sale.quantity,
    price: sale.price,
    startsAt: sale.startsAt,
    endsAt: sale.endsAt,
    createdAt: sale.createdAt,
    endedAt: sale.endedAt,
    status,
    admitted: sale.quantity - remaining,
    remaining,
    held,
    version,
  };
}

/** The sales not over at `at` (from the `flash_sales` view, as their streams hold them), with their phase. */
async function* salesNotOver(deps: Deps, at: string): AsyncGenerator<{ sale: ScheduledFlashSale; running: boolean }> {
  let cursor: string | null = null;
  do {
    const page: { items: FlashSaleDoc[]; nextCursor: string | null } = await deps.views.find<FlashSaleDoc>(FLASH_SALES, { where: { open: true }, limit: 100, cursor });
    for (const doc of page.items) {
      const { state } = await deps.handlers.flashSale.load(flashSaleStream(doc.id));
      if (state.status !== 'active') continue;
      const phase = phaseAt(state, at);
      if (phase !== 'ended') yield { sale: scheduled(state), running: phase === 'running' };
    }
    cursor = page.nextCursor;
  } while (cursor);
}

/** Runs `repairGate` over the running sales (the sweepers do, every GATE_REPAIR_INTERVAL_MS). Returns the units given back. */
export async function repairGates(deps: Deps, samples: Map<string, GateSample>, now = deps.clock.now().getTime()): Promise<number> {
  let returned = 0;
  for await (const { sale, running } of salesNotOver(deps, new Date(now).toISOString())) if (running) returned += await repairGate(deps, sale, samples, now);
  return returned;
}

export const GATE_REPAIR_INTERVAL_MS = 10_000;

/** The gate repair under the sweepers' lease (unref'd; `stop` waits for a running round). */
export function startGateRepairer(deps: Deps, intervalMs = GATE_REPAIR_INTERVAL_MS): Periodic {
  const samples = new Map<string, GateSample>();
  return every(intervalMs, () => repairGates(deps, samples), { logger: deps.logger, failure: 'flash-sale gate repair failed' });
}

/**
 * Start-up (src/main.ts): makes sure every sale not over has its gate counter, rebuilt from the events
 * when it is missing (the embedded KeyValue lives in the process). Sales come from the `flash_sales` view.
 * Returns how many gates it checked.
 */
export async function rebuildGates(deps: Deps, options: { waitMs?: number } = {}): Promise<number> {
  await deps.projections.waitFor(await deps.store.headPosition(), options.waitMs ?? 5000, ['flash_sales']);
  let checked = 0;
  for await (const { sale } of salesNotOver(deps, deps.clock.now().toISOString())) {
    if ((await deps.kv.get(gateKey(sale.flashSaleId))) === null) await rebuildGate(deps, sale);
    checked++;
  }
  return checked;
}
