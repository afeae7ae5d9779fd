import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LEAVES, demoProductId, demoProductPlan, seedDemoStore } from '../../src/commands/catalog/demo-seed.js';
import { catalogWorld, cny, settled, type CatalogWorld } from './catalog-support.js';

let world: CatalogWorld;
const search = (q: string, filters = '') => world.api('GET', `/api/v1/products/search?q=${encodeURIComponent(q)}&size=100${filters}`);
const admin = (method: string, path: string, body?: unknown) => world.api(method, `/api/v1/admin${path}`, { token: world.adminToken, body });
const ids = (response: { body: { hits: Array<{ id: string }> } }) => response.body.hits.map((hit) => hit.id);

/** Every leaf of the demo tree twice. */
const PRODUCTS = 2 * DEMO_LEAVES.length;

beforeAll(async () => {
  world = await catalogWorld();
  await seedDemoStore(world.runtime.deps, { products: PRODUCTS });
  await settled(world);
});
afterAll(() => world.runtime.close());

/** The listed demo products whose title or description holds one of the forms (a word, not a substring). */
function demoProductsSaying(forms: RegExp): string[] {
  const found: string[] = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const plan = demoProductPlan(i);
    if (plan.status === 'listed' && forms.test(`${plan.title} ${plan.description}`)) found.push(demoProductId(i));
  }
  return found.sort();
}

describe('English search on the demo catalog', () => {
  const WORDS: Array<[string[], RegExp]> = [
    [['phone', 'phones', 'PHONES', 'ＰＨＯＮＥ'], /\bphones?\b/i],
    [['laptop', 'laptops', 'Laptop'], /\blaptops?\b/i],
    [['book', 'books', 'BOOKS'], /\bbooks?\b/i],
    [['novel', 'novels'], /\bnovels?\b/i],
    [['shoes', 'shoe', 'Shoes'], /\bshoes?\b/i],
    [['coffee', 'COFFEE', 'ｃｏｆｆｅｅ'], /\bcoffees?\b/i],
    [['headphones', 'headphone', 'Headphones'], /\bheadphones?\b/i],
    [['boxes', 'box'], /\bbox(?:es)?\b/i],
  ];

  for (const [queries, forms] of WORDS) {
    it(`finds every demo product that says ${forms.source.replace(/\\b/g, '')} with ${queries.join(', ')}`, async () => {
      const expected = demoProductsSaying(forms);
      expect(expected.length, 'the demo catalog has such products').toBeGreaterThan(0);
      for (const q of queries) {
        const response = await search(q);
        expect(response.status).toBe(200);
        expect(ids(response).sort(), q).toEqual(expected);
      }
    });
  }

  it('still finds Chinese words, not substrings (in titles, descriptions and category names)', async () => {
    const phones = await search('手机');
    expect(phones.body.total).toBeGreaterThan(0);
    for (const hit of phones.body.hits as Array<{ title: string; id: string }>) {
      const i = Array.from({ length: PRODUCTS }, (_, n) => n).find((n) => demoProductId(n) === hit.id)!;
      const categories = (await world.runtime.deps.searchIndex.get(hit.id))?.categoryNames ?? [];
      expect(`${hit.title}${demoProductPlan(i).description}${categories.join(' ')}`).toContain('手机');
    }
  });
});

describe('ranking a category noun', () => {
  const made = {} as Record<'phones' | 'accessories' | 'brand' | 'case' | 'stand' | 'flagship', string>;

  beforeAll(async () => {
    const created = async (path: string, body: unknown) => {
      const response = await admin('POST', path, body);
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      return response.body.id as string;
    };
    const root = await created('/categories', { name: '通讯数码' });
    made.phones = await created('/categories', { name: '智能手机', parentId: root });
    made.accessories = await created('/categories', { name: '手机配件', parentId: root });
    const brand = await created('/brands', { name: '测试品牌' });
    made.brand = brand;
    let code = 0;
    const product = async (title: string, categoryId: string, description: string) =>
      created('/products', {
        title,
        categoryId,
        brandId: brand,
        attributes: {},
        description,
        images: ['https://img.example.com/x.png'],
        skus: [{ skuCode: `RANK-${++code}`, salesAttributes: {}, price: cny(1000), stock: 5 }],
        status: 'listed',
      });
    made.case = await product('手机壳 防摔', made.accessories, '');
    made.stand = await product('懒人手机支架', made.accessories, '');
    made.flagship = await product('测试旗舰 Ultra', made.phones, '徕卡影像 拍照手机');
    await settled(world);
  });

  it('ranks the products of the category the noun names above accessories that only mention it', async () => {
    const found = ids(await search('手机', `&brand=${made.brand}`));
    expect([...found].sort()).toEqual([made.case, made.stand, made.flagship].sort());
    expect(found[0]).toBe(made.flagship); // only its description says 手机, but its category is 智能手机
    expect(ids(await search('手机壳', `&brand=${made.brand}`))).toEqual([made.case]);
  });

  it('follows a category rename', async () => {
    const renamed = await admin('PATCH', `/categories/${made.accessories}`, { name: '手机' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    await settled(world, renamed.body.position);
    const document = await world.runtime.deps.searchIndex.get(made.stand);
    expect(document?.categoryName).toBe('手机');
    const found = ids(await search('手机', `&brand=${made.brand}`));
    expect(found.indexOf(made.flagship)).toBeGreaterThan(Math.min(found.indexOf(made.case), found.indexOf(made.stand)));
  });
});
