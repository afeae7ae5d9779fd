import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadAllOptions } from '../../src/ports/event-store.js';
import { settled } from './catalog-support.js';
import { address, line, newBuyer, newSku, orderWorld, type OrderWorld } from './orders-support.js';

/** Rebuilding a read model does not blank it (blue-green): queries and /readyz answer throughout. */

let world: OrderWorld;
let buyer: Awaited<ReturnType<typeof newBuyer>>;
beforeAll(async () => {
  world = await orderWorld();
  const sku = await newSku(world, { stock: 50 });
  await newSku(world, { stock: 50 });
  buyer = await newBuyer(world);
  for (let i = 0; i < 3; i++) {
    const placed = await world.api('POST', '/api/v1/orders', { token: buyer.token, body: { items: [line(sku)], shippingAddress: address } });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  }
  await settled(world);
});
afterAll(() => world.runtime.close());

const orderIds = async () => {
  const response = await world.api('GET', '/api/v1/orders?limit=100', { token: buyer.token });
  expect(response.status).toBe(200);
  return (response.body.items as Array<{ orderId?: string; id?: string }>).map((order) => order.orderId ?? order.id).sort();
};
const searchTotal = async () => {
  const response = await world.api('GET', '/api/v1/products/search?size=100');
  expect(response.status).toBe(200);
  return response.body.total as number;
};
const probe = async () => ({ orders: await orderIds(), search: await searchTotal(), readyz: (await world.api('GET', '/readyz')).status });

/**
 * Runs the rebuild while probing the API: between the rebuild's batches (each starts with an event store
 * read) and in a loop beside it, until it resolves.
 */
async function probedRebuild(name: string) {
  const store = world.runtime.deps.store;
  const readAll = store.readAll;
  const duringBatches: Array<Awaited<ReturnType<typeof probe>>> = [];
  let inProbe = false;
  store.readAll = async (options?: ReadAllOptions) => {
    if (!inProbe) {
      inProbe = true;
      duringBatches.push(await probe().finally(() => (inProbe = false)));
    }
    return readAll.call(store, options);
  };
  const beside: Array<Awaited<ReturnType<typeof probe>>> = [];
  let done = false;
  try {
    const rebuilding = world.runtime.deps.projections.rebuild(name).finally(() => (done = true));
    while (!done) {
      beside.push(await probe());
      await new Promise((resolve) => setTimeout(resolve, 2)); // the probes alone would never leave the microtask queue
    }
    await rebuilding;
  } finally {
    store.readAll = readAll;
  }
  return { duringBatches, beside };
}

describe('rebuilding a read model (blue-green)', () => {
  it('keeps answering order lists and searches from the live read model, /readyz ready, until the rebuilt one is switched in', async () => {
    const before = await probe();
    expect(before).toEqual({ orders: expect.any(Array), search: expect.any(Number), readyz: 200 });
    expect(before.orders).toHaveLength(3);
    expect(before.search).toBeGreaterThanOrEqual(2);

    for (const name of ['orders', 'search']) {
      const { duringBatches, beside } = await probedRebuild(name);
      expect(duringBatches.length, `${name}: probes between the rebuild's batches`).toBeGreaterThan(0);
      for (const seen of [...duringBatches, ...beside]) expect(seen, name).toEqual(before);
      expect(await probe()).toEqual(before);
      const status = (await world.runtime.deps.projections.status()).find((projection) => projection.name === name);
      expect(status).toMatchObject({ rebuilding: false, lag: 0 });
      expect(status).not.toHaveProperty('rebuild');
    }
  });

  it('goes on applying new events to the rebuilt read model', async () => {
    const sku = await newSku(world, { stock: 5 });
    const placed = await world.api('POST', '/api/v1/orders', { token: buyer.token, body: { items: [line(sku)], shippingAddress: address } });
    expect(placed.status).toBe(201);
    await settled(world, placed.headers.get('X-Position') ?? undefined);
    expect(await orderIds()).toHaveLength(4);
    expect(await searchTotal()).toBeGreaterThanOrEqual(3);
  });
});
