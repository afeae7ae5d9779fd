import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { ensureAdmin } from '../../src/commands/users/accounts.js';

/**
 * The operators' console in a real headless Chromium (Debian's /usr/bin/chromium, never a downloaded
 * build): one runtime, one HTTP server and one browser per test file; each person is a browser context
 * of their own (own cookies). No request may leave the test server (no CDN).
 */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const skipReason = (file: string) => `SKIPPED ${file}: ${CHROMIUM} is absent (install it with: apt-get install -y chromium)`;

export const ADMIN_EMAIL = 'ops@example.com';
export const ADMIN_PASSWORD = 'Console-Passw0rd!';
export const PASSWORD = 'Merchant-Passw0rd!';

export interface ConsoleWorld {
  runtime: TestRuntime;
  api: ReturnType<typeof client>;
  baseUrl: string;
  server: ServerType;
  browser: Browser;
  adminToken: string;
  close(): Promise<void>;
}

export async function consoleWorld(env: Record<string, string> = {}): Promise<ConsoleWorld> {
  const runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed', BAZAAR_DEV_ROUTES: 'on', ...env });
  await ensureAdmin(runtime.deps, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, { actor: { id: 'system', role: 'system' }, correlationId: 'console-test' });
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: runtime.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const adminToken = await runtime.deps.tokens.issueAccessToken({ userId: 'console-test-admin', roles: ['admin'] }, new Date());
  return {
    runtime,
    api: client(runtime.app),
    baseUrl,
    server,
    browser,
    adminToken,
    async close() {
      await browser.close().catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.close();
    },
  };
}

/** A person at a browser: a context of their own (cookies), a laptop-sized window, zh-CN by default. */
export async function person(world: ConsoleWorld, viewport = { width: 1366, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await world.browser.newContext({ viewport, locale: 'zh-CN' });
  await context.route('**/*', (route) => (route.request().url().startsWith(world.baseUrl) ? route.continue() : route.abort()));
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page };
}

export async function signIn(world: ConsoleWorld, page: Page, identifier: string, password: string, path = '/admin') {
  await page.goto(`${world.baseUrl}${path}`);
  await page.fill('input[name="identifier"]', identifier);
  await page.fill('input[name="password"]', password);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/session"] button[type="submit"]')]);
  return response;
}

let phones = 0;
/** A user with a password, registered through the API (SMS code from the dev outbox), with the roles given. */
export async function registerWithPassword(world: ConsoleWorld, nickname: string, roles: Array<'admin' | 'merchant' | 'customer'>): Promise<{ id: string; phone: string; password: string }> {
  const phone = `+86139${String(Date.now() % 1_000_000).padStart(6, '0')}${String(++phones).padStart(2, '0')}`;
  expect((await world.api('POST', '/api/v1/auth/sms-codes', { body: { phone, purpose: 'register' } })).status).toBe(202);
  const outbox = await world.api('GET', `/api/v1/dev/outbox?to=${encodeURIComponent(phone)}`);
  const code = outbox.body.items[0].code as string;
  const registered = await world.api('POST', '/api/v1/auth/register', { body: { phone, code, password: PASSWORD, nickname } });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  const id = registered.body.user.id as string;
  if (roles.join() !== 'customer') {
    const changed = await world.api('PUT', `/api/v1/admin/users/${id}/roles`, { token: world.adminToken, body: { roles } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
  }
  return { id, phone, password: PASSWORD };
}

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core on the page as it is: no serious or critical violation (WCAG 2 A/AA rules). */
export async function expectAccessible(page: Page, name: string) {
  // Evaluated through the DevTools protocol: the console's CSP (script-src 'self') rightly refuses an inline <script>.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const scope = globalThis as unknown as { document: unknown; axe: { run: (context: unknown, options: unknown) => Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } };
    const result = await scope.axe.run(scope.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `${name}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

/** CONSOLE_SCREENSHOTS=1 writes docs/admin/<name>.png (committed; shown in the README). */
export async function screenshot(page: Page, name: string) {
  if (!process.env.CONSOLE_SCREENSHOTS) return;
  mkdirSync('docs/admin', { recursive: true });
  await page.screenshot({ path: `docs/admin/${name}.png`, fullPage: true });
}

/** Opens a console page, checks its status, its accessibility, and keeps its picture. */
export async function visit(world: ConsoleWorld, page: Page, path: string, name: string, status = 200) {
  const response = await page.goto(`${world.baseUrl}${path}`);
  expect(response?.status(), `${path}: ${await page.locator('main').innerText().catch(() => '')}`).toBe(status);
  await page.waitForLoadState('networkidle');
  await expectAccessible(page, name);
  await screenshot(page, name);
  return response;
}

export const cny = (amount: number) => ({ amount, currency: 'CNY' });
export const ADDRESS = { recipient: '张三', phone: '+8613800138000', country: 'CN', city: '上海', line1: '南京路 1 号' };
