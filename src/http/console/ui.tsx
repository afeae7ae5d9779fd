import type { Child } from 'hono/jsx';
import { formatAmount } from '../pages/finance-html.js';
import type { Problem } from './api.js';
import { LANGS, statusLabel, type Lang, type MessageKey, type Translate } from './i18n.js';
import { assetUrl } from './assets.js';

export interface ConsoleUser {
  id: string;
  roles: string[];
  nickname: string;
}

/** What every page needs to render: the language, the signed-in user, the CSRF token, the current path. */
export interface View {
  t: Translate;
  lang: Lang;
  path: string;
  csrf: string;
  user: ConsoleUser | null;
  admin: boolean;
  flash?: { kind: 'ok' | 'bad' | 'info'; text: string } | null;
}

interface NavItem {
  href: string;
  key: MessageKey;
  adminOnly?: boolean;
}

const NAV: NavItem[] = [
  { href: '/admin', key: 'nav.dashboard' },
  { href: '/admin/products', key: 'nav.products' },
  { href: '/admin/categories', key: 'nav.categories', adminOnly: true },
  { href: '/admin/brands', key: 'nav.brands', adminOnly: true },
  { href: '/admin/bulk', key: 'nav.bulk' },
  { href: '/admin/home', key: 'nav.home', adminOnly: true },
  { href: '/admin/orders', key: 'nav.orders' },
  { href: '/admin/refunds', key: 'nav.refunds' },
  { href: '/admin/promotions', key: 'nav.promotions', adminOnly: true },
  { href: '/admin/vouchers', key: 'nav.vouchers', adminOnly: true },
  { href: '/admin/flash-sales', key: 'nav.flashSales', adminOnly: true },
  { href: '/admin/users', key: 'nav.users', adminOnly: true },
  { href: '/admin/api-keys', key: 'nav.apiKeys' },
  { href: '/admin/finance', key: 'nav.finance', adminOnly: true },
  { href: '/admin/operations', key: 'nav.operations', adminOnly: true },
];

const current = (path: string, href: string) => (href === '/admin' ? path === '/admin' || path === '/admin/' : path === href || path.startsWith(`${href}/`));

export const Csrf = ({ v }: { v: View }) => <input type="hidden" name="_csrf" value={v.csrf} />;

function LangSwitch({ v }: { v: View }) {
  return (
    <form method="post" action="/admin/lang" class="lang">
      <Csrf v={v} />
      <input type="hidden" name="next" value={v.path} />
      <span class="sr-only">{v.t('lang.switch')}</span>
      {LANGS.map((lang) => (
        <button type="submit" name="lang" value={lang} aria-pressed={lang === v.lang ? 'true' : 'false'} lang={lang}>
          {lang === 'en' ? 'English' : '中文'}
        </button>
      ))}
    </form>
  );
}

