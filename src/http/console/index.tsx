import type { IncomingMessage } from 'node:http';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Deps } from '../../deps.js';
import { Api, type ApiAnswer, type ApiFetch, type Problem } from './api.js';
import { assetRoutes } from './assets.js';
import { field, page, SECURITY_HEADERS, takeFlash, type ConsoleContext, type ConsoleEnv } from './context.js';
import { parseLang, translator } from './i18n.js';
import { COOKIE_PATH, LANG_COOKIE, newSecret, PRE_SESSION_COOKIE, sameSecret, SESSION_COOKIE, SessionStore, tokenClaims, tokenExpiry, type ConsoleSession } from './session.js';
import { Csrf, Flash, ProblemBox } from './ui.js';
import { dashboardPages } from './pages/dashboard.js';
import { orderPages } from './pages/orders.js';
import { refundPages } from './pages/refunds.js';
import { financePages } from './pages/finance.js';
import { operationsPages } from './pages/operations.js';
import { catalogPages } from './pages/catalog.js';
import { productPages } from './pages/products.js';
import { bulkPages } from './pages/bulk.js';
import { homePages } from './pages/home.js';
import { marketingPages } from './pages/marketing.js';
import { userPages } from './pages/users.js';

/** Refresh the access token when it has less than this left. */
const REFRESH_MARGIN_MS = 60_000;
const PUBLIC_POSTS = new Set(['/admin/session', '/admin/lang', '/admin/sign-out']);
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BULK_MAX_BYTES = 32 * 1024 * 1024;
const FORM_MAX_BYTES = 256 * 1024;

const cookieOptions = (c: ConsoleContext, maxAgeSeconds?: number) => ({
  path: COOKIE_PATH,
  httpOnly: true,
  sameSite: 'Strict' as const,
  secure: new URL(c.req.url).protocol === 'https:',
  ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
});

/** Only console paths, never another site or a protocol-relative URL. */
export function safeNext(value: string | undefined): string {
  if (!value || !value.startsWith('/admin') || value.startsWith('//') || value.includes('\\') || value.startsWith('/admin/session') || value.startsWith('/admin/sign-')) return '/admin';
  return value;
}

/**
 * The operators' console at /admin: server-rendered pages (hono/jsx) with htmx for partial updates,
 * every read and write made through the public JSON API (`fetchApi`, in process) with the signed-in
 * person's own bearer token. See docs/console.md.
 */
