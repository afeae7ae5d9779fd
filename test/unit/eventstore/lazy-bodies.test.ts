import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteEventStore } from '../../../src/adapters/eventstore/sqlite.js';

/** Subscriptions read event bodies parsed on first use: to a reader they are the same frozen values. */
describe('events read from the SQLite log (readAll, subscriptions)', () => {
  it('give their data and metadata on use, equal to what was appended, frozen, serializable', async () => {
    const store = sqliteEventStore(new Database(':memory:'));
    const data = { orderId: 'o-1', items: [{ skuId: 's-1', title: '红色 T恤', quantity: 2 }], total: { amount: 9900, currency: 'CNY' } };
    const metadata = { correlationId: 'c-1', actor: { id: 'u-1', role: 'customer' } };
    await store.append('order-o-1', [{ type: 'OrderPlaced', data, metadata }], 'no_stream');

    const [event] = await store.readAll();
    expect(event!.type).toBe('OrderPlaced');
    expect(event!.data).toEqual(data);
    expect(event!.data).toBe(event!.data); // parsed once
    expect(event!.metadata).toEqual(metadata);
    expect(Object.isFrozen(event)).toBe(true);
    expect(() => {
      (event!.data as typeof data).items[0]!.quantity = 3;
    }).toThrow(TypeError);
    expect(JSON.parse(JSON.stringify(event))).toMatchObject({ streamId: 'order-o-1', revision: 0, data, metadata });
    expect({ ...event! }.data).toEqual(data);
    // what a stream read gives is the same value
    expect((await store.readStream('order-o-1'))[0]).toEqual(event);
    await store.close();
  });
});
