import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settled } from './catalog-support.js';
import { address, line, newBuyer, newSku, orderWorld, stockOf, type OrderWorld } from './orders-support.js';
import { placeOrder } from '../../src/commands/orders/place-order.js';
import { inventoryStream } from '../../src/domain/inventory/inventory.js';

/** A hot SKU: 200 buyers at once for 50 units. */

let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(() => world.runtime.close());

describe('concurrent checkouts of one SKU', () => {
  it('200 buyers, 50 units: exactly 50 orders, never oversold, every loser OUT_OF_STOCK', async () => {
    const sku = await newSku(world, { stock: 50, price: 1000 });
    const buyers = await Promise.all(Array.from({ length: 200 }, () => newBuyer(world)));
    const deps = world.runtime.deps;
    const outcomes = await Promise.allSettled(
      buyers.map((buyer, index) => placeOrder(deps, { userId: buyer.id, ip: `10.0.${index % 250}.1`, items: [line(sku, 1)], shippingAddress: address }, {})),
    );
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const lost = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(won).toHaveLength(50);
    expect(lost).toHaveLength(150);
    for (const outcome of lost) expect(outcome.reason).toMatchObject({ code: 'OUT_OF_STOCK' });
    expect(await stockOf(world, sku.skuId)).toEqual({ onHand: 50, reserved: 50, available: 0 });

    // never negative at any point of the stream
    for (const event of await deps.store.readStream(inventoryStream(sku.skuId))) {
      const data = event.data as { onHand: number; reserved?: number };
      expect(data.onHand - (data.reserved ?? 0)).toBeGreaterThanOrEqual(0);
    }
    await settled(world);
    const page = await deps.views.find('orders', { where: { status: 'pending_payment' }, limit: 100 });
    expect(page.items.filter((order) => (order.items as Array<{ skuId: string }>)[0]!.skuId === sku.skuId)).toHaveLength(50);

    // over HTTP as well: the next buyer is refused
    const late = await world.api('POST', '/api/v1/orders', { token: buyers[0]!.token, body: { items: [line(sku, 1)], shippingAddress: address } });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('OUT_OF_STOCK');
  });
});
