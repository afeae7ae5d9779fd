import type { Hono } from 'hono';
import { qs, type ApiAnswer } from '../api.js';
import { adminOnly, field, page, redirectWith, type ConsoleContext, type ConsoleEnv, type PageStatus } from '../context.js';
import { Csrf, Empty, Flash, ListRegion, Pager, ProblemBox, Select, Status, Table, When, type View } from '../ui.js';

interface User {
  id: string;
  nickname: string;
  email: string | null;
  phone: string | null;
  roles: string[];
  registeredAt: string;
  version: number;
}
interface ApiKey {
  id: string;
  merchantId: string;
  name: string;
  status: string;
  issuedAt: string;
  revokedAt: string | null;
}

const ROLES = ['customer', 'merchant', 'admin'] as const;

/** Users (admin: find, change roles) and merchant API keys (create, the secret shown once; revoke): GET /api/v1/admin/users, PUT …/roles, /api/v1/admin/api-keys. */
export function userPages(app: Hono<ConsoleEnv>) {
  const usersPage = async (c: ConsoleContext, error?: ApiAnswer) => {
    const v = c.get('view');
    const q = c.req.query('q') || undefined;
    const role = c.req.query('role') || undefined;
    const by = c.req.query('by') || undefined;
    const cursor = c.req.query('cursor') || undefined;
    const answer = await c.get('api').get(`/api/v1/admin/users${qs({ q, by: q ? by : undefined, role, cursor, limit: 20 })}`);
    return page(
      c,
      v.t('nav.users'),
      <>
        {error ? <ProblemBox v={v} problem={error.body} /> : null}
        <form class="filters" method="get" action="/admin/users" hx-get="/admin/users" hx-target="#list" hx-select="#list" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading">
          <label>
            {v.t('users.search')}
            <input type="search" name="q" value={q ?? ''} size={28} />
          </label>
          <Select name="by" label={v.t('users.by')} value={by} options={[['email', v.t('users.email')], ['phone', v.t('users.phone')], ['nickname', v.t('users.nickname')]]} all={v.t('users.byGuess')} />
          <Select name="role" label={v.t('users.role')} value={role} options={ROLES.map((r) => [r, v.t(`role.${r}`)])} all={v.t('common.all')} />
          <button type="submit">{v.t('common.filter')}</button>
        </form>
        <ListRegion v={v}>
          {answer.ok ? <UserTable v={v} items={answer.body.items} /> : <ProblemBox v={v} problem={answer.body} retry={c.req.url} />}
          {answer.ok ? <Pager v={v} base="/admin/users" params={{ q, by, role, cursor }} nextCursor={answer.body.nextCursor} /> : null}
        </ListRegion>
      </>,
      error ? (error.status as PageStatus) : answer.ok ? 200 : (answer.status as PageStatus),
    );
  };

  app.get('/users', (c) => adminOnly(c) ?? usersPage(c));

  app.post('/users/:id/roles', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const id = c.req.param('id');
    const form = await c.req.parseBody({ all: true });
    const raw = form.roles;
    const roles = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((r): r is string => typeof r === 'string');
    const answer = await c.get('api').call('PUT', `/api/v1/admin/users/${encodeURIComponent(id)}/roles`, { body: { roles }, headers: { 'If-Match': `"${field(form, 'version')}"` } });
    if (!answer.ok) return usersPage(c, answer);
    const back = field(form, 'back');
    return redirectWith(c, back.startsWith('/admin/users') ? back : '/admin/users', 'ok', 'users.rolesSaved', { name: answer.body.nickname });
  });

  const keysPage = async (c: ConsoleContext, options: { error?: ApiAnswer; created?: { id: string; key: string; merchantId: string } } = {}) => {
    const v = c.get('view');
    const cursor = c.req.query('cursor') || undefined;
    const answer = await c.get('api').get(`/api/v1/admin/api-keys${qs({ cursor, limit: 20 })}`);
    return page(
      c,
      v.t('nav.apiKeys'),
      <>
        {options.error ? <ProblemBox v={v} problem={options.error.body} /> : null}
        {options.created ? (
          <div class="flash ok" role="status" data-new-key={options.created.id}>
            <p>{v.t('keys.showOnce')}</p>
            <p>
              <code class="secret" data-secret="">
                {options.created.key}
              </code>
            </p>
          </div>
        ) : null}
        <ListRegion v={v}>
          {answer.ok ? <KeyTable v={v} items={answer.body.items} /> : <ProblemBox v={v} problem={answer.body} retry={c.req.url} />}
          {answer.ok ? <Pager v={v} base="/admin/api-keys" params={{ cursor }} nextCursor={answer.body.nextCursor} /> : null}
        </ListRegion>
        <section>
          <h2>{v.t('keys.create')}</h2>
          <form method="post" action="/admin/api-keys" class="stack" data-form="api-key">
            <Csrf v={v} />
            <label>
              {v.t('common.name')}
              <input name="name" required maxlength={100} />
            </label>
            {v.admin ? (
              <label>
                {v.t('keys.merchant')}
                <input name="merchantId" maxlength={64} placeholder="platform" />
              </label>
            ) : null}
            <button type="submit">{v.t('common.create')}</button>
          </form>
        </section>
      </>,
      options.error ? (options.error.status as PageStatus) : answer.ok ? 200 : (answer.status as PageStatus),
    );
  };

  // A merchant manages its own keys (the API scopes them); an admin names the merchant.
  app.get('/api-keys', (c) => keysPage(c));

  app.post('/api-keys', async (c) => {
    const form = await c.req.parseBody();
    const merchantId = field(form, 'merchantId');
    const answer = await c.get('api').call('POST', '/api/v1/admin/api-keys', { body: { name: field(form, 'name'), ...(merchantId && c.get('view').admin ? { merchantId } : {}) } });
    if (!answer.ok) return keysPage(c, { error: answer });
    // The secret is shown on this response only (no redirect: it is never stored or put in a URL or cookie).
    return keysPage(c, { created: answer.body });
  });

  app.post('/api-keys/:id/revoke', async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').call('DELETE', `/api/v1/admin/api-keys/${encodeURIComponent(id)}`);
    if (!answer.ok) return keysPage(c, { error: answer });
    return redirectWith(c, '/admin/api-keys', 'ok', 'keys.revoked', { id });
  });
}

