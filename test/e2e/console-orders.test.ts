import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADDRESS, ADMIN_EMAIL, ADMIN_PASSWORD, cny, consoleWorld, expectAccessible, hasChromium, person, registerWithPassword, screenshot, signIn, skipReason, visit, type ConsoleWorld } from './console-support.js';

if (!hasChromium) console.warn(skipReason('test/e2e/console-orders.test.ts'));

/** Orders, refunds, finance and operations in the console; a merchant's view of its own shop. */
describe.skipIf(!hasChromium)('console: orders, refunds, finance, merchants', () => {
  let world: ConsoleWorld;
  let page: Page;
  let merchantA: { id: string; phone: string; password: string };
  let merchantB: { id: string; phone: string; password: string };
  let buyer: { id: string; token: string };
  const skus: Record<string, { skuId: string; price: number }> = {};
  let sequence = 0;

  const eventually = async <T,>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> => {
    for (let i = 0; i < 100; i++) {
      const value = await read();
      if (ok(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  /** A paid (wallet) order of one unit of the merchant's SKU. */
  async function paidOrder(merchant: 'A' | 'B', options: { pay?: boolean } = {}) {
    const sku = skus[merchant]!;
    const placed = await world.api('POST', '/api/v1/orders', {
      token: buyer.token,
      body: { items: [{ skuId: sku.skuId, quantity: 1, expectedUnitPrice: cny(sku.price) }], shippingAddress: ADDRESS },
      headers: { 'Idempotency-Key': `console-order-${++sequence}` },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const orderId = placed.body.orders[0].id as string;
    if (options.pay === false) return orderId;
    const paid = await world.api('POST', `/api/v1/pay-orders/${placed.body.payOrderId}/payments`, { token: buyer.token, body: { method: 'wallet' }, headers: { 'Idempotency-Key': `console-pay-${sequence}` } });
    expect(paid.status, JSON.stringify(paid.body)).toBe(201);
    await eventually(() => world.api('GET', `/api/v1/orders/${orderId}`, { token: buyer.token }), (r) => r.body?.paymentStatus === 'paid', 'the order is paid');
    return orderId;
  }

  beforeAll(async () => {
    world = await consoleWorld();
    const admin = world.adminToken;
    const post = async (path: string, body: unknown, token = admin) => {
      const response = await world.api('POST', path, { token, body });
      expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
      return response.body;
    };
    const category = await post('/api/v1/admin/categories', { name: '图书' });
    const brand = await post('/api/v1/admin/brands', { name: '三联' });
    merchantA = await registerWithPassword(world, '甲店', ['merchant']);
    merchantB = await registerWithPassword(world, '乙店', ['merchant']);
    for (const [name, merchant, price] of [['A', merchantA, 4_500], ['B', merchantB, 3_000]] as const) {
      const token = await world.runtime.deps.tokens.issueAccessToken({ userId: merchant.id, roles: ['merchant'] }, new Date());
      const created = await post('/api/v1/admin/products', { title: `武侠小说 ${name}`, categoryId: category.id, brandId: brand.id, skus: [{ skuCode: `BOOK-${name}`, price: cny(price), stock: 50 }], status: 'listed' }, token);
      skus[name] = { skuId: created.skus[0].id, price };
    }
    const registered = await registerWithPassword(world, '买家', ['customer']);
    buyer = { id: registered.id, token: await world.runtime.deps.tokens.issueAccessToken({ userId: registered.id, roles: ['customer'] }, new Date()) };
    const topUp = await world.api('POST', `/api/v1/admin/accounts/${buyer.id}/credits`, { token: admin, body: { amount: cny(100_000), reason: 'console test' }, headers: { 'Idempotency-Key': 'console-topup' } });
    expect(topUp.status, JSON.stringify(topUp.body)).toBe(201);
    ({ page } = await person(world));
    await signIn(world, page, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await world?.close();
  });

  const submit = async (p: Page, selector: string) => {
    const [response] = await Promise.all([p.waitForNavigation(), p.click(selector)]);
    return response;
  };

  it('ships an order and fixes its tracking number; a stale edit does not overwrite the newer one', async () => {
    const orderId = await paidOrder('A');
    await visit(world, page, '/admin/orders?status=paid', 'orders');
    expect(await page.locator(`tr[data-order="${orderId}"]`).count()).toBe(1);
    await visit(world, page, `/admin/orders/${orderId}`, 'order-detail');
    await page.fill('form[data-form="ship"] input[name="carrier"]', '顺丰速运');
    await page.fill('form[data-form="ship"] input[name="trackingNumber"]', '123');
    await submit(page, 'form[data-form="ship"] button');
    expect(await page.textContent('.flash.ok')).toContain('已发货');
    expect(await page.textContent('[data-shipment] [data-tracking]')).toBe('123');

    // The seed's story: 123 is corrected to 456 in another session; this page still holds the old version.
    const other = await person(world);
    await signIn(world, other.page, ADMIN_EMAIL, ADMIN_PASSWORD, `/admin/orders/${orderId}`);
    await other.page.fill('form[data-form="tracking"] input[name="trackingNumber"]', '456');
    await submit(other.page, 'form[data-form="tracking"] button');
    expect(await other.page.textContent('.flash.ok')).toContain('运单号已修改');
    await other.context.close();

    await page.fill('form[data-form="tracking"] input[name="trackingNumber"]', '789');
    const stale = await submit(page, 'form[data-form="tracking"] button');
    expect(stale?.status()).toBe(412);
    const conflict = await page.textContent('[data-conflict="tracking"]');
    expect(conflict).toContain('456');
    expect(conflict).toContain('789');
    await expectAccessible(page, 'tracking-conflict');
    await screenshot(page, 'tracking-conflict');
    await Promise.all([page.waitForNavigation(), page.click('[data-conflict="tracking"] a')]); // keep 456
    expect(await page.textContent('[data-shipment] [data-tracking]')).toBe('456');
    const order = await world.api('GET', `/api/v1/orders/${orderId}`, { token: world.adminToken });
    expect(order.body.shipments[0].trackingNumber).toBe('456');
    expect(order.body.status).toBe('shipped');
    // The timeline names who did what.
    expect(await page.locator('#timeline li', { hasText: 'admin' }).count()).toBeGreaterThan(0);
  });

  it('cancels an unpaid order', async () => {
    const orderId = await paidOrder('A', { pay: false });
    await page.goto(`${world.baseUrl}/admin/orders/${orderId}`);
    page.once('dialog', (dialog) => dialog.accept());
    await submit(page, 'button[data-confirm]');
    expect(await page.textContent('.flash.ok')).toContain('订单已取消');
    expect((await world.api('GET', `/api/v1/orders/${orderId}`, { token: world.adminToken })).body.status).toBe('cancelled');
  });

  it('approves a refund: the wallet and the reconciliation move', async () => {
    const orderId = await paidOrder('B');
    const wallet = async () => (await world.api('GET', '/api/v1/me/wallet', { token: buyer.token })).body.balance.amount as number;
    const before = await wallet();
    const requested = await world.api('POST', `/api/v1/orders/${orderId}/refunds`, { token: buyer.token, body: { type: 'refund_only', items: [], reason: '不想要了' }, headers: { 'Idempotency-Key': 'console-refund-1' } });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const refundId = requested.body.refundId as string;
    await eventually(() => world.api('GET', '/api/v1/admin/refunds?status=requested', { token: world.adminToken }), (r) => r.body.items.some((x: { id: string }) => x.id === refundId), 'the refund queue');

    await page.goto(`${world.baseUrl}/admin/finance`);
    const refundedBefore = await page.textContent('[data-kpi="refunded"]');
    await visit(world, page, '/admin/refunds', 'refunds');
    expect(await page.textContent(`tr[data-refund="${refundId}"]`)).toContain('不想要了');
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-refund="${refundId}"] a`)]);
    await expectAccessible(page, 'refund-detail');
    expect(await page.textContent('[data-field="reason"]')).toBe('不想要了'); // the customer's reason (GET /api/v1/refunds/{id})
    await screenshot(page, 'refund-detail');
    await page.fill('form[data-form="decision"] textarea[name="note"]', '同意退款');
    await submit(page, 'form[data-form="decision"] button[value="approve"]');
    expect(await page.textContent('.flash.ok')).toContain('退款已同意');

    const after = await eventually(wallet, (amount) => amount === before + 3_000, 'the wallet is credited back');
    expect(after).toBe(before + 3_000);
    await visit(world, page, '/admin/finance', 'finance');
    expect(await page.getAttribute('.banner', 'data-ok')).toBe('true');
    expect(await page.textContent('[data-kpi="refunded"]')).not.toBe(refundedBefore);
    expect(await page.textContent('[data-kpi="refunded"]')).toBe('30.00 CNY');
    await visit(world, page, '/admin/finance/accounts', 'finance-accounts');
    expect(await page.locator(`tr[data-account="wallet.${buyer.id}"]`).count()).toBe(1);
    // The buyer's wallet with its entries: the refund's credit is the newest.
    await visit(world, page, `/admin/finance/accounts/${encodeURIComponent(`wallet.${buyer.id}`)}`, 'finance-account');
    expect(await page.locator('#ledger-entries tbody tr').first().textContent()).toContain('30.00');
  });

  it('shows operations and the dashboard to an admin', async () => {
    await visit(world, page, '/admin/operations', 'operations');
    expect(await page.locator('#projections tr[data-projection="orders"]').count()).toBe(1);
    await page.setViewportSize({ width: 820, height: 1180 }); // a tablet, portrait
    await visit(world, page, '/admin', 'dashboard-tablet');
    await page.waitForSelector('[data-kpi="to-ship"]');
    await screenshot(page, 'dashboard-tablet');
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  it('lets a merchant see only its own shop: another shop’s order is 404, admin pages are 403', async () => {
    const own = await paidOrder('A');
    const others = await paidOrder('B');
    const merchant = await person(world);
    await signIn(world, merchant.page, merchantA.phone, merchantA.password);
    await visit(world, merchant.page, '/admin/orders', 'merchant-orders');
    expect(await merchant.page.locator(`tr[data-order="${own}"]`).count()).toBe(1);
    expect(await merchant.page.locator(`tr[data-order="${others}"]`).count()).toBe(0);
    const tampered = await merchant.page.goto(`${world.baseUrl}/admin/orders/${others}`);
    expect(tampered?.status()).toBe(404);
    expect(await merchant.page.textContent('.flash.bad')).toContain('未找到');
    expect((await merchant.page.goto(`${world.baseUrl}/admin/finance`))?.status()).toBe(403);
    expect((await merchant.page.goto(`${world.baseUrl}/admin/categories`))?.status()).toBe(403);
    await visit(world, merchant.page, '/admin/products', 'merchant-products');
    expect(await merchant.page.locator('tr[data-product]').count()).toBe(1);
    expect(await merchant.page.textContent('#products')).toContain('武侠小说 A');
    await merchant.context.close();
  });
});
