import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../env.js';
import type { Api, ApiAnswer, Problem } from './api.js';
import type { MessageKey } from './i18n.js';
import { COOKIE_PATH, type ConsoleSession } from './session.js';
import { Layout, ProblemBox, type View } from './ui.js';
import { html } from 'hono/html';

export interface ConsoleEnv {
  Variables: AppEnv['Variables'] & {
    view: View;
    api: Api;
    session: ConsoleSession | null;
    sessionId: string | null;
  };
}

export type ConsoleContext = Context<ConsoleEnv>;

/** Scripts only from this server, no inline code, no framing, forms only to this server. */
export const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export type PageStatus = 200 | 400 | 401 | 403 | 404 | 409 | 412 | 413 | 422 | 429 | 500 | 502;

export function page(c: ConsoleContext, title: string, body: Child, status: PageStatus = 200) {
  // The doctype keeps browsers in standards mode (JSX cannot express it).
  return c.html(
    html`<!DOCTYPE html>${(
      <Layout v={c.get('view')} title={title}>
        {body}
      </Layout>
    )}`,
    status,
    SECURITY_HEADERS,
  );
}

const FLASH_COOKIE = 'bazaar_flash';

/** Post/redirect/get: the next page shows the message once. */
export function redirectWith(c: ConsoleContext, location: string, kind: 'ok' | 'bad' | 'info', key: MessageKey, values: Record<string, string | number> = {}) {
  setCookie(c, FLASH_COOKIE, `${kind}|${key}|${encodeURIComponent(JSON.stringify(values))}`, { path: COOKIE_PATH, httpOnly: true, sameSite: 'Strict', maxAge: 60 });
  return c.redirect(location, 303);
}

export function takeFlash(c: ConsoleContext, t: View['t']): View['flash'] {
  const raw = getCookie(c, FLASH_COOKIE);
  if (!raw) return null;
  deleteCookie(c, FLASH_COOKIE, { path: COOKIE_PATH });
  const [kind, key, values] = raw.split('|');
  if (kind !== 'ok' && kind !== 'bad' && kind !== 'info') return null;
  try {
    return { kind, text: t(key as MessageKey, JSON.parse(decodeURIComponent(values ?? '%7B%7D')) as Record<string, string>) };
  } catch {
    return null;
  }
}

/** An API answer that is not 2xx, as the page shows it; the status mirrors the API's. */
export function failure(c: ConsoleContext, title: string, answer: ApiAnswer, retry?: string) {
  const status = (answer.status >= 400 && answer.status < 600 ? answer.status : 502) as PageStatus;
  return page(c, title, <ProblemBox v={c.get('view')} problem={answer.body as Problem} retry={retry} />, status);
}

export const field = (form: Record<string, unknown>, name: string): string => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');

/** "12.34" → 1234 fen; null when it is not an amount. */
export function parseYuan(text: string): number | null {
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

export const yuan = (fen: number): string => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

/** Pages only admins open: a merchant gets a 403 page (null: go on). */
export function adminOnly(c: ConsoleContext) {
  const v = c.get('view');
  return v.admin ? null : page(c, v.t('app.title'), <ProblemBox v={v} problem={{ status: 403, code: 'FORBIDDEN', detail: v.t('auth.forbidden') }} />, 403);
}
