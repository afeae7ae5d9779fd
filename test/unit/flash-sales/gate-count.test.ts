import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteEventStore } from '../../../src/adapters/eventstore/sqlite.js';
import { countFromEvents } from '../../../src/commands/flash-sales/gate.js';
import { unitsHeld, type ScheduledFlashSale } from '../../../src/domain/flash-sales/flash-sale.js';
import type { EventStore } from '../../../src/ports/event-store.js';

describe('the gate count from the inventory events (start-up rebuild, repairer)', () => {
  it('reads only the events appended since its last count, and counts what a full fold counts', async () => {
    const inner = sqliteEventStore(new Database(':memory:'));
    let eventsRead = 0;
    const store: EventStore = { ...inner, readStream: async (...args) => inner.readStream(...args).then((events) => ((eventsRead += events.length), events)) };
    const stream = 'inventory-sku-1';
    await inner.append(stream, [{ type: 'StockSet', data: { skuId: 'sku-1', onHand: 100 } }], 'no_stream');
    const sale: ScheduledFlashSale = { flashSaleId: 'fs-1', skuId: 'sku-1', productId: 'p-1', quantity: 10, price: null, startsAt: '2026-01-01T10:00:00.000Z', endsAt: null, createdAt: '2026-01-01T09:00:00.000Z', endedAt: null, inventoryRevision: 0 };
    const reserved = (orderId: string, quantity: number, at = '2026-01-01T10:05:00.000Z') => ({ type: 'StockReserved', data: { skuId: 'sku-1', orderId, quantity, at } });
    const released = (orderId: string, quantity: number) => ({ type: 'ReservationReleased', data: { skuId: 'sku-1', orderId, quantity } });

    await inner.append(stream, [reserved('a', 2), reserved('b', 3), reserved('early', 5, '2026-01-01T09:59:00.000Z')], 0);
    expect(await countFromEvents({ store }, sale)).toEqual({ held: 5, tokens: 5 });
    expect(eventsRead).toBe(3);

    await inner.append(stream, [released('a', 2), reserved('c', 4)], 3);
    eventsRead = 0;
    expect(await countFromEvents({ store }, sale)).toEqual({ held: 7, tokens: 3 });
    expect(eventsRead).toBe(2);

    eventsRead = 0;
    expect(await countFromEvents({ store }, sale)).toEqual({ held: 7, tokens: 3 });
    expect(eventsRead).toBe(0);

    const all = (await inner.readStream(stream, { fromRevision: 1 })) as Parameters<typeof unitsHeld>[1];
    expect(unitsHeld(sale, all)).toBe(7);
  });

  it('reads a long stream in bounded pages, and concurrent counts agree with a full fold', async () => {
    const inner = sqliteEventStore(new Database(':memory:'));
    const pageSizes: Array<number | undefined> = [];
    const store: EventStore = { ...inner, readStream: async (streamId, options) => (pageSizes.push(options?.maxCount), inner.readStream(streamId, options)) };
    const stream = 'inventory-sku-2';
    await inner.append(stream, [{ type: 'StockSet', data: { skuId: 'sku-2', onHand: 100_000 } }], 'no_stream');
    const sale: ScheduledFlashSale = { flashSaleId: 'fs-2', skuId: 'sku-2', productId: 'p-2', quantity: 5_000, price: null, startsAt: '2026-01-01T10:00:00.000Z', endsAt: null, createdAt: '2026-01-01T09:00:00.000Z', endedAt: null, inventoryRevision: 0 };
    // 1,200 reservations, every third released again: 800 held
    const events = [];
    for (let n = 0; n < 1_200; n++) {
      events.push({ type: 'StockReserved', data: { skuId: 'sku-2', orderId: `o${n}`, quantity: 1, at: '2026-01-01T10:05:00.000Z' } });
      if (n % 3 === 0) events.push({ type: 'ReservationReleased', data: { skuId: 'sku-2', orderId: `o${n}`, quantity: 1 } });
    }
    await inner.append(stream, events, 0);

    const [first, second] = await Promise.all([countFromEvents({ store }, sale), countFromEvents({ store }, sale)]);
    expect(first).toEqual({ held: 800, tokens: 4_200 });
    expect(second).toEqual({ held: 800, tokens: 4_200 });
    expect(pageSizes.every((size) => size !== undefined && size <= 500)).toBe(true);
    const all = (await inner.readStream(stream, { fromRevision: 1 })) as Parameters<typeof unitsHeld>[1];
    expect(unitsHeld(sale, all)).toBe(800);
  });
});
