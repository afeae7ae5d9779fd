import type { Hono } from 'hono';
import { raw } from 'hono/html';
import { qs, type ApiAnswer } from '../api.js';
import { adminOnly, failure, page, type ConsoleEnv } from '../context.js';
import { reportBody } from '../../pages/finance-html.js';
import type { ReconciliationReport } from '../../../queries/finance/reconciliation.js';
import { Empty, ListRegion, Money, Pager, ProblemBox, Table, When } from '../ui.js';

interface LedgerAccount {
  accountId: string;
  kind: string | null;
  balance: { amount: number; currency: string };
  entries: number;
  updatedAt: string;
}

const csvCell = (value: unknown) => {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Finance (admin): the reconciliation report with its charts (what /admin/finance showed), the ledger accounts, CSV. */
export function financePages(app: Hono<ConsoleEnv>) {
  app.get('/finance', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const v = c.get('view');
    const answer = await c.get('api').get(`/api/v1/admin/finance/reconciliation${qs({ from: c.req.query('from'), to: c.req.query('to') })}`);
    if (!answer.ok) return failure(c, v.t('finance.title'), answer, '/admin/finance');
    const report = answer.body as ReconciliationReport & { from: string; to: string };
    const range = { from: new Date(report.from), toExclusive: new Date(report.to) };
    return page(
      c,
      v.t('finance.title'),
      <>
        <p class="actions">
          <a href="/admin/finance/accounts">{v.t('finance.accountsLink')}</a>
          <a href="/admin/finance/accounts.csv" download="ledger-accounts.csv">
            {v.t('finance.csv')}
          </a>
        </p>
        {raw(reportBody(report, range, v.t))}
      </>,
    );
  });

  app.get('/finance/accounts', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const v = c.get('view');
    const cursor = c.req.query('cursor') || undefined;
    const kind = c.req.query('kind') || undefined;
    const answer = await c.get('api').get(`/api/v1/admin/finance/accounts${qs({ kind, cursor, limit: 100 })}`);
    const items = (answer.ok ? answer.body.items : []) as LedgerAccount[];
    return page(
      c,
      v.t('finance.accountsTitle'),
      <ListRegion v={v}>
        {!answer.ok ? (
          <ProblemBox v={v} problem={answer.body} retry={c.req.url} />
        ) : items.length === 0 ? (
          <Empty v={v} />
        ) : (
          <Table id="ledger-accounts" headings={[v.t('finance.account'), v.t('finance.kind'), { num: v.t('finance.balance') }, { num: v.t('finance.entries') }, v.t('finance.updated')]}>
            {items.map((a) => (
              <tr data-account={a.accountId}>
                <td>{a.accountId}</td>
                <td>{a.kind ?? '—'}</td>
                <td class="num">
                  <Money m={a.balance} />
                </td>
                <td class="num">{a.entries}</td>
                <td>
                  <When at={a.updatedAt} />
                </td>
              </tr>
            ))}
          </Table>
        )}
        {answer.ok ? <Pager v={v} base="/admin/finance/accounts" params={{ kind, cursor }} nextCursor={answer.body.nextCursor} /> : null}
      </ListRegion>,
    );
  });

  app.get('/finance/accounts.csv', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const lines = ['accountId,kind,balance,currency,entries,updatedAt'];
    let cursor: string | null = null;
    do {
      const answer: ApiAnswer = await c.get('api').get(`/api/v1/admin/finance/accounts${qs({ cursor, limit: 500 })}`);
      if (!answer.ok) return c.text(`error: ${answer.body?.detail ?? answer.status}`, 502);
      for (const a of answer.body.items as LedgerAccount[]) lines.push([a.accountId, a.kind, a.balance.amount, a.balance.currency, a.entries, a.updatedAt].map(csvCell).join(','));
      cursor = answer.body.nextCursor;
    } while (cursor);
    return c.body(`${lines.join('\n')}\n`, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': 'attachment; filename="ledger-accounts.csv"', 'Cache-Control': 'no-store' });
  });
}
