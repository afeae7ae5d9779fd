import type { Hono } from 'hono';
import { adminOnly, page, redirectWith, type ConsoleEnv } from '../context.js';
import { Csrf, Empty, ProblemBox, Status, Table, When } from '../ui.js';

interface ProjectionRow {
  name: string;
  kind: string;
  checkpoint: number;
  lag: number;
  lagSeconds: number;
  rebuilding: boolean;
  rebuild?: { checkpoint: number; lag: number };
  error?: string;
  leaseOwner?: string | null;
  lastRebuild?: { state: string; requestedAt: string; requestedBy: string; owner?: string; finishedAt?: string; checkpoint?: number; lag?: number; error?: string } | null;
}

/**
 * Operations (admin): the stores' health (GET /readyz); every projection's checkpoint, lag, lease owner and
 * last rebuild, a rebuild button, and every lease (GET /api/v1/admin/projections,
 * POST /api/v1/admin/projections/{name}/rebuild).
 */
export function operationsPages(app: Hono<ConsoleEnv>) {
  app.get('/operations', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const v = c.get('view');
    const [ready, overview] = await Promise.all([c.get('api').get('/readyz'), c.get('api').get('/api/v1/admin/projections')]);
    if (!ready.body || typeof ready.body !== 'object') return page(c, v.t('ops.title'), <ProblemBox v={v} problem={{ status: ready.status, code: 'UNAVAILABLE' }} retry="/admin/operations" />, 502);
    const projections = (overview.ok ? overview.body.projections : (ready.body.projections ?? [])) as ProjectionRow[];
    const leases = (overview.ok ? overview.body.leases : []) as Array<{ name: string; owner: string | null }>;
    const owners = new Map(((overview.ok ? overview.body.owners : []) as Array<{ owner: string; role: string; thread: boolean; host: string; pid: number; startedAt: string }>).map((o) => [o.owner, o]));
    const roleOf = (owner: string) => {
      const info = owners.get(owner);
      return info ? `${info.role}${info.thread ? ` (${v.t('ops.thread')})` : ''}` : '—';
    };
    const active = projections.some((p) => p.lastRebuild && (p.lastRebuild.state === 'requested' || p.lastRebuild.state === 'running'));
    const checks = Object.entries((ready.body.checks ?? {}) as Record<string, string>);
    return page(
      c,
      v.t('ops.title'),
      <>
        <section>
          <h2>{v.t('ops.checks')}</h2>
          <p>
            <Status v={v} value={ready.body.status === 'ready' ? 'succeeded' : 'failed'} /> <code>GET /readyz</code> → {ready.status}
          </p>
          <ul>
            {checks.map(([name, state]) => (
              <li data-check={name}>
                {name}: {state}
              </li>
            ))}
          </ul>
        </section>
        <section id="projections-section" {...(active ? { 'hx-get': '/admin/operations', 'hx-trigger': 'every 2s', 'hx-select': '#projections-section', 'hx-swap': 'outerHTML' } : {})}>
          <h2>{v.t('dash.projections')}</h2>
          {overview.ok ? null : <ProblemBox v={v} problem={overview.body} retry="/admin/operations" />}
          {projections.length === 0 ? (
            <Empty v={v} />
          ) : (
            <div class="table-scroll">
              <Table id="projections" headings={[v.t('ops.projection'), v.t('ops.kind'), { num: v.t('ops.checkpoint') }, { num: v.t('ops.lag') }, { num: v.t('ops.lagSeconds') }, v.t('ops.state'), v.t('ops.leaseOwner'), v.t('ops.lastRebuild'), v.t('common.actions')]}>
                {projections.map((p) => (
                  <tr data-projection={p.name}>
                    <td>{p.name}</td>
                    <td>{p.kind}</td>
                    <td class="num">{p.checkpoint}</td>
                    <td class="num">{p.lag}</td>
                    <td class="num">{p.lagSeconds}</td>
                    <td>{p.error ? <span class="badge s-failed">{p.error}</span> : p.rebuilding || p.rebuild ? <span class="badge s-running">rebuilding {p.rebuild ? `(${p.rebuild.checkpoint}, lag ${p.rebuild.lag})` : ''}</span> : <span class="badge s-succeeded">ok</span>}</td>
                    <td>{p.leaseOwner ? <code>{p.leaseOwner}</code> : <span class="muted">{v.t('ops.noOwner')}</span>}</td>
                    <td data-rebuild={p.lastRebuild?.state ?? ''}>
                      {p.lastRebuild ? (
                        <>
                          <Status v={v} value={p.lastRebuild.state} /> <When at={p.lastRebuild.finishedAt ?? p.lastRebuild.requestedAt} />
                          {p.lastRebuild.checkpoint !== undefined ? ` @${p.lastRebuild.checkpoint}` : ''}
                          {p.lastRebuild.state === 'running' && p.lastRebuild.lag !== undefined ? ` (lag ${p.lastRebuild.lag})` : ''}
                          {p.lastRebuild.error ? ` ${p.lastRebuild.error}` : ''}
                        </>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                    <td>
                      {p.kind === 'projection' ? (
                        <form method="post" action={`/admin/operations/projections/${encodeURIComponent(p.name)}/rebuild`} class="inline">
                          <Csrf v={v} />
                          <button type="submit" aria-label={`${v.t('ops.rebuild')} ${p.name}`}>
                            {v.t('ops.rebuild')}
                          </button>
                        </form>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </Table>
            </div>
          )}
        </section>
        <section>
          <h2>{v.t('ops.leases')}</h2>
          <p class="muted">{v.t('ops.leasesHint')}</p>
          {leases.length === 0 ? (
            <Empty v={v} />
          ) : (
            <div class="table-scroll">
              <Table id="leases" headings={[v.t('ops.lease'), v.t('ops.leaseOwner'), v.t('ops.role')]}>
                {leases.map((lease) => (
                  <tr data-lease={lease.name}>
                    <td>{lease.name}</td>
                    <td>{lease.owner ? <code>{lease.owner}</code> : <span class="muted">{v.t('ops.noOwner')}</span>}</td>
                    <td data-role={lease.owner ? (owners.get(lease.owner)?.role ?? '') : ''}>{lease.owner ? roleOf(lease.owner) : '—'}</td>
                  </tr>
                ))}
              </Table>
            </div>
          )}
        </section>
      </>,
    );
  });

  app.post('/operations/projections/:name/rebuild', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const name = c.req.param('name');
    const answer = await c.get('api').call('POST', `/api/v1/admin/projections/${encodeURIComponent(name)}/rebuild`);
    if (!answer.ok) return redirectWith(c, '/admin/operations', 'bad', 'ops.rebuildRefused', { name, reason: String(answer.body?.detail ?? answer.status) });
    return redirectWith(c, '/admin/operations', 'ok', 'ops.rebuildAsked', { name });
  });
}
