import { ConflictError, ValidationError, type FieldError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import { DEFAULT_CURRENCY, type Money } from '../common/money.js';

/**
 * Flash sales (秒杀; docs/orders.md). Two aggregates:
 *
 * - `flashsale-<id>`: one flash sale: `quantity` units of one SKU, optionally at a flash `price`, from
 *   `startsAt` (default: creation) until `endsAt` (default: open) or until an admin ends it.
 * - `flashsale-sku-<skuId>`: the SKU's schedule of flash sales. It is appended first and is where "one
 *   running flash sale per SKU" is enforced (no two windows of sales not ended may overlap), with the
 *   store's expected revision, not a racy read. Each entry carries the full terms, so the checkout gate
 *   reads one stream per SKU.
 *
 * While a sale runs, a counter of tokens in KeyValue admits at most `quantity` units of buyers in front
 * of the inventory stream (src/commands/flash-sales/gate.ts); the inventory reservation stays the final
 * authority. The counter is rebuilt from these streams and the inventory stream (`rebuildTokens`).
 */
export interface FlashSaleTerms {
  flashSaleId: string;
  skuId: string;
  productId: string;
  quantity: number;
  /** The unit price while the sale runs; null: the SKU's own price. */
  price: Money | null;
  /** ISO-8601; the creation time when the admin did not name one. */
  startsAt: string;
  /** ISO-8601, exclusive; null: open-ended (until ended by an admin). */
  endsAt: string | null;
  /** The inventory stream's revision when the sale was created: rebuilding the gate reads only newer events. */
  inventoryRevision: number;
}

export type FlashSaleEvent =
  | { type: 'FlashSaleCreated'; data: FlashSaleTerms & { availableAtCreation: number; at: string } }
  | { type: 'FlashSaleEnded'; data: { flashSaleId: string; skuId: string; at: string } };

export type FlashSaleCommand =
  /** `available` is the SKU's available stock read by the handler at creation. */
  | { type: 'CreateFlashSale'; terms: FlashSaleTerms; available: number; at: string }
  | { type: 'EndFlashSale'; at: string };

export type FlashSale =
  | { status: 'none' }
  | (FlashSaleTerms & { status: 'active'; availableAtCreation: number; createdAt: string; endedAt: string | null });

export type FlashSalePhase = 'scheduled' | 'running' | 'ended';

/** Where a sale stands at `at`: before its window, in it (and not ended), or after it / ended. */
export function phaseAt(sale: Pick<FlashSaleTerms, 'startsAt' | 'endsAt'> & { endedAt: string | null }, at: string): FlashSalePhase {
  const now = Date.parse(at);
  if (sale.endedAt !== null && Date.parse(sale.endedAt) <= now) return 'ended';
  if (sale.endsAt !== null && Date.parse(sale.endsAt) <= now) return 'ended';
  if (Date.parse(sale.startsAt) > now) return 'scheduled';
  return 'running';
}

/** Whether an instant falls in the sale's window (start inclusive, end exclusive), ignoring an early end. */
export function inWindow(sale: Pick<FlashSaleTerms, 'startsAt' | 'endsAt'> & { endedAt: string | null }, at: string): boolean {
  const time = Date.parse(at);
  const end = Math.min(sale.endsAt === null ? Infinity : Date.parse(sale.endsAt), sale.endedAt === null ? Infinity : Date.parse(sale.endedAt));
  return time >= Date.parse(sale.startsAt) && time < end;
}

export function termsErrors(terms: FlashSaleTerms, available: number, at: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!Number.isSafeInteger(terms.quantity) || terms.quantity < 1) errors.push({ path: 'quantity', message: 'must be a positive integer' });
  else if (terms.quantity > available) errors.push({ path: 'quantity', message: `only ${Math.max(0, available)} units of SKU ${terms.skuId} are available` });
  if (terms.price !== null) {
    if (terms.price.currency !== DEFAULT_CURRENCY) errors.push({ path: 'price.currency', message: `prices are in ${DEFAULT_CURRENCY}` });
    if (!Number.isSafeInteger(terms.price.amount) || terms.price.amount <= 0) errors.push({ path: 'price.amount', message: 'must be a positive integer number of minor units' });
  }
  if (Number.isNaN(Date.parse(terms.startsAt))) errors.push({ path: 'startsAt', message: 'must be an ISO-8601 date-time' });
  if (terms.endsAt !== null) {
    if (Number.isNaN(Date.parse(terms.endsAt))) errors.push({ path: 'endsAt', message: 'must be an ISO-8601 date-time' });
    else if (Date.parse(terms.endsAt) <= Date.parse(terms.startsAt)) errors.push({ path: 'endsAt', message: 'must be after startsAt' });
    else if (Date.parse(terms.endsAt) <= Date.parse(at)) errors.push({ path: 'endsAt', message: 'must be in the future' });
  }
  return errors;
}

