import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestRuntime, type TestRuntime } from '../support/runtime.js';

/**
 * GET /docs in a real headless Chromium with every request off this server refused: Swagger UI renders the
 * operations of /openapi.json from the assets Bazaar serves itself (no CDN). Skips (with a printed reason)
 * where /usr/bin/chromium is absent.
 */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED test/e2e/docs-page.test.ts: ${CHROMIUM} is absent (install it with: apt-get install -y chromium)`);

describe.skipIf(!hasChromium)('/docs offline in headless Chromium', () => {
  let runtime: TestRuntime;
  let server: ServerType;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: runtime.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await runtime?.close();
  });

  it('renders the operations with every outside request refused', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(baseUrl) || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    await page.goto(`${baseUrl}/docs`);
    await page.waitForSelector('.opblock', { timeout: 15_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(50);
    expect(await page.textContent('body')).toContain('/api/v1/orders');
    expect(outside).toEqual([]);
    await page.close();
  });
});
