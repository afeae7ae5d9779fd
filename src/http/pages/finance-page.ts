import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Deps } from '../../deps.js';
import { DomainError, RateLimitedError, UnauthenticatedError, ValidationError } from '../../kernel/errors.js';
import { loginWithPassword } from '../../commands/users/accounts.js';
import { financeReport } from '../../queries/finance/report.js';
import { parseRange } from '../../queries/finance/range.js';
import type { PaymentCheck, SettlementSource } from '../../queries/finance/reconciliation.js';
import type { AppEnv } from '../env.js';
import { commandMetadata } from '../command-metadata.js';
import { forbiddenPage, layout, reportPage, signInPage, esc } from './finance-html.js';

export const FINANCE_COOKIE = 'bazaar_finance';
const PAGE = '/admin/finance';

/** No script, no external resource, no framing. */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export interface FinancePageOptions {
  check?: PaymentCheck;
  sources?: SettlementSource[];
}

/**
 * GET /admin/finance: the reconciliation report as a page, rendered on the server (inline SVG charts, no
 * script). An admin signs in on the page itself (e-mail or phone and password, or a pasted access token);
 * the access token is kept in an HttpOnly, SameSite=Strict cookie scoped to /admin/finance until it expires.
 * `Authorization: Bearer` works too (scripts). Tokens never travel in URLs.
 */
export function financePageRoutes(deps: Deps, options: FinancePageOptions = {}) {
  const app = new Hono<AppEnv>();
  const html = (c: Context<AppEnv>, body: string, status: 200 | 400 | 401 | 403 | 429 = 200) => c.html(body, status, SECURITY_HEADERS);

  async function viewer(c: Context<AppEnv>): Promise<{ id: string; admin: boolean } | null> {
    const header = c.req.header('Authorization');
    const token = header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : getCookie(c, FINANCE_COOKIE);
    if (!token) return null;
    try {
      const claims = await deps.tokens.verifyAccessToken(token);
      return { id: claims.userId, admin: claims.roles.includes('admin') };
    } catch {
      return null;
    }
  }

  app.get('/', async (c) => {
    const user = await viewer(c);
    const next = c.req.url.slice(c.req.url.indexOf(PAGE));
    if (!user) {
      if (getCookie(c, FINANCE_COOKIE)) deleteCookie(c, FINANCE_COOKIE, { path: PAGE });
      return html(c, signInPage({ next }), 401);
    }
    if (!user.admin) return html(c, forbiddenPage(), 403);
    let range;
    try {
      range = parseRange({ from: c.req.query('from') || undefined, to: c.req.query('to') || undefined }, deps.clock.now());
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const detail = [error.message, ...error.errors.map((e) => `${e.path}: ${e.message}`)].join(' — ');
      return html(c, layout('Bazaar finance — reconciliation', `<p class="banner bad" role="alert">${esc(detail)}</p><p><a href="${PAGE}">Back to the last 30 days</a></p>`), 400);
    }
    const report = await financeReport(deps, range, options);
    return html(c, reportPage(report, range, user));
  });

  app.post('/session', bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.html(signInPage({ error: 'The form is too large.' }), 413, SECURITY_HEADERS) }), async (c) => {
    const form = await c.req.parseBody();
    const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
    const requested = field('next');
    const next = requested.startsWith(PAGE) && !requested.startsWith('//') ? requested : PAGE;
    let token = field('token');
    try {
      if (!token) {
        if (!field('identifier') || !field('password')) return html(c, signInPage({ error: 'Enter your e-mail or phone and password, or an access token.', next }), 400);
        token = (await loginWithPassword(deps, { identifier: field('identifier'), password: field('password'), ip: c.get('clientIp') }, commandMetadata(c))).accessToken;
      }
      const claims = await deps.tokens.verifyAccessToken(token);
      if (!claims.roles.includes('admin')) return html(c, forbiddenPage(), 403);
    } catch (error) {
      if (error instanceof RateLimitedError) return html(c, signInPage({ error: error.message, next }), 429);
      if (error instanceof UnauthenticatedError || error instanceof DomainError) return html(c, signInPage({ error: error.message, next }), 401);
      throw error;
    }
    setCookie(c, FINANCE_COOKIE, token, {
      path: PAGE,
      httpOnly: true,
      sameSite: 'Strict',
      secure: new URL(c.req.url).protocol === 'https:',
      maxAge: deps.tokens.accessTokenTtlSeconds,
    });
    return c.redirect(next, 303);
  });

  app.post('/logout', (c) => {
    deleteCookie(c, FINANCE_COOKIE, { path: PAGE });
    return c.redirect(PAGE, 303);
  });

  return app;
}
