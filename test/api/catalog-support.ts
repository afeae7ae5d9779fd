import { expect } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';

export interface CatalogWorld {
  runtime: TestRuntime;
  api: ReturnType<typeof client>;
  adminToken: string;
  merchantA: { id: string; token: string };
  merchantB: { id: string; token: string };
  customerToken: string;
}

const token = (runtime: TestRuntime, userId: string, roles: Array<'admin' | 'merchant' | 'customer'>) =>
  runtime.deps.tokens.issueAccessToken({ userId, roles }, new Date());

/** A runtime with an admin, two merchants and a customer (tokens only: catalog commands need no user stream). */
export async function catalogWorld(): Promise<CatalogWorld> {
  const runtime = await startTestRuntime();
  return {
    runtime,
    api: client(runtime.app),
    adminToken: await token(runtime, 'admin-1', ['admin']),
    merchantA: { id: 'merchant-a', token: await token(runtime, 'merchant-a', ['merchant']) },
    merchantB: { id: 'merchant-b', token: await token(runtime, 'merchant-b', ['merchant']) },
    customerToken: await token(runtime, 'customer-1', ['customer']),
  };
}

export interface Taxonomy {
  rootId: string;
  categoryId: string;
  brandId: string;
  brandName: string;
}

/**
 * 服装 (root: key attribute 材质 [棉, 麻], general 产地) › T恤 (sales 颜色 [红色, 蓝色], 尺码 [S, M, L]);
 * one brand.
 */
export async function taxonomy(world: CatalogWorld, suffix = ''): Promise<Taxonomy> {
  const { api, adminToken } = world;
  const post = async (path: string, body: unknown) => {
    const response = await api('POST', `/api/v1/admin${path}`, { token: adminToken, body });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.id as string;
  };
  const rootId = await post('/categories', { name: `服装${suffix}` });
  const categoryId = await post('/categories', { name: 'T恤', parentId: rootId });
  await post('/attributes', { categoryId: rootId, name: '材质', kind: 'key', values: ['棉', '麻'] });
  await post('/attributes', { categoryId: rootId, name: '产地', kind: 'general' });
  await post('/attributes', { categoryId, name: '颜色', kind: 'sales', values: ['红色', '蓝色'] });
  await post('/attributes', { categoryId, name: '尺码', kind: 'sales', values: ['S', 'M', 'L'] });
  const brandName = `Acme${suffix}`;
  const brandId = await post('/brands', { name: brandName });
  return { rootId, categoryId, brandId, brandName };
}

export const cny = (amount: number) => ({ amount, currency: 'CNY' });

export function teeBody(t: Taxonomy, codes: string[] = ['TEE-R-M', 'TEE-B-M'], extra: Record<string, unknown> = {}) {
  const colors = ['红色', '蓝色'];
  return {
    title: '纯棉T恤',
    categoryId: t.categoryId,
    brandId: t.brandId,
    attributes: { 材质: '棉', 产地: '上海' },
    description: 'soft',
    images: ['https://img.example.com/tee.png'],
    skus: codes.map((skuCode, index) => ({ skuCode, salesAttributes: { 颜色: colors[index % 2]!, 尺码: ['S', 'M', 'L'][Math.floor(index / 2) % 3]! }, price: cny(9900 + index), stock: 10 })),
    ...extra,
  };
}

/** Waits until the read models have applied `position`. */
export async function settled(world: CatalogWorld, position?: string | number) {
  const head = position === undefined ? await world.runtime.deps.store.headPosition() : Number(position);
  expect(await world.runtime.deps.projections.waitFor(head, 5000)).toBe(true);
}
