import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, consoleWorld, expectAccessible, hasChromium, person, screenshot, signIn, skipReason, visit, type ConsoleWorld } from './console-support.js';

if (!hasChromium) console.warn(skipReason('test/e2e/console-catalog.test.ts'));

/** The product center in the console: taxonomy, a product with SKUs, a price conflict, bulk import, the home page. */
describe.skipIf(!hasChromium)('console: catalog, bulk jobs, home page', () => {
  let world: ConsoleWorld;
  let page: Page;
  let productId: string;
  let categoryId: string;
  let brandId: string;

  beforeAll(async () => {
    world = await consoleWorld();
    ({ page } = await person(world));
    await signIn(world, page, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await world?.close();
  });

  const submit = async (selector: string) => {
    const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
    return response;
  };

  it('creates a category tree with attribute templates and a brand', async () => {
    await visit(world, page, '/admin/categories', 'categories-empty');
    expect(await page.locator('#category-tree .empty').count()).toBe(1);
    await page.fill('form[data-form="category"] input[name="name"]', '服装');
    await submit('form[data-form="category"] button');
    expect(await page.textContent('.flash.ok')).toContain('类目已创建');
    await page.fill('form[data-form="category"] input[name="name"]', 'T恤');
    await page.selectOption('form[data-form="category"] select[name="parentId"]', { label: '服装' });
    await submit('form[data-form="category"] button');

    const attribute = async (category: string, name: string, kind: string, values: string) => {
      await page.selectOption('form[data-form="attribute"] select[name="categoryId"]', { label: category });
      await page.fill('form[data-form="attribute"] input[name="name"]', name);
      await page.selectOption('form[data-form="attribute"] select[name="kind"]', kind);
      await page.fill('form[data-form="attribute"] input[name="values"]', values);
      await submit('form[data-form="attribute"] button');
      expect(await page.textContent('.flash.ok')).toContain('属性已添加');
    };
    await attribute('服装', '材质', 'key', '棉, 麻');
    await attribute('服装 › T恤', '颜色', 'sales', '红色，蓝色');

    // T恤 shows its own template and the one it inherits from 服装.
    const tee = page.locator('li[data-category]', { has: page.locator('strong', { hasText: 'T恤' }) }).last();
    categoryId = (await tee.getAttribute('data-category'))!;
    expect(await tee.locator('li[data-attribute="材质"][data-inherited="true"]').textContent()).toContain('继承自 服装');
    expect(await tee.locator('li[data-attribute="颜色"][data-inherited="false"]').count()).toBe(1);
    await page.selectOption('form[data-form="frontend-category"] select[name="backendCategoryIds"]', [categoryId]);
    await page.fill('form[data-form="frontend-category"] input[name="name"]', '夏日T恤');
    await submit('form[data-form="frontend-category"] button');
    await visit(world, page, '/admin/categories', 'categories');

    await visit(world, page, '/admin/brands', 'brands-empty');
    await page.fill('form[data-form="brand"] input[name="name"]', 'Acme');
    await submit('form[data-form="brand"] button');
    expect(await page.textContent('.flash.ok')).toContain('品牌已创建');
    brandId = (await page.locator('tr[data-brand]').first().getAttribute('data-brand'))!;
    await visit(world, page, '/admin/brands', 'brands');
  });

  it('creates a product with SKUs (SKU first) and lists it', async () => {
    await visit(world, page, `/admin/products/new?categoryId=${categoryId}`, 'product-new');
    await page.fill('form[data-form="product"] input[name="title"]', '纯棉T恤');
    await page.selectOption('form[data-form="product"] select[name="attr.材质"]', '棉');
    for (const [i, color, price, stock] of [[0, '红色', '59.90', '10'], [1, '蓝色', '69.00', '5']] as const) {
      await page.fill(`input[name="sku.${i}.code"]`, `TEE-${color === '红色' ? 'R' : 'B'}`);
      await page.selectOption(`select[name="sku.${i}.sa.颜色"]`, color);
      await page.fill(`input[name="sku.${i}.price"]`, price);
      await page.fill(`input[name="sku.${i}.stock"]`, stock);
    }
    await page.selectOption('form[data-form="product"] select[name="status"]', 'listed');
    const created = await submit('form[data-form="product"] button[type="submit"]');
    expect(created?.status(), await page.locator('main').innerText()).toBe(200);
    expect(await page.textContent('.flash.ok')).toContain('商品已创建');
    productId = new URL(page.url()).pathname.split('/').pop()!;
    expect(await page.locator('tr[data-sku]').count()).toBe(2);
    await expectAccessible(page, 'product-editor');
    await screenshot(page, 'product-editor');

    const product = await world.api('GET', `/api/v1/admin/products/${productId}`, { token: world.adminToken });
    expect(product.body).toMatchObject({ title: '纯棉T恤', status: 'listed', category: { id: categoryId }, brand: { id: brandId }, keyAttributes: { 材质: '棉' } });
    expect(product.body.skus.map((s: { skuCode: string; price: { amount: number } }) => [s.skuCode, s.price.amount])).toEqual([['TEE-R', 5990], ['TEE-B', 6900]]);

    await visit(world, page, `/admin/products?categoryId=${categoryId}`, 'products');
    expect(await page.locator(`tr[data-product="${productId}"]`).count()).toBe(1);
    await visit(world, page, `/admin/products?brandId=${brandId}&status=draft`, 'products-empty');
    expect(await page.locator('#list .empty').count()).toBe(1);
    // The keyword filter, typed into the form: the list region is swapped in place.
    await page.goto(`${world.baseUrl}/admin/products`);
    await page.fill('form.filters input[name="q"]', 't恤');
    await Promise.all([page.waitForResponse((r) => r.url().includes('q=')), page.click('form.filters button[type="submit"]')]);
    await page.waitForLoadState('networkidle');
    expect(await page.locator(`tr[data-product="${productId}"]`).count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('t恤');
    await page.fill('form.filters input[name="q"]', '没有这个商品');
    await Promise.all([page.waitForResponse((r) => r.url().includes('q=')), page.click('form.filters button[type="submit"]')]);
    await page.waitForLoadState('networkidle');
    expect(await page.locator('#list .empty').count()).toBe(1);
  });

  it('explains a stale price edit (412) with the current price, and retries on request', async () => {
    await page.goto(`${world.baseUrl}/admin/products/${productId}`);
    // A second person changes the red SKU's price while this page is open.
    const other = await person(world);
    await signIn(world, other.page, ADMIN_EMAIL, ADMIN_PASSWORD, `/admin/products/${productId}`);
    await other.page.fill('tr[data-sku-code="TEE-R"] input[name="price"]', '88.00');
    await Promise.all([other.page.waitForNavigation(), other.page.click('tr[data-sku-code="TEE-R"] form[data-form="price"] button')]);
    expect(await other.page.textContent('.flash.ok')).toContain('价格已保存');

    await page.fill('tr[data-sku-code="TEE-R"] input[name="price"]', '77.00');
    const stale = await submit('tr[data-sku-code="TEE-R"] form[data-form="price"] button');
    expect(stale?.status()).toBe(412);
    const conflict = page.locator('[data-conflict="price"]');
    expect(await conflict.textContent()).toContain('88.00');
    expect(await conflict.textContent()).toContain('77.00');
    await expectAccessible(page, 'price-conflict');
    await screenshot(page, 'price-conflict');
    let sku = (await world.api('GET', `/api/v1/admin/products/${productId}`, { token: world.adminToken })).body.skus[0];
    expect(sku.price.amount).toBe(8800); // never silently overwritten

    const retried = await submit('[data-conflict="price"] button[data-action="retry"]');
    expect(retried?.status()).toBe(200);
    sku = (await world.api('GET', `/api/v1/admin/products/${productId}`, { token: world.adminToken })).body.skus[0];
    expect(sku.price.amount).toBe(7700);
    expect(await page.inputValue('tr[data-sku-code="TEE-R"] input[name="price"]')).toBe('77.00');
    await other.context.close();
  });

  it('runs a bulk import and shows its row report', async () => {
    await visit(world, page, '/admin/bulk', 'bulk');
    const line = (code: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ title: `批量T恤 ${code}`, categoryId, brandId, attributes: { 材质: '麻' }, skus: [{ skuCode: code, salesAttributes: { 颜色: '红色' }, price: { amount: 1990, currency: 'CNY' }, stock: 3 }], status: 'listed', ...extra });
    const file = [line('BULK-1'), line('BULK-2', { brandId: 'no-such-brand' }), line('BULK-3')].join('\n');
    await page.setInputFiles('input[name="file"]', { name: 'products.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(file) });
    await submit('form[data-form="bulk"] button');
    expect(new URL(page.url()).pathname).toMatch(/^\/admin\/bulk\/.+/);
    await page.waitForSelector('#job[data-job-status="completed"]', { timeout: 15_000 });
    expect(await page.textContent('[data-succeeded]')).toBe('2');
    expect(await page.textContent('[data-failed]')).toBe('1');
    expect(await page.textContent('#job-rows tr[data-row="2"]')).toContain('brand');
    await expectAccessible(page, 'bulk-job');
    await screenshot(page, 'bulk-job');
    const csv = await page.evaluate(async (href) => (await fetch(href)).text(), (await page.getAttribute('a[download]', 'href'))!);
    expect(csv.split('\n')[0]).toBe('row,ok,error');
    expect(csv).toContain('2,false,');
  });

  it('publishes the home page, which GET /api/v1/home then serves', async () => {
    await visit(world, page, '/admin/home', 'home-empty');
    await page.fill('input[name="banner.0.imageUrl"]', 'https://img.example.com/summer.jpg');
    await page.fill('input[name="banner.0.title"]', '夏季上新');
    await page.check('input[name="featured"]');
    await page.fill('input[name="collection.0.title"]', '编辑推荐');
    await page.fill('input[name="collection.0.productIds"]', productId);
    await page.fill('input[name="collection.1.title"]', 'T恤热卖');
    await page.selectOption('select[name="collection.1.kind"]', 'rule');
    await page.selectOption('select[name="collection.1.categoryId"]', categoryId);
    await submit('button[value="preview"]');
    expect(await page.textContent('#preview')).toContain('纯棉T恤');
    await expectAccessible(page, 'home-preview');
    await screenshot(page, 'home-preview');
    expect((await world.api('GET', '/api/v1/home')).body.publishedAt).toBeNull(); // a preview publishes nothing

    await submit('button[value="publish"]');
    expect(await page.textContent('.flash.ok')).toContain('首页已发布');
    const home = await world.api('GET', '/api/v1/home');
    expect(home.body.banners).toEqual([{ imageUrl: 'https://img.example.com/summer.jpg', title: '夏季上新' }]);
    expect(home.body.collections[0]).toMatchObject({ title: '编辑推荐', kind: 'manual', products: [{ id: productId }] });
    expect(home.body.collections[1]).toMatchObject({ title: 'T恤热卖', kind: 'rule' });
    await visit(world, page, '/admin/home', 'home');
    expect(await page.getAttribute('#live', 'data-published-at')).toBe(home.body.publishedAt);
  });
});
