import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADDRESS, ADMIN_EMAIL, ADMIN_PASSWORD, cny, consoleWorld, hasChromium, person, registerWithPassword, screenshot, signIn, skipReason, visit, type ConsoleWorld } from './console-support.js';
import { startRole } from '../../src/runtime/roles.js';

if (!hasChromium) console.warn(skipReason('test/e2e/console-admin.test.ts'));

/** Promotions, vouchers, flash sales, users and API keys, operations (rebuild, leases), order filters and snapshots; empty and error states. */
describe.skipIf(!hasChromium)('console: marketing, users, keys, operations', () => {
  let world: ConsoleWorld;
  let page: Page;
  let sku: { skuId: string; price: number };
  let buyer: { id: string; token: string };
  let merchant: { id: string; phone: string; password: string };

  const submit = async (selector: string) => {
    const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
    return response;
  };
  const buy = async (quantity: number, price: number) => {
    const placed = await world.api('POST', '/api/v1/orders', { token: buyer.token, body: { items: [{ skuId: sku.skuId, quantity, expectedUnitPrice: cny(price) }], shippingAddress: ADDRESS } });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    return placed.body.orders[0].id as string;
  };

  beforeAll(async () => {
    world = await consoleWorld();
    const post = async (path: string, body: unknown, token = world.adminToken) => {
      const response = await world.api('POST', path, { token, body });
      expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
      return response.body;
    };
    const category = await post('/api/v1/admin/categories', { name: '茶叶' });
    const brand = await post('/api/v1/admin/brands', { name: '西湖' });
    merchant = await registerWithPassword(world, '茶店', ['merchant']);
    const merchantToken = await world.runtime.deps.tokens.issueAccessToken({ userId: merchant.id, roles: ['merchant'] }, new Date());
    const created = await post('/api/v1/admin/products', { title: '龙井 250g', categoryId: category.id, brandId: brand.id, skus: [{ skuCode: 'TEA-250', price: cny(12_800), stock: 40 }], status: 'listed' }, merchantToken);
    sku = { skuId: created.skus[0].id, price: 12_800 };
    const registered = await registerWithPassword(world, '茶客', ['customer']);
    buyer = { id: registered.id, token: await world.runtime.deps.tokens.issueAccessToken({ userId: registered.id, roles: ['customer'] }, new Date()) };
    ({ page } = await person(world));
    await signIn(world, page, ADMIN_EMAIL, ADMIN_PASSWORD);
  }, 60_000);
  afterAll(() => world?.close());

  it('an empty list says so; a page whose API call fails shows the problem and a retry link', async () => {
    await visit(world, page, '/admin/promotions', 'promotions-empty');
    await expect(page.locator('#list .empty').innerText()).resolves.toContain('还没有优惠码');
    await visit(world, page, '/admin/vouchers', 'vouchers-empty');
    await expect(page.locator('#list .empty').innerText()).resolves.toContain('还没有电子券');
    // A cursor this server never issued: the API answers 400 and the page shows its problem.
    await visit(world, page, '/admin/orders?cursor=not-a-cursor', 'orders-error', 400);
    await expect(page.locator('[data-problem="INVALID_CURSOR"], [data-problem]').first().isVisible()).resolves.toBe(true);
    await expect(page.locator('[data-problem] a').first().getAttribute('href')).resolves.toContain('/admin/orders');
  });

  it('creates and ends a promotion code and a voucher', async () => {
    await visit(world, page, '/admin/promotions', 'promotions-form');
    await page.fill('form[data-form="promotion"] input[name="code"]', 'spring10');
    await page.selectOption('form[data-form="promotion"] select[name="kind"]', 'percent');
    await page.fill('form[data-form="promotion"] input[name="value"]', '10');
    await page.fill('form[data-form="promotion"] input[name="minSpend"]', '50.00');
    await page.fill('form[data-form="promotion"] input[name="usageLimit"]', '100');
    expect((await submit('form[data-form="promotion"] button[type="submit"]'))?.status()).toBe(200);
    await page.waitForSelector('tr[data-promotion="SPRING10"] [data-status="running"]');
    await visit(world, page, '/admin/promotions', 'promotions');
    await submit('tr[data-promotion="SPRING10"] form button');
    await page.waitForSelector('tr[data-promotion="SPRING10"] [data-status="ended"]');

    // A mistake is the API's 400, explained on the page.
    await page.fill('form[data-form="promotion"] input[name="code"]', 'BAD100');
    await page.fill('form[data-form="promotion"] input[name="value"]', '150');
    expect((await submit('form[data-form="promotion"] button[type="submit"]'))?.status()).toBe(400);
    await expect(page.locator('[data-problem="VALIDATION_FAILED"]').innerText()).resolves.toContain('value');

    await visit(world, page, '/admin/vouchers', 'vouchers-form');
    await page.fill('form[data-form="voucher"] input[name="code"]', 'TEA20');
    await page.fill('form[data-form="voucher"] input[name="amount"]', '20');
    await page.fill('form[data-form="voucher"] input[name="maxUses"]', '3');
    await submit('form[data-form="voucher"] button[type="submit"]');
    await page.waitForSelector('tr[data-voucher="TEA20"] [data-status="running"]');
    await visit(world, page, '/admin/vouchers', 'vouchers');
    await submit('tr[data-voucher="TEA20"] form button');
    await page.waitForSelector('tr[data-voucher="TEA20"] [data-status="ended"]');
  });

  it("shows a running flash sale's sold and left counters live", async () => {
    await visit(world, page, '/admin/flash-sales', 'flash-sales-empty');
    await page.fill('form[data-form="flash-sale"] input[name="skuId"]', sku.skuId);
    await page.fill('form[data-form="flash-sale"] input[name="quantity"]', '5');
    await page.fill('form[data-form="flash-sale"] input[name="price"]', '99.00');
    await submit('form[data-form="flash-sale"] button[type="submit"]');
    await page.waitForSelector('[data-counters][data-sold="0"][data-left="5"]');
    await buy(2, 9_900);
    // No reload: htmx polls the counters every 2 s.
    await page.waitForSelector('[data-counters][data-sold="2"][data-left="3"]', { timeout: 8_000 });
    await screenshot(page, 'flash-sales');
    await submit('tr[data-flash-sale] form button');
    await page.waitForSelector('tr[data-flash-sale] [data-status="ended"]');
  });

  it('finds users by prefix and role, changes roles; creates an API key shown once and revokes it', async () => {
    await visit(world, page, `/admin/users?q=${encodeURIComponent('茶')}`, 'users');
    const row = page.locator(`tr[data-user="${buyer.id}"]`);
    await expect(row.count()).resolves.toBe(1);
    await row.locator('input[value="merchant"]').check();
    await Promise.all([page.waitForNavigation(), row.locator('button[type="submit"]').click()]);
    await expect(page.locator('.flash.ok').innerText()).resolves.toContain('茶客');
    await visit(world, page, '/admin/users?role=merchant&q=%E8%8C%B6', 'users-merchants');
    await expect(page.locator('tr[data-user]').count()).resolves.toBe(2);
    await visit(world, page, '/admin/users?q=nobody-here', 'users-empty');
    await expect(page.locator('#list .empty').isVisible()).resolves.toBe(true);

    await visit(world, page, '/admin/api-keys', 'api-keys-empty');
    await page.fill('form[data-form="api-key"] input[name="name"]', 'ERP sync');
    await page.fill('form[data-form="api-key"] input[name="merchantId"]', merchant.id);
    await submit('form[data-form="api-key"] button[type="submit"]');
    const secret = await page.locator('[data-secret]').innerText();
    expect(secret.length).toBeGreaterThan(20);
    await screenshot(page, 'api-key-created');
    // The key works (as the merchant) and is never shown again.
    expect((await world.api('GET', '/api/v1/merchant/orders', { headers: { Authorization: `ApiKey ${secret.trim()}` } })).status).toBe(200);
    await visit(world, page, '/admin/api-keys', 'api-keys');
    await expect(page.locator('[data-secret]').count()).resolves.toBe(0);
    await submit('tr[data-key] form button');
    await expect(page.locator('tr[data-key] form').count()).resolves.toBe(0);
    expect((await world.api('GET', '/api/v1/merchant/orders', { headers: { Authorization: `ApiKey ${secret.trim()}` } })).status).toBe(401);

    // The merchant sees its own key (revoked) on its API keys page; the admin pages are 403.
    const shop = await person(world);
    try {
      await signIn(world, shop.page, merchant.phone, merchant.password);
      await visit(world, shop.page, '/admin/api-keys', 'merchant-api-keys');
      await expect(shop.page.locator('tr[data-key]').count()).resolves.toBe(1);
      await expect(shop.page.locator('input[name="merchantId"]').count()).resolves.toBe(0);
      for (const path of ['/admin/users', '/admin/promotions', '/admin/vouchers', '/admin/flash-sales']) {
        expect((await shop.page.goto(`${world.baseUrl}${path}`))?.status(), path).toBe(403);
      }
    } finally {
      await shop.context.close();
    }
  });

  it('filters orders by payment and fulfillment status and dates; opens the item snapshot', async () => {
    const orderId = await buy(1, sku.price);
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    await visit(world, page, `/admin/orders?paymentStatus=unpaid&fulfillmentStatus=unfulfilled&from=${today}&to=${today}`, 'orders-filtered');
    await expect(page.locator(`tr[data-order="${orderId}"], a[href="/admin/orders/${orderId}"]`).count()).resolves.toBeGreaterThan(0);
    await visit(world, page, '/admin/orders?paymentStatus=paid', 'orders-paid-empty');
    await expect(page.locator(`a[href="/admin/orders/${orderId}"]`).count()).resolves.toBe(0);
    await visit(world, page, '/admin/orders?to=2020-01-01', 'orders-before-empty');
    await expect(page.locator('#list .empty').isVisible()).resolves.toBe(true);

    await visit(world, page, `/admin/orders/${orderId}`, 'order-detail-snapshot');
    await Promise.all([page.waitForNavigation(), page.click('a[href^="/admin/snapshots/"]')]);
    await page.waitForSelector('[data-snapshot]');
    await expect(page.locator('main h1').innerText()).resolves.toContain('龙井 250g');
    await visit(world, page, new URL(page.url()).pathname, 'snapshot');
  });

  it('asks for a projection rebuild, which the lease holder runs; shows the leases', async () => {
    // The test runtime takes no leases: run the projector role's lease keeper here, as `bazaar serve` does.
    const role = await startRole(world.runtime.deps, 'projector', { leaseTtlMs: 5_000 });
    try {
      await visit(world, page, '/admin/operations', 'operations-leases');
      const owner = role.leases.owner;
      await expect(page.locator('tr[data-lease="orders"] code').innerText()).resolves.toBe(owner);
      await expect(page.locator('tr[data-lease="orders"] [data-role]').getAttribute('data-role')).resolves.toBe('projector');
      await submit('tr[data-projection="orders"] form button');
      await expect(page.locator('.flash.ok').innerText()).resolves.toContain('orders');
      // The page refreshes its table every 2 s while the rebuild waits or runs.
      await page.waitForSelector('tr[data-projection="orders"] [data-rebuild="done"]', { timeout: 15_000 });
      const overview = await world.api('GET', '/api/v1/admin/projections', { token: world.adminToken });
      expect(overview.body.projections.find((p: { name: string }) => p.name === 'orders').lastRebuild).toMatchObject({ state: 'done', owner });
      await visit(world, page, '/admin/operations', 'operations-admin');
      await expect(page.locator('tr[data-lease="sweepers"]').count()).resolves.toBe(1);
    } finally {
      await role.stop(); // releases the projections it ran: this test comes last
    }
  });
});
