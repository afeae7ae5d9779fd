import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_LEAVES, demoProductPlan, seedDemoStore } from '../../src/commands/catalog/demo-seed.js';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { buildRuntime } from '../../src/main.js';
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
    expect(first).toMatchObject({ created: 50, existing: 0, homePage: 'published' });
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

    const home = await api('GET', '/api/v1/home');
    expect(home.body.banners).toHaveLength(3);
    expect(home.body.featuredCategories.map((category: { name: string }) => category.name)).toContain('手机数码');
    const phones = home.body.collections.find((collection: { title: string }) => collection.title === '热销手机');
    expect(phones.products.length).toBeGreaterThan(0);

    const head = await runtime.deps.store.headPosition();
    expect(await seedDemoStore(runtime.deps, { products: 50 })).toEqual({ created: 0, existing: 50, listed: first.listed, homePage: 'kept' });
    expect(await runtime.deps.store.headPosition()).toBe(head);

    const more = await seedDemoStore(runtime.deps, { products: 60 });
    expect(more).toMatchObject({ created: 10, existing: 50, homePage: 'kept' });
    await settle();
    expect((await api('GET', '/api/v1/products/search?size=1')).body.total).toBe(more.listed);
  });

  it('does not replace a home page the store already published', async () => {
    const own = await startTestRuntime();
    try {
      const admin = await own.deps.tokens.issueAccessToken({ userId: 'admin-1', roles: ['admin'] }, new Date());
      const page = { banners: [{ imageUrl: 'https://example.com/sale.png', title: 'Our own sale' }], featuredFrontendCategoryIds: [], collections: [] };
      expect((await client(own.app)('PUT', '/api/v1/admin/home', { token: admin, body: page })).status).toBe(200);
      expect((await seedDemoStore(own.deps, { products: 5 })).homePage).toBe('kept');
      await own.deps.projections.waitFor(await own.deps.store.headPosition(), 10_000);
      expect((await client(own.app)('GET', '/api/v1/home')).body.banners).toEqual(page.banners);
    } finally {
      await own.close();
    }
  });
});

