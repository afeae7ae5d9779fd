import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSku, orderWorld, type OrderWorld } from './orders-support.js';
import { paidOrder } from './fulfillment-support.js';
import { checkout, newBuyer } from './payments-support.js';
import { settled } from './catalog-support.js';
import { salesShown } from '../../src/projections/search/state.js';

/** Sales reach the search documents: sort=sales, the no-keyword default order and the ranking prior use them. */
let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world.runtime.close());

const ids = async (query: string) => {
  await settled(world);
  const answer = await world.api('GET', `/api/v1/products/search?${query}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.hits.map((hit: { id: string }) => hit.id);
};

describe('sales in search', () => {
  it('counts the units paid for: the best seller leads sort=sales and the default order; unpaid orders count nothing', async () => {
    const unsold = await newSku(world, { stock: 10 });
    await checkout(world, await newBuyer(world), [unsold], 9); // ordered, never paid
    const three = await paidOrder(world, { quantity: 3 });
    const five = await paidOrder(world, { quantity: 5 });
    const byId = (list: string[]) => list.filter((id) => [unsold.productId, three.sku.productId, five.sku.productId].includes(id));
    expect(byId(await ids('sort=sales&size=100'))).toEqual([five.sku.productId, three.sku.productId, unsold.productId]);
    expect(byId(await ids('size=100'))).toEqual([five.sku.productId, three.sku.productId, unsold.productId]);
    expect(byId(await ids(`q=${encodeURIComponent('纯棉T恤')}&sort=sales&size=100`))).toEqual([five.sku.productId, three.sku.productId, unsold.productId]);
  });
});

describe('salesShown', () => {
  it('keeps two significant digits, so a best seller is reindexed about 90 times per tenfold, not per order', () => {
    expect([0, 1, 99, 100, 109, 110, 999, 1_000, 1_099, 1_100, 123_456].map(salesShown)).toEqual([0, 1, 99, 100, 100, 110, 990, 1_000, 1_000, 1_100, 120_000]);
    const changes = new Set(Array.from({ length: 10_000 }, (_, i) => salesShown(i + 1))).size;
    expect(changes).toBeLessThan(99 + 2 * 90 + 2);
  });
});
