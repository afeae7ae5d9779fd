import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cny, settled } from './catalog-support.js';
import { address, line, newBuyer, newSku, orderWorld, stockOf, type OrderWorld } from './orders-support.js';

/** Checkout as a storefront uses it: ordered units leave the cart; `fromCart: true` orders the cart at the preview's prices. */

let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(async () => {
  await world?.runtime.close();
});

type Buyer = Awaited<ReturnType<typeof newBuyer>>;
const addToCart = async (buyer: Buyer, skuId: string, quantity: number) => {
  const response = await world.api('POST', '/api/v1/cart/items', { token: buyer.token, body: { skuId, quantity } });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
};
const cartLines = async (buyer: Buyer) => {
  const response = await world.api('GET', '/api/v1/cart', { token: buyer.token });
  expect(response.status).toBe(200);
  return Object.fromEntries((response.body.items as Array<{ skuId: string; quantity: number }>).map((item) => [item.skuId, item.quantity]));
};
const placeOrder = (buyer: Buyer, body: unknown) => world.api('POST', '/api/v1/orders', { token: buyer.token, body });
const reprice = async (skuId: string, amount: number) => {
  const response = await world.api('PUT', `/api/v1/admin/skus/${skuId}/price`, { token: world.merchantA.token, body: { price: cny(amount) } });
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  await settled(world);
};

describe('placing an order empties the ordered part of the cart', () => {
  it('removes only the ordered units; other lines and units stay', async () => {
    const buyer = await newBuyer(world);
    const a = await newSku(world);
    const b = await newSku(world);
    await addToCart(buyer, a.skuId, 3);
    await addToCart(buyer, b.skuId, 1);

    const placed = await placeOrder(buyer, { items: [line(a, 2)], shippingAddress: address });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(await cartLines(buyer)).toEqual({ [a.skuId]: 1, [b.skuId]: 1 });

    const rest = await placeOrder(buyer, { items: [line(a, 1), line(b, 1)], shippingAddress: address });
    expect(rest.status).toBe(201);
    expect(await cartLines(buyer)).toEqual({});
  });

  it('leaves the cart as it was when the checkout is refused', async () => {
    const buyer = await newBuyer(world);
    const a = await newSku(world, { stock: 2 });
    await addToCart(buyer, a.skuId, 2);

    const tooMany = await placeOrder(buyer, { items: [line(a, 3)], shippingAddress: address });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.code).toBe('OUT_OF_STOCK');
    const wrongPrice = await placeOrder(buyer, { items: [line(a, 1, a.price + 1)], shippingAddress: address });
    expect(wrongPrice.body.code).toBe('PRICE_CHANGED');
    expect(await cartLines(buyer)).toEqual({ [a.skuId]: 2 });
  });
});

describe('POST /api/v1/orders with fromCart', () => {
  it('orders every cart line at the prices the preview answered, and empties the cart', async () => {
    const buyer = await newBuyer(world);
    const a = await newSku(world, { price: 1200 });
    const b = await newSku(world, { price: 3400, merchantToken: world.merchantB.token });
    await addToCart(buyer, a.skuId, 2);
    await addToCart(buyer, b.skuId, 1);

    const preview = await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: {} });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    // The preview also takes the cart said explicitly, as the order does; not both ways at once.
    const explicit = await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { fromCart: true } });
    expect(explicit.status, JSON.stringify(explicit.body)).toBe(200);
    expect(explicit.body).toEqual(preview.body);
    const both = await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: { fromCart: true, items: [{ skuId: a.skuId, quantity: 1 }] } });
    expect(both.status).toBe(400);
    expect(both.body.errors).toEqual([{ path: 'items', message: 'send either `items` or `fromCart: true`' }]);
    const expectedPrices = (preview.body.orders as Array<{ items: unknown[] }>).flatMap((order) => order.items);

    const placed = await placeOrder(buyer, { fromCart: true, expectedPrices, shippingAddress: address });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.orders).toHaveLength(2);
    expect(placed.body.payable).toEqual(preview.body.payable);
    expect((await stockOf(world, a.skuId)).reserved).toBe(2);
    expect(await cartLines(buyer)).toEqual({});

    await settled(world, placed.body.position);
    const order = await world.api('GET', `/api/v1/orders/${placed.body.orders[0].id}`, { token: buyer.token });
    expect(order.body.items.map((item: { skuId: string; quantity: number }) => [item.skuId, item.quantity])).toEqual([[a.skuId, 2]]);
  });

  it('answers PRICE_CHANGED when a price moved since the preview, and keeps the cart', async () => {
    const buyer = await newBuyer(world);
    const a = await newSku(world, { price: 5000 });
    await addToCart(buyer, a.skuId, 1);
    const preview = await world.api('POST', '/api/v1/checkout/preview', { token: buyer.token, body: {} });
    const expectedPrices = (preview.body.orders as Array<{ items: unknown[] }>).flatMap((order) => order.items);
    await reprice(a.skuId, 5500);

    const refused = await placeOrder(buyer, { fromCart: true, expectedPrices, shippingAddress: address });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('PRICE_CHANGED');
    expect(refused.body.currentUnitPrice).toEqual(cny(5500));
    expect(await cartLines(buyer)).toEqual({ [a.skuId]: 1 });
    expect((await stockOf(world, a.skuId)).reserved).toBe(0);

    // without expectedPrices, the price the cart remembers (5000) is what the buyer saw
    const stale = await placeOrder(buyer, { fromCart: true, shippingAddress: address });
    expect(stale.body.code).toBe('PRICE_CHANGED');
    const current = await placeOrder(buyer, { fromCart: true, expectedPrices: [{ skuId: a.skuId, unitPrice: cny(5500) }], shippingAddress: address });
    expect(current.status).toBe(201);
  });

  it('refuses bad bodies with 400 and changes nothing', async () => {
    const buyer = await newBuyer(world);
    const a = await newSku(world);
    const empty = await placeOrder(buyer, { fromCart: true, shippingAddress: address });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('VALIDATION_FAILED');

    await addToCart(buyer, a.skuId, 1);
    for (const body of [
      { fromCart: true, items: [line(a)], shippingAddress: address },
      { shippingAddress: address },
      { fromCart: false, shippingAddress: address },
      { items: [line(a)], expectedPrices: [{ skuId: a.skuId, unitPrice: cny(a.price) }], shippingAddress: address },
    ]) {
      const refused = await placeOrder(buyer, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.code).toBe('VALIDATION_FAILED');
    }
    expect(await cartLines(buyer)).toEqual({ [a.skuId]: 1 });
    expect((await stockOf(world, a.skuId)).reserved).toBe(0);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await world.api('GET', '/openapi.json');
    const schema = doc.body.components.schemas.PlaceOrder;
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['items', 'fromCart', 'expectedPrices', 'shippingAddress']));
    expect(schema.required).not.toContain('items');
  });
});