describe('npx bazaar seed (the real process)', () => {
  const root = resolve(import.meta.dirname, '../..');
  const dataDir = mkdtempSync(join(tmpdir(), 'bazaar-seed-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const seed = () =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const env: NodeJS.ProcessEnv = { ...process.env, BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
      for (const name of ['NODE_ENV', 'JWT_SECRET', 'EVENTSTORE_URL', 'MONGODB_URL', 'REDIS_URL', 'ELASTICSEARCH_URL', 'DATABASE_URL']) delete env[name];
      const child = execFile(process.execPath, [join(root, 'bin/bazaar.js'), 'seed', '--products', '12'], { cwd: dataDir, env, timeout: 60_000 }, (_error, stdout, stderr) =>
        done({ code: child.exitCode, stdout, stderr }),
      );
    });

  it('exits 0 after seeding, publishes the demo home page, and exits 0 again on a second run', async () => {
    const first = await seed();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('12 products created');
    expect(first.stdout).toContain('demo home page published');

    const second = await seed();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('0 products created, 12 already there');

    const config = loadConfig({ BAZAAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' }, { readDotEnv: false });
    const store = await buildRuntime(config, createLogger('silent'));
    try {
      await store.deps.projections.start();
      const home = await client(createApp(store.deps))('GET', '/api/v1/home');
      expect(home.status).toBe(200);
      expect(home.body.publishedAt).not.toBeNull();
      expect(home.body.banners.length).toBeGreaterThan(0);
      expect(home.body.featuredCategories.length).toBeGreaterThan(0);
      const picks = home.body.collections.find((collection: { kind: string }) => collection.kind === 'manual');
      expect(picks.products.length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('the demo catalog', () => {
  /** Which brands may sell under each root category: an independent list a reviewer can read. */
  const ROOT_BRANDS: Record<string, string[]> = {
    图书: ['三联书店', '广州出版社', '人民文学出版社', '南海出版公司', '作家出版社', '中华书局', '中信出版社', '二十一世纪出版社', '机械工业出版社', '人民邮电出版社', "O'Reilly"],
    手机通讯: ['Apple', '华为', '小米', 'OPPO', 'vivo', 'Samsung', '一加', '红魔', '飞利浦', '诺基亚', '中兴', '摩托罗拉', '海能达'],
    数码: ['Apple', '华为', '小米', '联想', 'Sony', 'Bose', '漫步者', '佳明', 'Anker', '绿联', '倍思', '佳能', '尼康', '富士', '大疆'],
    电脑办公: ['Apple', '华为', '联想', 'Dell', '华硕', 'LG', 'AOC', '罗技', 'Cherry', '雷蛇', '惠普 HP', '佳能', '兄弟'],
    家用电器: ['海尔', '美的', '西门子', '小天鹅', '格力', '戴森 Dyson', '科沃斯', '追觅', '九阳', '苏泊尔', '飞利浦'],
    服装: ['优衣库', '李宁', 'Nike', 'Adidas', '无印良品 MUJI', '海澜之家', '波司登', '北面 The North Face', "Levi's"],
    鞋靴: ['Nike', 'Adidas', '李宁', '安踏', '亚瑟士 ASICS', 'Vans', '匡威 Converse', '回力', 'Dr. Martens', 'UGG', '骆驼', 'Crocs', '无印良品 MUJI'],
    美妆个护: ['雅诗兰黛', '兰蔻', '百雀羚', '欧莱雅', 'SK-II', '芙丽芳丝', '安热沙', '海飞丝', '潘婷', '施华蔻'],
    食品饮料: ['三只松鼠', '良品铺子', '百草味', '狮峰', '大益', '八马', '中茶', '雀巢', '星巴克', '三顿半', '瑞幸', '蒙牛', '伊利', '光明', '卫龙', '百果园', '佳沛', '都乐 Dole'],
    家居运动: ['宜家 IKEA', '无印良品 MUJI', '天马', '罗莱', '水星家纺', '网易严选', '欧普照明', '雷士照明', '飞利浦', '迪卡侬', 'Keep', '李宁', '牧高笛', '挪客 Naturehike'],
  };
  /** Brands that make only flagship goods: never on a generic item such as a phone for seniors or a camera. */
  const NOT_IN: Record<string, string[]> = { '手机通讯/老人机': ['Apple', '华为', '小米', 'Samsung'], '数码/相机': ['Dell', 'Apple', '小米'], '数码/充电配件': ['Apple'] };
  const occurrences = (text: string, word: string) => text.split(word).length - 1;

  const expectSound = (i: number) => {
    const plan = demoProductPlan(i);
    const [root] = plan.leafPath.split('/') as [string];
    const leaf = DEMO_LEAVES.find((candidate) => candidate.path === plan.leafPath)!;
    expect(ROOT_BRANDS[root], `${plan.title}: ${plan.brand} under ${plan.leafPath}`).toContain(plan.brand);
    expect(leaf.spec.brands).toContain(plan.brand);
    expect(NOT_IN[plan.leafPath] ?? []).not.toContain(plan.brand);
    for (const word of plan.brand.split(/\s+/)) expect(occurrences(plan.title, word), `"${plan.title}" repeats ${word}`).toBeLessThanOrEqual(1);
    const words = plan.title.split(' ');
    expect(words.some((word, k) => k > 0 && word === words[k - 1]), `"${plan.title}" doubles a word`).toBe(false); // no "小米 小米 14"
    expect(plan.description).toContain(plan.brand);
    expect(demoProductPlan(i)).toEqual(plan); // deterministic
  };

  it('gives every product a brand of its category, and no title repeats its brand', () => {
    for (let i = 0; i < 3_000; i++) expectSound(i); // the default --products
    fc.assert(fc.property(fc.nat({ max: 1_000_000 }), (i) => expectSound(i)), { numRuns: 500 });
  });

  it('names its goods in English words a shopper types', () => {
    const text = Array.from({ length: DEMO_LEAVES.length }, (_, i) => demoProductPlan(i))
      .map((plan) => `${plan.title} ${plan.description}`)
      .join('\n');
    for (const word of ['phone', 'laptop', 'book', 'novel', 'shoes', 'coffee', 'headphones']) expect(text, word).toMatch(new RegExp(`\\b${word}\\b`));
  });
});
