import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { raw } from 'hono/html';
import { qs, type ApiAnswer } from '../api.js';
import { adminOnly, failure, page, type ConsoleEnv, type PageStatus } from '../context.js';
import { reportBody } from '../../pages/finance-html.js';
import type { ReconciliationReport } from '../../../queries/finance/reconciliation.js';
import { Empty, ListRegion, Money, money, Pager, ProblemBox, Table, When, type View } from '../ui.js';

interface LedgerAccount {
  accountId: string;
  kind: string | null;
  balance: { amount: number; currency: string };
  entries: number;
  updatedAt: string;
}

/** One leg of a transfer on the account (GET /api/v1/admin/finance/accounts/{accountId}/entries). */
interface LedgerEntry {
  id: string;
  accountId: string;
  transferId: string;
  direction: 'debit' | 'credit';
  amount: { amount: number; currency: string };
  counterparty: string;
  cause: { type: string; id: string };
  at: string;
  position: number;
}

const accountHref = (accountId: string) => `/admin/finance/accounts/${encodeURIComponent(accountId)}`;
const entriesApi = (accountId: string) => `/api/v1/admin/finance/accounts/${encodeURIComponent(accountId)}/entries`;

/** The amount with its sign: a credit adds to the balance (+), a debit takes from it (−). */
const SignedAmount = ({ entry }: { entry: LedgerEntry }) => (
  <span class="num">{entry.direction === 'credit' ? `+${money(entry.amount)}` : money({ amount: -entry.amount.amount, currency: entry.amount.currency })}</span>
);

function AccountHeader({ v, account }: { v: View; account: LedgerAccount }) {
  return (
    <dl class="facts" data-account={account.accountId}>
      <dt>{v.t('finance.kind')}</dt>
      <dd>{account.kind ?? '—'}</dd>
      <dt>{v.t('finance.balance')}</dt>
      <dd data-balance={account.balance.amount}>
        <Money m={account.balance} />
      </dd>
      <dt>{v.t('finance.entries')}</dt>
      <dd data-entries={account.entries}>{account.entries}</dd>
      <dt>{v.t('finance.updated')}</dt>
      <dd>
        <When at={account.updatedAt} />
      </dd>
    </dl>
  );
}

function EntriesTable({ v, items }: { v: View; items: LedgerEntry[] }) {
  return (
    <Table
      id="ledger-entries"
      headings={[v.t('finance.at'), v.t('finance.direction'), { num: v.t('finance.amount') }, v.t('finance.counterparty'), v.t('finance.cause'), v.t('finance.transfer')]}
    >
      {items.map((e) => (
        <tr data-entry={e.id} data-direction={e.direction}>
          <td>
            <When at={e.at} />
          </td>
          <td>{v.t(e.direction === 'credit' ? 'finance.credit' : 'finance.debit')}</td>
          <td class="num">
            <SignedAmount entry={e} />
          </td>
          <td>
            <a href={accountHref(e.counterparty)}>{e.counterparty}</a>
          </td>
          <td>
            {e.cause.type} <code>{e.cause.id}</code>
          </td>
          <td>
            <code>{e.transferId}</code>
          </td>
        </tr>
      ))}
    </Table>
  );
}

const csvCell = (value: unknown) => {
  const text = String(value ?? '');
  return /[",\n\r]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** An account id as a file name (ids are letters, digits and . _ : @ + -; anything else becomes _). */
const csvName = (accountId: string) => accountId.replace(/[^A-Za-z0-9._-]/g, '_');

/** Every page of a list route (following its cursor) as a CSV download; a failed page answers `failStatus(status)` with its detail. */
async function csvOfPages<T>(
  c: Context<ConsoleEnv>,
  path: string,
  header: string,
  row: (item: T) => unknown[],
  filename: string,
  failStatus: (status: number) => number,
): Promise<Response> {
  const lines = [header];
  let cursor: string | null = null;
  do {
    const answer: ApiAnswer = await c.get('api').get(`${path}${qs({ cursor, limit: 500 })}`);
    if (!answer.ok) return c.text(`error: ${answer.body?.detail ?? answer.status}`, failStatus(answer.status) as ContentfulStatusCode);
    for (const item of answer.body.items as T[]) lines.push(row(item).map(csvCell).join(','));
    cursor = answer.body.nextCursor;
  } while (cursor);
  return c.body(`${lines.join('\n')}\n`, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${filename}"`, 'Cache-Control': 'no-store' });
}

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
                <td>
                  <a href={accountHref(a.accountId)}>{a.accountId}</a>
                </td>
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
    const row = (a: LedgerAccount) => [a.accountId, a.kind, a.balance.amount, a.balance.currency, a.entries, a.updatedAt];
    return csvOfPages(c, '/api/v1/admin/finance/accounts', 'accountId,kind,balance,currency,entries,updatedAt', row, 'ledger-accounts.csv', () => 502);
  });

  app.get('/finance/accounts/:id', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const v = c.get('view');
    const id = c.req.param('id');
    const cursor = c.req.query('cursor') || undefined;
    const base = accountHref(id);
    const title = v.t('finance.accountTitle', { account: id });
    const answer = await c.get('api').get(`${entriesApi(id)}${qs({ cursor, limit: 100 })}`);
    // No such account (or junk for an id): the console's not-found state, with the API's status.
    if (!answer.ok && (answer.status === 404 || answer.body?.errors?.some((e: { path: string }) => e.path === 'accountId'))) return failure(c, title, answer, '/admin/finance/accounts');
    const account = answer.ok ? (answer.body.account as LedgerAccount) : null;
    const items = (answer.ok ? answer.body.items : []) as LedgerEntry[];
    return page(
      c,
      title,
      <>
        <p class="actions">
          <a href="/admin/finance/accounts">← {v.t('finance.accountsLink')}</a>
          <a href={`${base}/entries.csv`} download={`ledger-entries-${csvName(id)}.csv`}>
            {v.t('finance.csv')}
          </a>
        </p>
        {account ? (
          <section>
            <AccountHeader v={v} account={account} />
          </section>
        ) : null}
        <h2>{v.t('finance.entryList')}</h2>
        <p class="muted">{v.t('finance.entriesHint')}</p>
        <ListRegion v={v}>
          {!answer.ok ? <ProblemBox v={v} problem={answer.body} retry={base} /> : items.length === 0 ? <Empty v={v} /> : <EntriesTable v={v} items={items} />}
          {answer.ok ? <Pager v={v} base={base} params={{ cursor }} nextCursor={answer.body.nextCursor} /> : null}
        </ListRegion>
      </>,
      answer.ok ? 200 : ((answer.status >= 400 && answer.status < 600 ? answer.status : 502) as PageStatus),
    );
  });

  app.get('/finance/accounts/:id/entries.csv', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const id = c.req.param('id');
    const row = (e: LedgerEntry) => [e.at, e.direction, e.direction === 'credit' ? e.amount.amount : -e.amount.amount, e.amount.currency, e.counterparty, e.cause.type, e.cause.id, e.transferId, e.position];
    return csvOfPages(c, entriesApi(id), 'at,direction,amount,currency,counterparty,causeType,causeId,transferId,position', row, `ledger-entries-${csvName(id)}.csv`, (status) => (status === 404 || status === 400 ? status : 502));
  });
}
