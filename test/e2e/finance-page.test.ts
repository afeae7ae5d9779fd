import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { postTransfer } from '../../src/commands/accounts/transfers.js';
import { accountIds, accountStream } from '../../src/domain/accounts/account-ids.js';
import { plannedTransfers } from '../../src/domain/payments/transfers-plan.js';

/**
 * GET /admin/finance (the console's finance page, signed in with a pasted access token) in a real headless Chromium (Debian's, never a downloaded one): sign-in, the OK
 * banner, the charts' bars for the fixture data, and a discrepancy row once a debit without its credit
 * leg is injected. Skips (with a printed reason) where /usr/bin/chromium is absent.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED test/e2e/finance-page.test.ts: ${CHROMIUM} is absent (install it with: apt-get install -y chromium)`);

const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

describe.skipIf(!hasChromium)('finance page in headless Chromium', () => {
  let runtime: TestRuntime;
  let server: ServerType;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  let adminToken: string;
  const from = day(-2);
  const to = day(0);

  beforeAll(async () => {
    runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
    server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: runtime.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    adminToken = await runtime.deps.tokens.issueAccessToken({ userId: 'finance-admin', roles: ['admin'] }, new Date());

    // Fixture: a top-up, then a wallet payment of 25.00 to merchant m1 today, with the transfers its plan requires.
    const deps = runtime.deps;
    await postTransfer(deps, { transferId: 'topup-f1', from: accountIds.walletFunding, to: accountIds.wallet('u1'), amount: 10_000, currency: 'CNY', cause: { type: 'WalletTopUp', id: 'f1' } });
    const at = new Date().toISOString();
    const captured = {
      type: 'PaymentCaptured',
      data: {
        paymentId: 'pw1',
        payOrderId: 'po-pw1',
        userId: 'u1',
        method: 'wallet',
        provider: 'wallet',
        at,
        providerRef: 'wallet-pw1',
        amount: { amount: 2_500, currency: 'CNY' },
        fee: { amount: 0, currency: 'CNY' },
        coins: 0,
        coinsValue: { amount: 0, currency: 'CNY' },
        voucherCode: null,
        voucherValue: { amount: 0, currency: 'CNY' },
        allocations: [{ orderId: 'o-pw1', merchantId: 'm1', total: { amount: 2_500, currency: 'CNY' }, charged: 2_500, coins: 0, coinsValue: 0, voucherValue: 0, commission: 0 }],
        refundedOrderIds: [],
        afterDecline: false,
      },
    };
    const planned = plannedTransfers(captured);
    expect(planned.map((t) => t.transferId)).toEqual(['payment-pw1-wallet', 'payment-pw1-capture-o-pw1']);
    await postTransfer(deps, planned[0]!); // the wallet debit is posted by the request, before the event
    await deps.store.append('payment-pw1', [captured], 'any');
    await postTransfer(deps, planned[1]!);

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    // No request may leave the test server (no CDN, no external network).
    await page.route('**/*', (route) => (route.request().url().startsWith(baseUrl) ? route.continue() : route.abort()));
  });

  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await runtime?.close();
  });

  it('asks for credentials, and refuses a customer', async () => {
    const anonymous = await page.goto(`${baseUrl}/admin/finance`);
    expect(anonymous?.status()).toBe(401);
    await expect(page.locator('form[action="/admin/session"] input[name="password"]').count()).resolves.toBe(1);

    const customer = await runtime.deps.tokens.issueAccessToken({ userId: 'c1', roles: ['customer'] }, new Date());
    await page.click('form[action="/admin/session"] summary');
    await page.fill('input[name="token"]', customer);
    const refused = await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/session"] button[type="submit"]')]);
    expect(refused[0]?.status()).toBe(403);
    expect(await page.textContent('.flash.bad')).toContain('管理员');
  });

  it('signs an admin in and shows the OK banner, the totals and the charts', async () => {
    await page.goto(`${baseUrl}/admin/finance?from=${from}&to=${to}`);
    await page.click('form[action="/admin/session"] summary');
    await page.fill('input[name="token"]', adminToken);
    const [response] = await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/session"] button[type="submit"]')]);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).search).toBe(`?from=${from}&to=${to}`);

    const banner = page.locator('.banner');
    expect(await banner.getAttribute('data-ok')).toBe('true');
    expect(await banner.textContent()).toMatch(/^OK/);
    expect(await page.inputValue('input[name="from"]')).toBe(from);
    expect(await page.inputValue('input[name="to"]')).toBe(to);

    // Daily chart: three days × (captured, refunded, fees); only today's captured bar has a height.
    const bars = page.locator('svg.chart-daily rect.bar');
    expect(await bars.count()).toBe(9);
    const values = await bars.evaluateAll((rects) => rects.map((r) => [r.getAttribute('data-day'), r.getAttribute('data-series'), Number(r.getAttribute('data-value')), Number(r.getAttribute('height'))] as const));
    expect(values.filter(([, , value]) => value > 0)).toEqual([[to, 'captured', 2_500, expect.any(Number)]]);
    expect(values.find(([d, s]) => d === to && s === 'captured')![3]).toBeGreaterThan(0);
    expect(await page.textContent('[data-kpi="captured"]')).toBe('25.00 CNY');

    // Balances chart: one bar per account (funding, wallet, wallet clearing, merchant).
    const balances = page.locator('svg.chart-balances rect.bar-balance');
    expect(await balances.count()).toBe(4);
    expect(await balances.evaluateAll((rects) => Object.fromEntries(rects.map((r) => [r.getAttribute('data-account'), Number(r.getAttribute('data-value'))])))).toEqual({
      'platform.wallet-funding': -10_000,
      'wallet.u1': 7_500,
      'clearing.wallet': 0,
      'merchant.m1': 2_500,
    });
    expect(await page.locator('#totals tbody tr').count()).toBe(1);
    expect(await page.locator('#unbalanced tr.discrepancy').count()).toBe(0);
    // FINANCE_SCREENSHOT=/tmp/finance.png keeps a picture of the page for a person to look at.
    if (process.env.FINANCE_SCREENSHOT) await page.screenshot({ path: process.env.FINANCE_SCREENSHOT, fullPage: true });
  });

  it('shows a debit without its credit leg as a discrepancy row and turns the banner red', async () => {
    const leg = { transferId: 'broken-page-1', accountId: 'wallet.u1', counterpartyId: 'clearing.wallet', amount: 1_200, currency: 'CNY', cause: { type: 'PaymentCaptured', id: 'pw2' }, at: new Date().toISOString() };
    const debited = await runtime.deps.handlers.account.handle(accountStream('wallet.u1'), { type: 'Debit', leg, allowNegative: false });

    const response = await page.goto(`${baseUrl}/admin/finance?from=${from}&to=${to}`);
    expect(response?.status()).toBe(200);
    const banner = page.locator('.banner');
    expect(await banner.getAttribute('data-ok')).toBe('false');
    expect(await banner.textContent()).toMatch(/^NOT OK/);
    const row = page.locator('#unbalanced tr.discrepancy[data-transfer="broken-page-1"]');
    expect(await row.count()).toBe(1);
    const text = await row.textContent();
    expect(text).toContain('missing credit leg');
    expect(text).toContain(`#${debited.position} AccountDebited on account-wallet.u1`);
    expect(await page.locator('#accounts tr.bad[data-account="wallet.u1"]').count()).toBe(1);
    if (process.env.FINANCE_SCREENSHOT) await page.screenshot({ path: process.env.FINANCE_SCREENSHOT.replace(/(\.png)?$/, '-bad.png'), fullPage: true });
  });

  it('answers a bad range with a message, not a stack trace', async () => {
    const response = await page.goto(`${baseUrl}/admin/finance?from=${to}&to=${from}`);
    expect(response?.status()).toBe(400);
    expect(await page.textContent('.flash.bad')).toContain('`from` must not be after `to`');
  });
});
