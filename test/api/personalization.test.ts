import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogWorld, cny, settled, type CatalogWorld } from './catalog-support.js';
import { signalRecorder } from '../../src/commands/personalization/signals.js';
import { shopperStream } from '../../src/domain/personalization/profile.js';

let world: CatalogWorld;
const tokens: Record<'romance' | 'wuxia' | 'fresh' | 'off' | 'busy', string> = {} as never;
const c = {} as Record<'books' | 'wuxia' | 'romance' | 'phones', string>;
const wuxia: Array<{ id: string; sku: string }> = [];
const romance: Array<{ id: string; sku: string }> = [];
let codes = 0;

const api = (method: string, path: string, options: { token?: string; body?: unknown } = {}) => world.api(method, `/api/v1${path}`, options);
const search = (q: string, token?: string, extra = '') => api('GET', `/products/search?q=${encodeURIComponent(q)}&size=20${extra}`, { token });
const ids = (response: { body: { hits: Array<{ id: string }> } }) => response.body.hits.map((hit) => hit.id);
const recorder = () => signalRecorder(world.runtime.deps);
const flushed = async () => {
  await recorder().flush();
  await settled(world);
};
const streamLength = async (userId: string) => (await world.runtime.deps.store.readStream(shopperStream(userId))).length;