function UserTable({ v, items }: { v: View; items: User[] }) {
  if (items.length === 0) return <Empty v={v} text={v.t('users.none')} />;
  return (
    <div class="table-scroll">
      <Table id="users" headings={[v.t('users.nickname'), v.t('users.email'), v.t('users.phone'), v.t('users.registered'), v.t('users.roles')]}>
        {items.map((u) => (
          <tr data-user={u.id}>
            <td>
              {u.nickname}
              <br />
              <code class="muted">{u.id}</code>
            </td>
            <td>{u.email ?? '—'}</td>
            <td>{u.phone ?? '—'}</td>
            <td>
              <When at={u.registeredAt} />
            </td>
            <td>
              <form method="post" action={`/admin/users/${encodeURIComponent(u.id)}/roles`} class="inline" data-form="roles">
                <Csrf v={v} />
                <input type="hidden" name="version" value={String(u.version)} />
                <input type="hidden" name="back" value={v.path} />
                <fieldset class="roles">
                  <legend class="sr-only">{`${v.t('users.roles')} ${u.nickname}`}</legend>
                  {ROLES.map((role) => (
                    <label>
                      <input type="checkbox" name="roles" value={role} checked={u.roles.includes(role)} /> {v.t(`role.${role}`)}
                    </label>
                  ))}
                </fieldset>
                <button type="submit">{v.t('common.save')}</button>
              </form>
            </td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

function KeyTable({ v, items }: { v: View; items: ApiKey[] }) {
  if (items.length === 0) return <Empty v={v} text={v.t('keys.none')} />;
  return (
    <div class="table-scroll">
      <Table id="api-keys" headings={[v.t('common.name'), v.t('keys.merchant'), v.t('keys.issued'), v.t('common.status'), v.t('common.actions')]}>
        {items.map((k) => (
          <tr data-key={k.id}>
            <td>
              {k.name}
              <br />
              <code class="muted">{k.id}</code>
            </td>
            <td>{k.merchantId}</td>
            <td>
              <When at={k.issuedAt} />
            </td>
            <td>{k.status === 'active' ? <Status v={v} value="active" /> : <Flash kind="info" text={`${v.t('keys.revokedAt')} ${k.revokedAt?.replace('T', ' ').slice(0, 19) ?? ''}`} />}</td>
            <td>
              {k.status === 'active' ? (
                <form method="post" action={`/admin/api-keys/${encodeURIComponent(k.id)}/revoke`} class="inline">
                  <Csrf v={v} />
                  <button type="submit" class="danger" aria-label={`${v.t('keys.revoke')} ${k.name}`}>
                    {v.t('keys.revoke')}
                  </button>
                </form>
              ) : null}
            </td>
          </tr>
        ))}
      </Table>
    </div>
  );
}