const sameTerms = (a: FlashSaleTerms, b: FlashSaleTerms) =>
  a.flashSaleId === b.flashSaleId &&
  a.skuId === b.skuId &&
  a.productId === b.productId &&
  a.quantity === b.quantity &&
  a.price?.amount === b.price?.amount &&
  a.price?.currency === b.price?.currency &&
  a.startsAt === b.startsAt &&
  a.endsAt === b.endsAt;

export function evolve(state: FlashSale, event: FlashSaleEvent): FlashSale {
  switch (event.type) {
    case 'FlashSaleCreated': {
      const { at, availableAtCreation, ...terms } = event.data;
      return { ...terms, status: 'active', availableAtCreation, createdAt: at, endedAt: null };
    }
    case 'FlashSaleEnded':
      return state.status === 'active' && state.endedAt === null ? { ...state, endedAt: event.data.at } : state;
  }
}

export function decide(command: FlashSaleCommand, state: FlashSale): FlashSaleEvent[] {
  switch (command.type) {
    case 'CreateFlashSale': {
      if (state.status === 'active') {
        const { status: _s, availableAtCreation: _a, createdAt: _c, endedAt: _e, ...terms } = state;
        if (sameTerms(terms, command.terms)) return [];
        throw new ConflictError('FLASH_SALE_EXISTS', `flash sale ${command.terms.flashSaleId} already exists with other terms`);
      }
      const errors = termsErrors(command.terms, command.available, command.at);
      if (errors.length > 0) throw new ValidationError('the flash sale is not valid', errors);
      return [{ type: 'FlashSaleCreated', data: { ...command.terms, availableAtCreation: command.available, at: command.at } }];
    }
    case 'EndFlashSale': {
      if (state.status !== 'active') return [];
      if (phaseAt(state, command.at) === 'ended') return []; // over already
      return [{ type: 'FlashSaleEnded', data: { flashSaleId: state.flashSaleId, skuId: state.skuId, at: command.at } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const flashSaleDecider: Decider<FlashSaleCommand, FlashSaleEvent, FlashSale> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const flashSaleStream = (flashSaleId: string) => `flashsale-${flashSaleId}`;

// ---------------------------------------------------------------------------------------------
// The SKU's schedule

export interface ScheduledFlashSale extends FlashSaleTerms {
  createdAt: string;
  endedAt: string | null;
}

export type SkuFlashSalesEvent =
  | { type: 'FlashSaleScheduled'; data: FlashSaleTerms & { at: string } }
  | { type: 'ScheduledFlashSaleEnded'; data: { flashSaleId: string; skuId: string; at: string } };

export type SkuFlashSalesCommand =
  | { type: 'ScheduleFlashSale'; terms: FlashSaleTerms; at: string }
  | { type: 'EndScheduledFlashSale'; flashSaleId: string; at: string };

/** Every flash sale of the SKU, oldest first (a short list: sales are rare events). */
export interface SkuFlashSales {
  sales: ScheduledFlashSale[];
}

/** The sale of this SKU running at `at`, if any (at most one, by construction). */
export const runningSale = (state: SkuFlashSales, at: string): ScheduledFlashSale | null => state.sales.find((sale) => phaseAt(sale, at) === 'running') ?? null;

/** The window a sale occupies from `at` on: [start, end) in ms; null when it is over. */
function occupied(sale: ScheduledFlashSale, at: string): [number, number] | null {
  if (phaseAt(sale, at) === 'ended') return null;
  return [Date.parse(sale.startsAt), sale.endsAt === null ? Infinity : Date.parse(sale.endsAt)];
}

export function evolveSchedule(state: SkuFlashSales, event: SkuFlashSalesEvent): SkuFlashSales {
  switch (event.type) {
    case 'FlashSaleScheduled': {
      const { at, ...terms } = event.data;
      return { sales: [...state.sales, { ...terms, createdAt: at, endedAt: null }] };
    }
    case 'ScheduledFlashSaleEnded':
      return { sales: state.sales.map((sale) => (sale.flashSaleId === event.data.flashSaleId && sale.endedAt === null ? { ...sale, endedAt: event.data.at } : sale)) };
  }
}

export function decideSchedule(command: SkuFlashSalesCommand, state: SkuFlashSales): SkuFlashSalesEvent[] {
  switch (command.type) {
    case 'ScheduleFlashSale': {
      const existing = state.sales.find((sale) => sale.flashSaleId === command.terms.flashSaleId);
      if (existing) {
        const { createdAt: _c, endedAt: _e, ...terms } = existing;
        if (sameTerms(terms, command.terms)) return [];
        throw new ConflictError('FLASH_SALE_EXISTS', `flash sale ${command.terms.flashSaleId} already exists with other terms`);
      }
      const start = Date.parse(command.terms.startsAt);
      const end = command.terms.endsAt === null ? Infinity : Date.parse(command.terms.endsAt);
      for (const sale of state.sales) {
        const window = occupied(sale, command.at);
        if (window && window[0] < end && start < window[1]) {
          throw new ConflictError(
            'FLASH_SALE_CONFLICT',
            `SKU ${command.terms.skuId} already has flash sale ${sale.flashSaleId} (${sale.startsAt} – ${sale.endsAt ?? 'open'}); one flash sale per SKU at a time`,
            { flashSaleId: sale.flashSaleId },
          );
        }
      }
      return [{ type: 'FlashSaleScheduled', data: { ...command.terms, at: command.at } }];
    }
    case 'EndScheduledFlashSale': {
      const sale = state.sales.find((candidate) => candidate.flashSaleId === command.flashSaleId);
      if (!sale || phaseAt(sale, command.at) === 'ended') return [];
      return [{ type: 'ScheduledFlashSaleEnded', data: { flashSaleId: sale.flashSaleId, skuId: sale.skuId, at: command.at } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const skuFlashSalesDecider: Decider<SkuFlashSalesCommand, SkuFlashSalesEvent, SkuFlashSales> = {
  initialState: () => ({ sales: [] }),
  evolve: evolveSchedule,
  decide: decideSchedule,
};

export const skuFlashSalesStream = (skuId: string) => `flashsale-sku-${skuId}`;

// ---------------------------------------------------------------------------------------------
// Rebuilding the gate from events

/** The inventory events the rebuild reads (the shapes of src/domain/inventory/inventory.ts). */
export type ReservationFact =
  | { type: 'StockReserved'; data: { orderId: string; quantity: number; at: string } }
  | { type: 'ReservationReleased'; data: { orderId: string; quantity: number } }
  | { type: string; data: unknown };

/**
 * Units the sale holds: reserved (or sold) by orders placed in its window and not released since. Every
 * checkout of the SKU while the sale runs passes the gate, so these are exactly the units it admitted
 * and kept. The gate's tokens are `quantity − held` (never below 0).
 */
export function unitsHeld(sale: Pick<FlashSaleTerms, 'startsAt' | 'endsAt'> & { createdAt: string; endedAt: string | null }, inventoryEvents: ReservationFact[]): number {
  let units = 0;
  for (const quantity of holdsOf(sale, new Map(), inventoryEvents).values()) units += quantity;
  return units;
}

/**
 * The sale's holds (order id → units) after `inventoryEvents`, folded onto `held` (mutated and returned): the
 * fold behind `unitsHeld`, which a caller that keeps `held` continues with the stream's newer events only.
 */
export function holdsOf(
  sale: Pick<FlashSaleTerms, 'startsAt' | 'endsAt'> & { createdAt: string; endedAt: string | null },
  held: Map<string, number>,
  inventoryEvents: ReservationFact[],
): Map<string, number> {
  const opened = new Date(Math.max(Date.parse(sale.startsAt), Date.parse(sale.createdAt))).toISOString();
  const window = { ...sale, startsAt: opened };
  for (const event of inventoryEvents) {
    if (event.type === 'StockReserved') {
      const data = event.data as { orderId: string; quantity: number; at: string };
      if (inWindow(window, data.at)) held.set(data.orderId, data.quantity);
    } else if (event.type === 'ReservationReleased') {
      held.delete((event.data as { orderId: string }).orderId);
    }
  }
  return held;
}

export const tokensLeft = (quantity: number, held: number): number => Math.max(0, quantity - held);