export function consoleRoutes(deps: Deps, fetchApi: ApiFetch) {
  const app = new Hono<ConsoleEnv>();
  const sessions = new SessionStore(deps.kv);
  const now = () => deps.clock.now().getTime();

  app.route('/assets', assetRoutes());
  const bulkLimit = bodyLimit({ maxSize: BULK_MAX_BYTES, onError: (c) => c.text('the file is too large', 413) });
  const formLimit = bodyLimit({ maxSize: FORM_MAX_BYTES, onError: (c) => c.text('the form is too large', 413) });
  app.use('*', (c, next) => (c.req.path === '/admin/bulk' ? bulkLimit(c, next) : formLimit(c, next)));

  const apiFor = (c: ConsoleContext, token: string | null) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    return new Api(fetchApi, new URL(c.req.url).origin, token, incoming, c.get('requestId') ?? 'console');
  };

  /** Who a bearer token is, as the API says (GET /api/v1/me); a valid token without a profile (404) by its claims. */
  async function whoIs(c: ConsoleContext, token: string): Promise<{ ok: true; user: { id: string; roles: string[]; nickname: string } } | { ok: false; answer: ApiAnswer }> {
    const me = await apiFor(c, token).get('/api/v1/me');
    if (me.ok) return { ok: true, user: me.body };
    if (me.status === 404) {
      const claims = tokenClaims(token);
      return { ok: true, user: { id: claims.userId, roles: claims.roles, nickname: claims.userId } };
    }
    return { ok: false, answer: me };
  }

  /** The session's access token, refreshed when it nears expiry (one refresh at a time per session). */
  async function fresh(c: ConsoleContext, id: string): Promise<ConsoleSession | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const found = await sessions.get(id);
      if (!found) return null;
      const { raw, session } = found;
      if (session.accessExpiresAt - now() > REFRESH_MARGIN_MS) return session;
      if (!session.refreshToken) return session.accessExpiresAt > now() ? session : null;
      const lock = `console:refresh-lock:${session.csrf}`;
      if (!(await deps.kv.set(lock, '1', { ttlMs: 10_000, ifAbsent: true }))) {
        await new Promise((resolve) => setTimeout(resolve, 100)); // another request of this session is refreshing
        continue;
      }
      try {
        const answer = await apiFor(c, null).call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
        if (!answer.ok) {
          await sessions.delete(id);
          return null;
        }
        const next: ConsoleSession = { ...session, accessToken: answer.body.accessToken, refreshToken: answer.body.refreshToken, roles: answer.body.user.roles, accessExpiresAt: tokenExpiry(answer.body.accessToken) };
        if (await sessions.replace(id, raw, next, now())) return next;
        return null;
      } finally {
        await deps.kv.del(lock);
      }
    }
    return null;
  }

  // Every console request: the language, the session (or a bearer token, for scripts), the CSRF check.
  app.use('*', async (c, next) => {
    const lang = parseLang(getCookie(c, LANG_COOKIE));
    const t = translator(lang);
    let session: ConsoleSession | null = null;
    let sessionId: string | null = null;
    const cookie = getCookie(c, SESSION_COOKIE);
    const bearer = c.req.header('Authorization');
    if (bearer?.toLowerCase().startsWith('bearer ')) {
      const token = bearer.slice(7).trim();
      const who = await whoIs(c, token);
      if (who.ok) session = { userId: who.user.id, roles: who.user.roles, nickname: who.user.nickname, accessToken: token, refreshToken: null, accessExpiresAt: tokenExpiry(token), csrf: '', createdAt: now() };
    } else if (cookie) {
      session = await fresh(c, cookie);
      if (session) sessionId = cookie;
      else deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH });
    }
    let csrf = session?.csrf ?? getCookie(c, PRE_SESSION_COOKIE) ?? '';
    if (!session && !csrf) {
      csrf = newSecret();
      setCookie(c, PRE_SESSION_COOKIE, csrf, cookieOptions(c));
    }
    const admin = session?.roles.includes('admin') ?? false;
    c.set('session', session);
    c.set('sessionId', sessionId);
    c.set('api', apiFor(c, session?.accessToken ?? null));
    c.set('view', { t, lang, path: c.req.path, csrf, user: session ? { id: session.userId, roles: session.roles, nickname: session.nickname } : null, admin, flash: null });

    if (UNSAFE.has(c.req.method) && !(bearer && session)) {
      // Cross-site requests are refused before anything is read: the Origin (or Fetch Metadata) must be this host.
      const origin = c.req.header('Origin');
      const site = c.req.header('Sec-Fetch-Site');
      const host = c.req.header('Host');
      const sameOrigin = origin ? origin !== 'null' && safeHost(origin) === host : !site || site === 'same-origin' || site === 'none';
      const form = sameOrigin && !c.req.header('X-CSRF-Token') ? await c.req.parseBody().catch(() => ({}) as Record<string, unknown>) : {};
      const provided = c.req.header('X-CSRF-Token') ?? (typeof form._csrf === 'string' ? form._csrf : '');
      if (!sameOrigin || !sameSecret(provided, csrf)) {
        if (sameOrigin && !session && cookie && !PUBLIC_POSTS.has(c.req.path)) return expired(c, 401);
        deps.logger.warn({ path: c.req.path, origin, site }, 'console: request refused by the CSRF check');
        return page(c, t('app.title'), <Flash kind="bad" text={t('auth.csrf')} />, 403);
      }
    }
    c.get('view').flash = c.req.method === 'GET' ? takeFlash(c, t) : null;
    await next();
  });

  const expired = (c: ConsoleContext, status: 401 = 401) => {
    const next = safeNext(c.req.method === 'GET' ? c.req.path + (new URL(c.req.url).search || '') : c.req.header('Referer') ? new URL(c.req.header('Referer')!).pathname : '/admin');
    if (c.req.header('HX-Request')) return c.body(null, 200, { 'HX-Redirect': `/admin/sign-in?expired=1&next=${encodeURIComponent(next)}` });
    return signInPage(c, { notice: c.get('view').t('auth.expired'), next }, status);
  };

  function signInPage(c: ConsoleContext, options: { error?: Problem | string; notice?: string; next?: string; identifier?: string }, status: 200 | 400 | 401 | 403 | 429 = 200) {
    const v = c.get('view');
    return page(
      c,
      v.t('auth.signInTitle'),
      <section class="signin">
        {options.notice ? <Flash kind="info" text={options.notice} /> : null}
        {typeof options.error === 'string' ? <Flash kind="bad" text={options.error} /> : options.error ? <ProblemBox v={v} problem={options.error} /> : null}
        <form method="post" action="/admin/session" class="stack">
          <Csrf v={v} />
          <input type="hidden" name="next" value={options.next ?? '/admin'} />
          <label>
            {v.t('auth.identifier')}
            <input name="identifier" autocomplete="username" value={options.identifier ?? ''} />
          </label>
          <label>
            {v.t('auth.password')}
            <input name="password" type="password" autocomplete="current-password" />
          </label>
          <details>
            <summary>{v.t('auth.token')}</summary>
            <p class="muted">{v.t('auth.tokenHint')}</p>
            <label>
              {v.t('auth.token')}
              <input name="token" autocomplete="off" />
            </label>
          </details>
          <p>
            <button type="submit">{v.t('auth.signIn')}</button>
          </p>
        </form>
        <p class="muted" data-hint="first-admin">
          {v.t('auth.firstAdmin')} <code>BAZAAR_BOOTSTRAP_ADMIN=you@example.com:password npm start</code> · <code>npx bazaar users create-admin --email E --password P</code>
        </p>
      </section>,
      status,
    );
  }

  app.get('/sign-in', (c) => {
    const v = c.get('view');
    if (c.get('session')) return c.redirect(safeNext(c.req.query('next')), 303);
    const notice = c.req.query('expired') ? v.t('auth.expired') : c.req.query('out') ? v.t('auth.signedOut') : undefined;
    return signInPage(c, { notice, next: safeNext(c.req.query('next')) });
  });

  app.post('/session', async (c) => {
    const v = c.get('view');
    const form = await c.req.parseBody();
    const next = safeNext(field(form, 'next'));
    const identifier = field(form, 'identifier');
    const api = apiFor(c, null);
    let tokens: { accessToken: string; refreshToken: string | null; user: { id: string; roles: string[]; nickname: string } };
    const pasted = field(form, 'token');
    if (pasted) {
      const who = await whoIs(c, pasted);
      if (!who.ok) return signInPage(c, { error: who.answer.body as Problem, next }, 401);
      tokens = { accessToken: pasted, refreshToken: null, user: who.user };
    } else {
      if (!identifier || !field(form, 'password')) return signInPage(c, { error: v.t('auth.missing'), next, identifier }, 400);
      const login = await api.call('POST', '/api/v1/auth/login', { body: { identifier, password: field(form, 'password') } });
      if (!login.ok) return signInPage(c, { error: login.body as Problem, next, identifier }, login.status === 429 ? 429 : login.status === 400 ? 400 : 401);
      tokens = login.body;
    }
    if (!tokens.user.roles.includes('admin') && !tokens.user.roles.includes('merchant')) {
      if (tokens.refreshToken) await api.call('POST', '/api/v1/auth/logout', { body: { refreshToken: tokens.refreshToken } });
      return signInPage(c, { error: v.t('auth.customerRefused'), next }, 403);
    }
    const old = getCookie(c, SESSION_COOKIE);
    if (old) await sessions.delete(old);
    const { id } = await sessions.create(
      { userId: tokens.user.id, roles: tokens.user.roles, nickname: tokens.user.nickname, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, accessExpiresAt: tokenExpiry(tokens.accessToken) },
      now(),
    );
    setCookie(c, SESSION_COOKIE, id, cookieOptions(c, 12 * 60 * 60));
    deleteCookie(c, PRE_SESSION_COOKIE, { path: COOKIE_PATH });
    return c.redirect(next, 303);
  });

  app.post('/sign-out', async (c) => {
    const session = c.get('session');
    const id = c.get('sessionId');
    if (session?.refreshToken) await c.get('api').call('POST', '/api/v1/auth/logout', { body: { refreshToken: session.refreshToken } });
    if (id) await sessions.delete(id);
    deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH });
    return c.redirect('/admin/sign-in?out=1', 303);
  });

  app.post('/lang', async (c) => {
    const form = await c.req.parseBody();
    setCookie(c, LANG_COOKIE, parseLang(field(form, 'lang')), { path: COOKIE_PATH, sameSite: 'Strict', httpOnly: true, maxAge: 365 * 24 * 3600 });
    return c.redirect(safeNext(field(form, 'next')), 303);
  });

  // Everything below needs a signed-in admin or merchant.
  const staff: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    const session = c.get('session');
    const v = c.get('view');
    if (!session) {
      if (c.req.header('HX-Request') || UNSAFE.has(c.req.method) || getCookie(c, SESSION_COOKIE) !== undefined) return expired(c);
      return signInPage(c, { next: safeNext(c.req.path + (new URL(c.req.url).search || '')) }, 401);
    }
    if (!session.roles.includes('admin') && !session.roles.includes('merchant')) {
      return page(c, v.t('app.title'), <Flash kind="bad" text={v.t('auth.customerRefused')} />, 403);
    }
    await next();
  };
  app.use('*', staff);

  dashboardPages(app);
  orderPages(app);
  refundPages(app);
  financePages(app);
  operationsPages(app);
  catalogPages(app);
  productPages(app);
  bulkPages(app);
  homePages(app);
  marketingPages(app);
  userPages(app);

  app.all('*', (c) => page(c, c.get('view').t('app.title'), <Flash kind="bad" text={c.get('view').t('common.pageNotFound')} />, 404));
  app.onError((error, c) => {
    deps.logger.error({ err: error, path: c.req.path }, 'console page failed');
    const view = c.get('view');
    if (!view) return c.text('error', 500, SECURITY_HEADERS);
    return page(c, view.t('app.title'), <ProblemBox v={view} problem={{ status: 500, code: 'INTERNAL', detail: view.t('common.error') }} />, 500);
  });
  return app;
}

function safeHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