async function created(path: string, body: unknown): Promise<string> {
  const response = await api('POST', `/admin${path}`, { token: world.adminToken, body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.id;
}

async function product(title: string, categoryId: string, brandId: string, description = '') {
  const response = await api('POST', '/admin/products', {
    token: world.adminToken,
    body: { title, categoryId, brandId, attributes: {}, description, images: [], skus: [{ skuCode: `P-${++codes}`, salesAttributes: {}, price: cny(2000 + codes), stock: 50 }], status: 'listed' },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return { id: response.body.id as string, sku: response.body.skus[0].id as string };
}

/** A shopper's behaviour on these products: opens every one, adds the first to the cart, clicks the second in a search. */
async function behave(token: string, products: Array<{ id: string; sku: string }>) {
  for (const item of products) expect((await api('GET', `/products/${item.id}`, { token })).status).toBe(200);
  expect((await api('POST', '/cart/items', { token, body: { skuId: products[0]!.sku, quantity: 1 } })).status).toBe(200);
  const click = await api('POST', '/me/search-clicks', { token, body: { productId: products[1]!.id, query: '小说', rank: 7 } });
  expect(click.status, JSON.stringify(click.body)).toBe(202);
  expect(click.body.outcome).toBe('queued');
}

beforeAll(async () => {
  world = await catalogWorld();
  const issue = (userId: string) => world.runtime.deps.tokens.issueAccessToken({ userId, roles: ['customer'] }, new Date());
  for (const name of ['romance', 'wuxia', 'fresh', 'off', 'busy'] as const) tokens[name] = await issue(`shopper-${name}`);
  c.books = await created('/categories', { name: '图书' });
  c.wuxia = await created('/categories', { name: '武侠', parentId: c.books });
  c.romance = await created('/categories', { name: '言情', parentId: c.books });
  c.phones = await created('/categories', { name: '手机' });
  const sanlian = await created('/brands', { name: '三联书店' });
  const nanhai = await created('/brands', { name: '南海出版公司' });
  const huawei = await created('/brands', { name: '华为' });
  // Plain order for 小说: the wuxia titles say it twice, so they come first; romance only once.
  for (let i = 0; i < 8; i++) wuxia.push(await product(`武侠小说 第${i + 1}部`, c.wuxia, sanlian, '经典小说'));
  for (let i = 0; i < 8; i++) romance.push(await product(`言情 小说 第${i + 1}部`, c.romance, nanhai));
  await product('华为 Mate 60 手机', c.phones, huawei);
  await settled(world);
}, 60_000);

afterAll(async () => {
  await world?.runtime.close();
});

describe('personalized search', () => {
  let plain: string[];

  it('a shopper without history gets exactly the anonymous order', async () => {
    const anonymous = await search('小说');
    expect(anonymous.status).toBe(200);
    plain = ids(anonymous);
    expect(plain).toHaveLength(16);
    const fresh = await search('小说', tokens.fresh);
    expect(fresh.headers.get('X-Personalized')).toBe('false');
    expect(ids(fresh)).toEqual(plain);
  });

  it('two shoppers with different histories get different orders for 小说; the same hits', async () => {
    await behave(tokens.romance, romance.slice(0, 4));
    await behave(tokens.wuxia, wuxia.slice(4, 8));
    await flushed();

    const forRomance = await search('小说', tokens.romance);
    const forWuxia = await search('小说', tokens.wuxia);
    expect(forRomance.headers.get('X-Personalized')).toBe('true');
    expect(ids(forRomance)).not.toEqual(ids(forWuxia));
    // The gate: the same set of hits, only reordered.
    expect([...ids(forRomance)].sort()).toEqual([...plain].sort());
    expect([...ids(forWuxia)].sort()).toEqual([...plain].sort());
    const romanceIds = new Set(romance.map((item) => item.id));
    const topFive = (list: string[]) => list.slice(0, 5).filter((id) => romanceIds.has(id)).length;
    expect(topFive(ids(forRomance))).toBeGreaterThanOrEqual(4); // the plain top (a wuxia title) keeps a place in the first five
    expect(topFive(ids(forWuxia))).toBe(0);
    expect(topFive(plain)).toBe(0);
    // What the romance reader interacted with comes first among the romance titles.
    expect(ids(forRomance).indexOf(romance[0]!.id)).toBeLessThan(ids(forRomance).indexOf(romance[7]!.id));
    // Anonymous: still plain.
    expect(ids(await search('小说'))).toEqual(plain);
  });

  it('other queries are not disturbed: a phone search is plain for a reader', async () => {
    const phones = await search('手机', tokens.romance);
    expect(ids(phones)).toEqual(ids(await search('手机')));
  });

  it('explain=true is for admins and shows each hit\'s parts', async () => {
    expect((await search('小说', tokens.romance, '&explain=true')).status).toBe(403);
    const explained = await search('小说', world.adminToken, '&explain=true');
    expect(explained.status).toBe(200);
    expect(explained.body.hits[0].explain).toEqual({ plainRank: 1, text: 1, affinity: 0, popularity: 0, final: 1 });
  });

  it('GET /me/personalization says what the profile holds in words, only the caller\'s own', async () => {
    const mine = await api('GET', '/me/personalization', { token: tokens.romance });
    expect(mine.status).toBe(200);
    expect(mine.body.enabled).toBe(true);
    expect(mine.body.active).toBe(true);
    const texts = mine.body.entries.map((entry: { text: string }) => entry.text);
    expect(texts).toContain('言情 (category) — strong');
    expect(texts.some((text: string) => text.startsWith('南海出版公司 (brand)'))).toBe(true);
    expect(texts.some((text: string) => text.startsWith('武侠'))).toBe(false);
    expect(mine.body.summary).toContain('言情 (category)');

    const theirs = await api('GET', '/me/personalization', { token: tokens.wuxia });
    expect(theirs.body.entries.map((entry: { text: string }) => entry.text)).toContain('武侠 (category) — strong');
    expect((await api('GET', '/me/personalization')).status).toBe(401);
    // No route takes another user's id.
    expect((await api('GET', '/users/shopper-romance/personalization', { token: tokens.wuxia })).status).toBe(404);
    expect((await api('GET', '/me/personalization?userId=shopper-romance', { token: tokens.wuxia })).body.entries.some((entry: { name: string }) => entry.name === '言情')).toBe(false);
  });
});

describe('bad input', () => {
  it('is 400 and records nothing', async () => {
    const before = await streamLength('shopper-fresh');
    const bad = [
      { productId: romance[0]!.id, query: '小说', rank: 0 },
      { productId: romance[0]!.id, rank: 1 },
      { productId: romance[0]!.id, query: '小说', rank: 1.5 },
      { productId: 'no-such-product', query: '小说', rank: 1 },
      { productId: romance[0]!.id, query: '小说', rank: 1, userId: 'shopper-romance' },
      { productId: '', query: '小说', rank: 1 },
    ];
    for (const body of bad) {
      const response = await api('POST', '/me/search-clicks', { token: tokens.fresh, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await api('POST', '/me/search-clicks', { body: { productId: romance[0]!.id, query: '小说', rank: 1 } })).status).toBe(401);
    expect((await api('PATCH', '/me/personalization', { token: tokens.romance, body: { enabled: 'no' } })).status).toBe(400);
    expect((await api('PATCH', '/me/personalization', { token: tokens.romance, body: { enabled: false, extra: 1 } })).status).toBe(400);
    await flushed();
    expect(await streamLength('shopper-fresh')).toBe(before);
    expect((await api('GET', '/me/personalization', { token: tokens.romance })).body.enabled).toBe(true);
  });
});

describe('turning it off and clearing it', () => {
  it('PATCH enabled:false gives the plain order and stops recording; true brings it back', async () => {
    await behave(tokens.off, romance.slice(0, 3));
    await flushed();
    expect((await search('小说', tokens.off)).headers.get('X-Personalized')).toBe('true');

    const off = await api('PATCH', '/me/personalization', { token: tokens.off, body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    await settled(world, off.headers.get('X-Position')!);
    const length = await streamLength('shopper-off');
    const plainNow = await search('小说', tokens.off);
    expect(plainNow.headers.get('X-Personalized')).toBe('false');
    expect(ids(plainNow)).toEqual(ids(await search('小说')));
    // Signals stop: opens and cart adds are not recorded, clicks answer `off`.
    for (const item of wuxia) await api('GET', `/products/${item.id}`, { token: tokens.off });
    expect((await api('POST', '/me/search-clicks', { token: tokens.off, body: { productId: wuxia[0]!.id, query: '小说', rank: 1 } })).body.outcome).toBe('off');
    await flushed();
    expect(await streamLength('shopper-off')).toBe(length);
    const profile = await api('GET', '/me/personalization', { token: tokens.off });
    expect(profile.body).toMatchObject({ enabled: false, active: false });
    expect(profile.body.entries.some((entry: { name: string }) => entry.name === '武侠')).toBe(false);

    const on = await api('PATCH', '/me/personalization', { token: tokens.off, body: { enabled: true } });
    await settled(world, on.headers.get('X-Position')!);
    expect((await search('小说', tokens.off)).headers.get('X-Personalized')).toBe('true');
  });

  it('DELETE clears the profile, and a rebuild from the events does not bring it back', async () => {
    const cleared = await api('DELETE', '/me/personalization', { token: tokens.romance });
    expect(cleared.status).toBe(204);
    await settled(world, cleared.headers.get('X-Position')!);
    const profile = await api('GET', '/me/personalization', { token: tokens.romance });
    expect(profile.body).toMatchObject({ enabled: true, active: false, entries: [], signals: 0 });
    expect(profile.body.clearedAt).not.toBeNull();
    expect(ids(await search('小说', tokens.romance))).toEqual(ids(await search('小说')));

    await world.runtime.deps.projections.rebuild('personalization');
    const rebuilt = await api('GET', '/me/personalization', { token: tokens.romance });
    expect(rebuilt.body.entries).toEqual([]);
    // …while the other shopper's profile is rebuilt as it was.
    const other = await api('GET', '/me/personalization', { token: tokens.wuxia });
    expect(other.body.entries.map((entry: { text: string }) => entry.text)).toContain('武侠 (category) — strong');
  });
});

describe('signals are batched, rate-limited and never slow a request', () => {
  it('a slow event store does not slow product pages; a burst is cut to the per-shopper limit in few appends', async () => {
    const store = world.runtime.deps.store;
    const append = store.append.bind(store);
    let appends = 0;
    // Every append of a shopper stream takes 300 ms.
    store.append = async (streamId, events, expected) => {
      if (streamId.startsWith('shopper-')) {
        appends++;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return append(streamId, events, expected);
    };
    try {
      const before = { ...recorder().counts };
      const started = performance.now();
      const pages = await Promise.all(Array.from({ length: 60 }, (_, i) => api('GET', `/products/${romance[i % 8]!.id}`, { token: tokens.busy })));
      const elapsed = performance.now() - started;
      expect(pages.every((page) => page.status === 200)).toBe(true);
      expect(elapsed).toBeLessThan(300); // not one of them waited for the 300 ms append
      await recorder().flush();
      const limited = recorder().counts.rateLimited - before.rateLimited;
      expect(limited).toBeGreaterThanOrEqual(60 - recorder().options.burst - 1);
      expect(await streamLength('shopper-busy')).toBeLessThanOrEqual(recorder().options.burst + 1);
      expect(appends).toBeLessThanOrEqual(2);
    } finally {
      store.append = append;
    }
  });
});
