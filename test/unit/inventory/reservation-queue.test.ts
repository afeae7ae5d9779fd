import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteEventStore } from '../../../src/adapters/eventstore/sqlite.js';
import { createHandlers } from '../../../src/commands/handlers.js';
import { inventoryCommand } from '../../../src/commands/inventory/reservations.js';
import { available, inventoryStream, OutOfStock } from '../../../src/domain/inventory/inventory.js';
import type { EventStore } from '../../../src/ports/event-store.js';

const at = '2026-11-25T00:00:00.000Z';
const metadata = { correlationId: 'test' };

function setup(onHand: number) {
  const base = sqliteEventStore(new Database(':memory:'));
  const appends: number[] = [];
  const store: EventStore = { ...base, append: (streamId, events, expected) => (appends.push(events.length), base.append(streamId, events, expected)) };
  const deps = { handlers: createHandlers(store) };
  return { store, deps, appends, init: () => deps.handlers.inventory.handle(inventoryStream('sku-1'), { type: 'InitializeStock', skuId: 'sku-1', productId: 'p-1', onHand, at }) };
}

const reserve = (orderId: string, quantity = 1) => ({ type: 'ReserveStock' as const, orderId, quantity, expiresAt: '2026-11-25T00:30:00.000Z', at });

describe('the reservation queue of a SKU', () => {
  it('decides queued reservations together: 200 buyers for 50 units share a few appends and exactly 50 win', async () => {
    const { deps, appends, init, store } = setup(50);
    await init();
    appends.length = 0;
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, n) => inventoryCommand(deps, 'sku-1', reserve(`o-${n}`), metadata)));
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(won).toHaveLength(50);
    expect(outcomes.every((outcome) => outcome.status === 'fulfilled' || outcome.reason instanceof OutOfStock)).toBe(true);
    // The first buyer goes alone; the rest queued behind its append and are decided in one batch.
    expect(appends.length).toBeLessThanOrEqual(3);
    const events = await store.readStream(inventoryStream('sku-1'));
    expect(events.filter((event) => event.type === 'StockReserved')).toHaveLength(50);
    const { state } = await deps.handlers.inventory.load(inventoryStream('sku-1'));
    expect(available(state)).toBe(0);
  });

  it('keeps the order of other commands: a release queued between reservations frees its units for those after it', async () => {
    const { deps, init } = setup(1);
    await init();
    await inventoryCommand(deps, 'sku-1', reserve('first'), metadata);
    const results = await Promise.allSettled([
      inventoryCommand(deps, 'sku-1', reserve('second'), metadata),
      inventoryCommand(deps, 'sku-1', { type: 'ReleaseReservation', orderId: 'first', reason: 'cancelled', at }, metadata),
      inventoryCommand(deps, 'sku-1', reserve('third'), metadata),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    const { state } = await deps.handlers.inventory.load(inventoryStream('sku-1'));
    expect(state.status === 'tracked' && Object.keys(state.reservations ?? {})).toEqual(['third']);
  });

  it('answers a resent reservation without taking the units again, even within one batch', async () => {
    const { deps, init } = setup(5);
    await init();
    await inventoryCommand(deps, 'sku-1', reserve('blocker'), metadata);
    const [a, b] = await Promise.all([inventoryCommand(deps, 'sku-1', reserve('same', 2), metadata), inventoryCommand(deps, 'sku-1', reserve('same', 2), metadata)]);
    expect([a.events.length, b.events.length]).toEqual([1, 0]);
    expect(available(b.state)).toBe(2);
  });
});
