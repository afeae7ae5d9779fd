import { existsSync, readFileSync } from 'node:fs';
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
 * leg is injected; the report and the ledger accounts page in Chinese (the default) and in English after
 * the language switch; an account's entries page (opened from the accounts page) in both languages, with
 * its CSV download. Skips (with a printed reason) where /usr/bin/chromium is absent.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED test/e2e/finance-page.test.ts: ${CHROMIUM} is absent (install it with: apt-get install -y chromium)`);

const DAY_MS = 86_400_000;

/** The report's section headings and table headings, in page order, per language (the fixture has one currency, CNY). */
const REPORT_HEADINGS = {
  'zh-CN': {
    h1: '财务 — 对账',
    h2: ['本期支付', '各币种合计', '借贷不平衡的转账（{u}）', '缺失的转账（0）', '支付渠道结算（0 处不符）', '账户余额'],
    th: {
      totals: ['币种', '余额合计', '核对'],
      unbalanced: ['转账', '问题', '转出 → 转入', '金额', '起因', '事件'],
      missing: ['转账', '依据事件', '时间'],
      mismatches: ['日期', '支付渠道', '支付单', '类型', '问题', '账本金额 / 手续费', '结算金额 / 手续费', '事件'],
      accounts: ['账户', '类型', '余额', '分录合计', '差额', '分录数'],
    },
    kpis: ['收款', '退款', '支付渠道手续费', '净额'],
    legend: ['收款', '退款', '手续费'],
  },
  en: {
    h1: 'Finance — reconciliation',
    h2: ['Payments in the period', 'Totals per currency', 'Unbalanced transfers ({u})', 'Missing transfers (0)', 'Provider settlement (0 mismatches)', 'Balances'],
    th: {
      totals: ['Currency', 'Sum of balances', 'Check'],
      unbalanced: ['Transfer', 'Problem', 'From → to', 'Amount', 'Cause', 'Events'],
      missing: ['Transfer', 'Required by', 'At'],
      mismatches: ['Day', 'Provider', 'Payment', 'Kind', 'Problem', 'Ledger amount / fee', 'Settled amount / fee', 'Events'],
      accounts: ['Account', 'Kind', 'Balance', 'Ledger sum', 'Diff', 'Entries'],
    },
    kpis: ['Captured', 'Refunded', 'Provider fees', 'Net'],
    legend: ['Captured', 'Refunded', 'Fees'],
  },
} as const;
const ACCOUNTS_HEADINGS = {
  'zh-CN': { h1: '财务 — 账户', th: ['账户', '类型', '余额', '分录数', '更新时间'] },
  en: { h1: 'Finance — ledger accounts', th: ['Account', 'Kind', 'Balance', 'Entries', 'Updated'] },
} as const;
/** One account's page (/admin/finance/accounts/<id>): its title, the facts' labels, the entries' headings. */
const ENTRIES_HEADINGS = {
  'zh-CN': { h1: '财务 — 账户 wallet.u1', h2: '分录', dt: ['类型', '余额', '分录数', '更新时间'], th: ['时间', '借贷', '金额', '对方账户', '起因', '转账'], num: ['金额'], debit: '借方', credit: '贷方' },
  en: { h1: 'Finance — account wallet.u1', h2: 'Entries', dt: ['Kind', 'Balance', 'Entries', 'Updated'], th: ['At', 'Debit / credit', 'Amount', 'Counterparty', 'Cause', 'Transfer'], num: ['Amount'], debit: 'debit', credit: 'credit' },
} as const;
const ENTRIES_CSV_HEADER = 'at,direction,amount,currency,counterparty,causeType,causeId,transferId,position';
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

describe.skipIf(!hasChromium)('finance page in headless Chromium', () => {
  let runtime: TestRuntime;
  let server: ServerType;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  let adminToken: string;
  /** The position of the debit the discrepancy test injects. */
  let brokenPosition = 0;
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
    expect(await banner.textContent()).toMatch(/^对账通过 — /); // Chinese, the console's default language
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
    expect(await banner.textContent()).toMatch(/^对账未通过 — /);
    const row = page.locator('#unbalanced tr.discrepancy[data-transfer="broken-page-1"]');
    expect(await row.count()).toBe(1);
    const text = await row.textContent();
    expect(text).toContain('缺少贷方分录');
    expect(text).toContain(`#${debited.position} AccountDebited（事件流 account-wallet.u1）`);
    brokenPosition = debited.position;
    expect(await page.locator('#accounts tr.bad[data-account="wallet.u1"]').count()).toBe(1);
    if (process.env.FINANCE_SCREENSHOT) await page.screenshot({ path: process.env.FINANCE_SCREENSHOT.replace(/(\.png)?$/, '-bad.png'), fullPage: true });
  });

  /** What the reader sees of the report: headings, table headings, KPI and legend labels, and the words between the data. */
  const reportTexts = () =>
    page.evaluate(() => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): DomNode | null; querySelectorAll(s: string): DomNode[] } }).document;
      interface DomNode {
        textContent: string | null;
        childNodes: Iterable<DomNode>;
        nodeType: number;
        tagName?: string;
        closest?(s: string): DomNode | null;
        querySelectorAll(s: string): DomNode[];
        getAttribute(name: string): string | null;
      }
      const texts = (selector: string) => [...doc.querySelectorAll(selector)].map((n) => (n.textContent ?? '').trim());
      const own = (n: DomNode) => [...n.childNodes].filter((c) => c.nodeType === 3).map((c) => (c.textContent ?? '').trim()).join('').trim();
      const th = (table: string) => texts(`#${table} thead th`);
      // Every text of main that is not data: not inside <code>, a data cell, an amount (<b>) or a link to the JSON API.
      const words: string[] = [];
      const walk = (n: DomNode) => {
        if (n.nodeType === 3) {
          const text = (n.textContent ?? '').trim();
          if (text) words.push(text);
          return;
        }
        const tag = n.tagName?.toLowerCase();
        if (tag === 'code' || tag === 'b' || tag === 'svg' || (tag === 'a' && n.getAttribute('href')?.startsWith('/api/')) || (tag === 'td' && n.getAttribute('class') !== 'muted')) return;
        for (const child of n.childNodes) walk(child);
      };
      walk(doc.querySelector('main')!);
      return {
        h1: texts('main h1')[0],
        h2: texts('main h2'),
        th: { totals: th('totals'), unbalanced: th('unbalanced'), missing: th('missing'), mismatches: th('mismatches'), accounts: th('accounts') },
        kpis: [...doc.querySelectorAll('.kpis[data-currency="CNY"] .kpi')].map(own),
        legend: [...doc.querySelectorAll('figure[data-chart="daily"] .legend span')].map(own),
        chartLabels: [...doc.querySelectorAll('svg.chart')].map((n) => n.getAttribute('aria-label') ?? ''),
        tooltips: texts('svg.chart-daily rect.bar title'),
        checks: texts('#totals tbody td:nth-child(3)'),
        words,
      };
    });
  const accountsTexts = () => Promise.all([page.textContent('main h1'), page.locator('#ledger-accounts thead th').allTextContents()]);
  const switchTo = async (lang: 'en' | 'zh-CN') => {
    await Promise.all([page.waitForNavigation(), page.click(`form.lang button[value="${lang}"]`)]);
    expect(await page.getAttribute('html', 'lang')).toBe(lang);
  };
  const expected = (lang: 'zh-CN' | 'en', unbalanced: number) => {
    const e = REPORT_HEADINGS[lang];
    return { h1: e.h1, h2: e.h2.map((h) => h.replace('{u}', String(unbalanced))), th: e.th, kpis: e.kpis, legend: e.legend };
  };

  it('shows the report and the ledger accounts in Chinese by default, with no English word left, and in English after the switch', async () => {
    const url = `${baseUrl}/admin/finance?from=${from}&to=${to}`;
    expect((await page.goto(url))?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    const zh = await reportTexts();
    expect({ h1: zh.h1, h2: zh.h2, th: zh.th, kpis: zh.kpis, legend: zh.legend }).toEqual(expected('zh-CN', 1));
    // No ASCII letter in a heading of the Chinese page.
    for (const heading of [zh.h1!, ...zh.h2, ...Object.values(zh.th).flat(), ...zh.kpis, ...zh.legend]) expect(heading).not.toMatch(/[A-Za-z]/);
    // Nor in the words between the data, once currency codes, the names UTC, JSON and CSV and the settlement providers' ids are taken out.
    const json = await fetch(`${baseUrl}/api/v1/admin/finance/reconciliation?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${adminToken}` } });
    const providers = ((await json.json()) as { settlement: { providers: string[] } }).settlement.providers;
    const names = [/\b(?:[A-Z]{3}|UTC|JSON|CSV)\b/g, ...providers.map((p) => new RegExp(`\\b${p.replace(/[^\w]/g, '\\$&')}\\b`, 'g'))];
    const english = zh.words.map((w) => names.reduce((text, name) => text.replace(name, ''), w)).filter((w) => /[A-Za-z]/.test(w));
    expect(english, zh.words.join(' | ')).toEqual([]);
    expect(zh.words).toEqual(expect.arrayContaining(['全部账户', '导出 CSV', '起始日期', '截止日期', '对账', '1 笔支付', '0 笔退款']));
    expect(zh.chartLabels).toEqual(['每日收款、退款与手续费（CNY）', '余额最大的账户']);
    expect(zh.tooltips).toContain(`${to} 收款：25.00 CNY`);
    expect(zh.checks).toEqual(['✘ 不为零']); // the debit without its credit leg
    expect(await page.textContent('.banner')).toMatch(/^对账未通过 — 发现 \d+ 处差异（已核对 [\d,]+ 个事件），详见下文。$/);

    // The ledger accounts page: the shared table, Chinese headings.
    await Promise.all([page.waitForNavigation(), page.click('p.actions a[href="/admin/finance/accounts"]')]);
    expect(await accountsTexts()).toEqual([ACCOUNTS_HEADINGS['zh-CN'].h1, ACCOUNTS_HEADINGS['zh-CN'].th]);
    expect(await page.locator('#ledger-accounts thead th.num').allTextContents()).toEqual(['余额', '分录数']);
    expect(await page.locator('#ledger-accounts tr[data-account="wallet.u1"]').count()).toBe(1);

    // English: the language switch (a form posting to /admin/lang, back to this page).
    await switchTo('en');
    expect(new URL(page.url()).pathname).toBe('/admin/finance/accounts');
    expect(await accountsTexts()).toEqual([ACCOUNTS_HEADINGS.en.h1, ACCOUNTS_HEADINGS.en.th]);
    expect(await page.locator('#ledger-accounts tr[data-account="wallet.u1"]').count()).toBe(1);

    expect((await page.goto(url))?.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    const en = await reportTexts();
    expect({ h1: en.h1, h2: en.h2, th: en.th, kpis: en.kpis, legend: en.legend }).toEqual(expected('en', 1));
    expect(en.words).toEqual(expect.arrayContaining(['Ledger accounts', 'CSV', 'From', 'To', 'Reconcile', '1 payment', '0 refunds']));
    expect(en.chartLabels).toEqual(['Daily captured, refunded and fees in CNY', 'Largest balances']);
    expect(en.tooltips).toContain(`${to} Captured: 25.00 CNY`);
    expect(en.checks).toEqual(['✘ not zero']);
    expect(await page.textContent('.banner')).toMatch(/^NOT OK — \d+ discrepancies found \([\d,]+ events checked\)\. See below\.$/);
    const row = await page.textContent('#unbalanced tr.discrepancy[data-transfer="broken-page-1"]');
    expect(row).toContain('missing credit leg');
    expect(row).toContain(`#${brokenPosition} AccountDebited on account-wallet.u1`);

    // And back: Chinese again.
    await switchTo('zh-CN');
    expect(await page.textContent('main h1')).toBe(REPORT_HEADINGS['zh-CN'].h1);
    expect(await page.locator('#accounts thead th').allTextContents()).toEqual(REPORT_HEADINGS['zh-CN'].th.accounts);
  });

  it("opens an account's entries from the accounts page, in Chinese by default, and downloads them as CSV", async () => {
    // The API's answer is what the page must show: the fixture's three legs on wallet.u1 (the top-up, the
    // wallet payment, and the debit the discrepancy test injected), newest first.
    const json = await fetch(`${baseUrl}/api/v1/admin/finance/accounts/wallet.u1/entries`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(json.status).toBe(200);
    const api = (await json.json()) as { account: { balance: { amount: number }; entries: number }; items: Array<{ id: string; direction: string; transferId: string }> };
    expect(api.items.map((e) => e.transferId)).toEqual(['broken-page-1', 'payment-pw1-wallet', 'topup-f1']);
    expect(api.account).toMatchObject({ balance: { amount: 10_000 - 2_500 - 1_200 }, entries: 3 });

    await page.context().clearCookies({ name: 'bazaar_lang' }); // the console's default language
    expect((await page.goto(`${baseUrl}/admin/finance/accounts`))?.status()).toBe(200);
    const [opened] = await Promise.all([page.waitForNavigation(), page.click('#ledger-accounts tr[data-account="wallet.u1"] a[href="/admin/finance/accounts/wallet.u1"]')]);
    expect(opened?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/admin/finance/accounts/wallet.u1');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');

    const entriesTexts = () =>
      Promise.all([
        page.textContent('main h1'),
        page.textContent('main h2'),
        page.locator('main dl.facts dt').allTextContents(),
        page.locator('#ledger-entries thead th').allTextContents(),
        page.locator('#ledger-entries thead th.num').allTextContents(),
      ]);
    const zh = ENTRIES_HEADINGS['zh-CN'];
    expect(await entriesTexts()).toEqual([zh.h1, zh.h2, zh.dt, zh.th, zh.num]);
    for (const heading of [zh.h2, ...zh.dt, ...zh.th]) expect(heading).not.toMatch(/[A-Za-z]/);
    expect(await page.getAttribute('main dl.facts [data-balance]', 'data-balance')).toBe(String(api.account.balance.amount));
    expect(await page.textContent('main dl.facts [data-entries]')).toBe('3');

    const rows = page.locator('#ledger-entries tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-entry')))).toEqual(api.items.map((e) => e.id));
    const cells = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
    expect(cells.map((row) => row.slice(1))).toEqual([
      [zh.debit, '−12.00 CNY', 'clearing.wallet', 'PaymentCaptured pw2', 'broken-page-1'],
      [zh.debit, '−25.00 CNY', 'clearing.wallet', 'payment pw1', 'payment-pw1-wallet'],
      [zh.credit, '+100.00 CNY', 'platform.wallet-funding', 'WalletTopUp f1', 'topup-f1'],
    ]);
    for (const row of cells) expect(row[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    // The CSV link: every entry (following the cursor), a machine-readable English header row.
    const csvLink = page.locator('p.actions a[href="/admin/finance/accounts/wallet.u1/entries.csv"]');
    expect(await csvLink.textContent()).toBe('导出 CSV');
    const [download] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    expect(download.suggestedFilename()).toBe('ledger-entries-wallet.u1.csv');
    const lines = readFileSync((await download.path())!, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(ENTRIES_CSV_HEADER);
    expect(lines).toHaveLength(1 + api.account.entries);
    expect(lines.slice(1).map((line) => line.split(',')[1])).toEqual(api.items.map((e) => e.direction));
    expect(lines[3]).toMatch(/^[^,]+,credit,10000,CNY,platform\.wallet-funding,WalletTopUp,f1,topup-f1,\d+$/);
    expect(lines.slice(1).reduce((sum, line) => sum + Number(line.split(',')[2]!.replace(/"/g, '')), 0)).toBe(api.account.balance.amount);

    // English after the switch, then back.
    await switchTo('en');
    expect(new URL(page.url()).pathname).toBe('/admin/finance/accounts/wallet.u1');
    const en = ENTRIES_HEADINGS.en;
    expect(await entriesTexts()).toEqual([en.h1, en.h2, en.dt, en.th, en.num]);
    expect(await page.locator('#ledger-entries tbody tr[data-direction="debit"] td:nth-child(2)').allTextContents()).toEqual([en.debit, en.debit]);
    await switchTo('zh-CN');
    expect(await page.textContent('main h1')).toBe(zh.h1);

    // A counterparty opens its own account; an account with no entry is the console's not-found state.
    await Promise.all([page.waitForNavigation(), page.click('#ledger-entries tr[data-entry="wallet.u1|topup-f1"] a[href="/admin/finance/accounts/platform.wallet-funding"]')]);
    expect(await page.locator('#ledger-entries tbody tr').count()).toBe(1);
    const missing = await page.goto(`${baseUrl}/admin/finance/accounts/platform.nothing`);
    expect(missing?.status()).toBe(404);
    expect(await page.getAttribute('.flash.bad', 'data-problem')).toBe('NOT_FOUND');
    expect(await page.textContent('.flash.bad')).toContain('未找到');
  });

  it('answers a bad range with a message, not a stack trace', async () => {
    const response = await page.goto(`${baseUrl}/admin/finance?from=${to}&to=${from}`);
    expect(response?.status()).toBe(400);
    expect(await page.textContent('.flash.bad')).toContain('`from` must not be after `to`');
  });
});
