import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, ADMIN_PASSWORD, consoleWorld, expectAccessible, hasChromium, person, registerWithPassword, screenshot, signIn, skipReason, visit, type ConsoleWorld } from './console-support.js';

if (!hasChromium) console.warn(skipReason('test/e2e/console.test.ts'));

describe.skipIf(!hasChromium)('console: sign-in, roles, language, CSRF', () => {
  let world: ConsoleWorld;
  beforeAll(async () => {
    world = await consoleWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('asks for credentials, signs an admin in, switches language and signs out', async () => {
    const { page } = await person(world);
    const anonymous = await visit(world, page, '/admin/orders', 'sign-in', 401);
    expect(await anonymous?.headerValue('content-security-policy')).toContain("script-src 'self'");
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    // A newcomer without an admin account is told how to make the first one.
    expect(await page.textContent('[data-hint="first-admin"]')).toContain('npx bazaar users create-admin');
    const response = await signIn(world, page, ADMIN_EMAIL, ADMIN_PASSWORD, '/admin/orders');
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/admin/orders');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'bazaar_console')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(session.value).not.toContain('.'); // an opaque id, not the JWT

    await visit(world, page, '/admin', 'dashboard');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { compatMode: string } }).document.compatMode)).toBe('CSS1Compat'); // standards mode: the page has its doctype
    await page.waitForSelector('[data-kpi="to-ship"]');
    await page.waitForSelector('[data-kpi="reconciliation"]');
    await screenshot(page, 'dashboard');
    expect(await page.textContent('h1')).toBe('概览');
    expect(await page.textContent('[data-kpi="reconciliation"]')).toContain('平衡');
    await Promise.all([page.waitForNavigation(), page.click('form.lang button[value="en"]')]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('h1')).toBe('Dashboard');
    await page.waitForSelector('[data-kpi="reconciliation"]');
    expect(await page.textContent('[data-kpi="reconciliation"]')).toContain('Balanced');
    await Promise.all([page.waitForNavigation(), page.click('form.lang button[value="zh-CN"]')]);

    await Promise.all([page.waitForNavigation(), page.click('form[action="/admin/sign-out"] button')]);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    const after = await page.goto(`${world.baseUrl}/admin/orders`);
    expect(after?.status()).toBe(401);
  });

  it('gives a customer no console', async () => {
    const customer = await registerWithPassword(world, 'a customer', ['customer']);
    const { page } = await person(world);
    const response = await signIn(world, page, customer.phone, customer.password);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('.flash.bad')).toContain('商家');
    expect((await page.context().cookies()).some((c) => c.name === 'bazaar_console')).toBe(false);
  });

  it('prompts clearly when the session has expired', async () => {
    const { page, context } = await person(world);
    const signedIn = await signIn(world, page, ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(signedIn?.status(), await page.locator('main').innerText()).toBe(200);
    // The server forgets the session (expiry, or a sign-out elsewhere): the next page asks to sign in again.
    const cookie = (await context.cookies()).find((c) => c.name === 'bazaar_console')!;
    await context.addCookies([{ ...cookie, value: 'x'.repeat(43) }]);
    const response = await page.goto(`${world.baseUrl}/admin/refunds`);
    expect(response?.status()).toBe(401);
    expect(await page.textContent('.flash.info')).toContain('会话已过期');
    expect(await page.inputValue('input[name="next"]')).toBe('/admin/refunds');
    await expectAccessible(page, 'expired');
  });

  it('refuses a cross-site POST and a POST without the CSRF token', async () => {
    const { page, context } = await person(world);
    await signIn(world, page, ADMIN_EMAIL, ADMIN_PASSWORD);
    // Another site (localhost is not 127.0.0.1) posts a form to the console in the signed-in browser.
    const evil = await context.newPage();
    await evil.route('http://localhost:9/**', (route) =>
      route.fulfill({ contentType: 'text/html', body: `<form id="f" method="post" action="${world.baseUrl}/admin/categories"><input name="name" value="evil"></form>` }),
    );
    await evil.goto('http://localhost:9/attack');
    const [crossSite] = await Promise.all([evil.waitForNavigation(), evil.locator('#f').evaluate((form) => (form as unknown as { submit(): void }).submit())]);
    expect([401, 403]).toContain(crossSite?.status());
    // Same origin but no token (a script that got past the Origin check would still need it).
    const noToken = await page.evaluate(async () => (await fetch('/admin/categories', { method: 'POST', body: new URLSearchParams({ name: 'evil' }) })).status);
    expect(noToken).toBe(403);
    const wrongOrigin = await context.request.post(`${world.baseUrl}/admin/categories`, { form: { name: 'evil', _csrf: 'guess' }, headers: { Origin: 'https://evil.example' } });
    expect(wrongOrigin.status()).toBe(403);
    const categories = await world.api('GET', '/api/v1/admin/categories', { token: world.adminToken });
    expect(categories.body.items.map((c: { name: string }) => c.name)).not.toContain('evil');
  });
});
