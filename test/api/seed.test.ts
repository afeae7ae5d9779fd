import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoStore } from '../../src/commands/catalog/demo-seed.js';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';

let runtime: TestRuntime;
let api: ReturnType<typeof client>;
const settle = async () => expect(await runtime.deps.projections.waitFor(await runtime.deps.store.headPosition(), 10_000)).toBe(true);

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime.app);
});
afterAll(() => runtime.close());

describe('bazaar seed', () => {
  it('fills a searchable demo store through the commands, and a second run adds nothing', async () => {
    const first = await seedDemoStore(runtime.deps, { products: 50 });
    expect(first).toMatchObject({ created: 50, existing: 0 });
    expect(first.listed).toBeGreaterThan(35);
    await settle();

    const all = await api('GET', '/api/v1/products/search?size=100');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(first.listed);
    expect(all.body.facets.brand.length).toBeGreaterThan(5);
    const sample = all.body.hits.find((hit: { title: string }) => /\p{Script=Han}/u.test(hit.title));
    const found = await api('GET', `/api/v1/products/search?q=${encodeURIComponent(sample.title)}`);
    expect(found.body.hits.map((hit: { id: string }) => hit.id)).toContain(sample.id);
    const tree = await api('GET', '/api/v1/frontend-categories');
    expect(tree.body.items.length).toBeGreaterThanOrEqual(8);
    const detail = await api('GET', `/api/v1/products/${all.body.hits[0].id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.skus.length).toBeGreaterThan(0);

    const head = await runtime.deps.store.headPosition();
    expect(await seedDemoStore(runtime.deps, { products: 50 })).toEqual({ created: 0, existing: 50, listed: first.listed });
    expect(await runtime.deps.store.headPosition()).toBe(head);

    const more = await seedDemoStore(runtime.deps, { products: 60 });
    expect(more).toMatchObject({ created: 10, existing: 50 });
    await settle();
    expect((await api('GET', '/api/v1/products/search?size=1')).body.total).toBe(more.listed);
  });
});