export function Layout({ v, title, children }: { v: View; title: string; children?: Child }) {
  const nav = NAV.filter((item) => !item.adminOnly || v.admin);
  return (
    <html lang={v.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"selfRequestsOnly":true}' />
        <title>{`${title} · ${v.t('app.title')}`}</title>
        <link rel="stylesheet" href={assetUrl('console.css')} />
        <script src={assetUrl('htmx.min.js')} defer></script>
        <script src={assetUrl('console.js')} defer></script>
      </head>
      <body hx-headers={JSON.stringify({ 'X-CSRF-Token': v.csrf })}>
        <a class="skip" href="#main">
          {v.t('nav.skip')}
        </a>
        <header class="top">
          <a class="brand" href="/admin">
            {v.t('app.title')}
          </a>
          <div class="top-right">
            <LangSwitch v={v} />
            {v.user ? (
              <form method="post" action="/admin/sign-out" class="who">
                <Csrf v={v} />
                <span data-user={v.user.id}>
                  {v.user.nickname} · {v.t(v.admin ? 'role.admin' : 'role.merchant')}
                </span>
                <button type="submit">{v.t('auth.signOut')}</button>
              </form>
            ) : null}
          </div>
        </header>
        <div class="shell">
          {v.user ? (
            <nav class="side" aria-label={v.t('nav.main')}>
              <ul>
                {nav.map((item) => (
                  <li>
                    <a href={item.href} aria-current={current(v.path, item.href) ? 'page' : undefined}>
                      {v.t(item.key)}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <main id="main" tabindex={-1}>
            <h1>{title}</h1>
            {v.flash ? <Flash kind={v.flash.kind} text={v.flash.text} /> : null}
            {children}
          </main>
        </div>
      </body>
    </html>
  );
}

export const Flash = ({ kind, text }: { kind: 'ok' | 'bad' | 'info'; text: string }) => (
  <p class={`flash ${kind}`} role={kind === 'bad' ? 'alert' : 'status'}>
    {text}
  </p>
);

export const Empty = ({ v, text }: { v: View; text?: string }) => <p class="empty">{text ?? v.t('common.empty')}</p>;

/** An API error as a person reads it: the problem's detail and its field errors. */
export function ProblemBox({ v, problem, retry }: { v: View; problem: Problem | null | undefined; retry?: string }) {
  const p = problem ?? ({ status: 0, code: 'UNREACHABLE', detail: '' } as Problem);
  return (
    <div class="flash bad" role="alert" data-problem={p.code}>
      <strong>{p.status === 404 ? v.t('common.notFound') : `${v.t('common.error')}: ${p.detail || p.title || p.code}`}</strong>
      {p.errors && p.errors.length > 0 ? (
        <ul>
          {p.errors.map((e) => (
            <li>
              <code>{e.path}</code> {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {retry ? (
        <p>
          <a href={retry}>{v.t('common.retry')}</a>
        </p>
      ) : null}
    </div>
  );
}

export const money = (m: { amount: number; currency: string } | null | undefined) => (m ? formatAmount(m.amount, m.currency) : '—');
export const Money = ({ m }: { m: { amount: number; currency: string } | null | undefined }) => <span class="num">{money(m)}</span>;

export const Status = ({ v, value }: { v: View; value: string | null | undefined }) =>
  value ? (
    <span class={`badge s-${value}`} data-status={value}>
      {statusLabel(v.lang, value)}
    </span>
  ) : (
    <span class="muted">—</span>
  );

export const When = ({ at }: { at: string | null | undefined }) => (at ? <time datetime={at}>{at.replace('T', ' ').slice(0, 19)}</time> : <span class="muted">—</span>);

/** Cursor pagination: the first page and the next one; the filters travel along. */
export function Pager({ v, base, params, nextCursor }: { v: View; base: string; params: Record<string, string | undefined>; nextCursor: string | null }) {
  const query = (cursor?: string) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
    if (cursor) search.set('cursor', cursor);
    const text = search.toString();
    return text ? `${base}?${text}` : base;
  };
  return (
    <nav class="pager" aria-label="pagination">
      {params.cursor ? (
        <a href={query()} hx-get={query()} hx-target="#list" hx-select="#list" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading">
          {v.t('common.first')}
        </a>
      ) : null}
      {nextCursor ? (
        <a rel="next" href={query(nextCursor)} hx-get={query(nextCursor)} hx-target="#list" hx-select="#list" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading">
          {v.t('common.next')} →
        </a>
      ) : null}
    </nav>
  );
}

/** A column heading; `num` ones align right. null: no such column (e.g. one only admins see). */
export type Heading = Child | { num: Child } | null;

/** A table with its column headings; the children are its body rows. */
export const Table = ({ id, headings, children }: { id?: string; headings: Heading[]; children?: Child }) => (
  <table id={id}>
    <thead>
      <tr>
        {headings.map((heading) =>
          heading === null ? null : typeof heading === 'object' && 'num' in heading ? (
            <th scope="col" class="num">
              {heading.num}
            </th>
          ) : (
            <th scope="col">{heading}</th>
          ),
        )}
      </tr>
    </thead>
    <tbody>{children}</tbody>
  </table>
);

/** The list region that filters and pages replace; its indicator is the loading state. */
export const ListRegion = ({ v, children }: { v: View; children?: Child }) => (
  <div class="list-wrap">
    <p id="list-loading" class="loading htmx-indicator" role="status">
      {v.t('common.loading')}
    </p>
    <div id="list">{children}</div>
  </div>
);

/** A part of the page loaded after it (its loading state shows until then; a failure shows its error). */
export const Lazy = ({ v, src, label }: { v: View; src: string; label?: string }) => (
  <div class="lazy" hx-get={src} hx-trigger="load" hx-swap="outerHTML" aria-busy="true" aria-label={label}>
    <p class="loading">{v.t('common.loading')}</p>
  </div>
);

export const Select = ({ name, label, value, options, all }: { name: string; label: string; value: string | undefined; options: Array<[string, string]>; all?: string }) => (
  <label>
    {label}
    <select name={name}>
      {all !== undefined ? <option value="">{all}</option> : null}
      {options.map(([optionValue, text]) => (
        <option value={optionValue} selected={optionValue === value}>
          {text}
        </option>
      ))}
    </select>
  </label>
);
