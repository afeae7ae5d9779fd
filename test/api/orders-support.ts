import { expect } from 'vitest';
import { client, startTestRuntime } from '../support/runtime.js';
import { userStream } from '../../src/domain/users/user.js';
import { inventoryStream, available } from '../../src/domain/inventory/inventory.js';
import { cny, settled, taxonomy, teeBody, type CatalogWorld, type Taxonomy } from './catalog-support.js';

/** Fixtures for the order tests: a runtime, products of two merchants, buyers with user streams. */
export interface OrderWorld extends CatalogWorld {
  t: Taxonomy;
}

let sequence = 0;
export const next = () => ++sequence;

export async function orderWorld(env: Record<string, string> = {}): Promise<OrderWorld> {
  const runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed', ...env });
  const token = (userId: string, roles: Array<'admin' | 'merchant' | 'customer'>) => runtime.deps.tokens.issueAccessToken({ userId, roles }, new Date());
  const world: CatalogWorld = {
    runtime,
    api: client(runtime.app),
    adminToken: await token('admin-1', ['admin']),
    merchantA: { id: 'merchant-a', token: await token('merchant-a', ['merchant']) },
    merchantB: { id: 'merchant-b', token: await token('merchant-b', ['merchant']) },
    customerToken: await token('customer-1', ['customer']),
  };
  return { ...world, t: await taxonomy(world) };
}

/** A product with one SKU sold by `merchant` (its token), projected. */
export async function newSku(world: OrderWorld, options: { stock?: number; price?: number; status?: 'listed' | 'draft'; merchantToken?: string; takeStockAt?: 'order' | 'payment' } = {}) {
  const body = teeBody(world.t, [`ORD-${next()}`], { status: options.status ?? 'listed', ...(options.takeStockAt ? { takeStockAt: options.takeStockAt } : {}) });
  body.skus[0] = { ...body.skus[0]!, stock: options.stock ?? 10, price: cny(options.price ?? 9900) };
  const created = await world.api('POST', '/api/v1/admin/products', { token: options.merchantToken ?? world.merchantA.token, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await settled(world, created.body.position);
  return { productId: created.body.id as string, skuId: created.body.skus[0].id as string, price: options.price ?? 9900 };
}

/** An active customer (user stream written directly: no password hashing) with a token. */
export async function newBuyer(world: OrderWorld) {
  const n = next();
  const userId = `buyer-${n}-${Date.now()}`;
  await world.runtime.deps.handlers.user.handle(userStream(userId), {
    type: 'RegisterUser',
    userId,
    phone: null,
    email: `buyer${n}@example.com`,
    nickname: `buyer ${n}`,
    passwordHash: 'x',
    roles: ['customer'],
    at: new Date().toISOString(),
  });
  return { id: userId, token: await world.runtime.deps.tokens.issueAccessToken({ userId, roles: ['customer'] }, new Date()) };
}

export const address = { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' };

export const line = (sku: { skuId: string; price: number }, quantity = 1, price = sku.price) => ({ skuId: sku.skuId, quantity, expectedUnitPrice: cny(price) });

export async function stockOf(world: OrderWorld, skuId: string) {
  const { state } = await world.runtime.deps.handlers.inventory.load(inventoryStream(skuId));
  return { onHand: state.status === 'tracked' ? state.onHand : 0, reserved: state.status === 'tracked' ? state.reserved : 0, available: available(state) };
}
