import type { Hono } from 'hono';
import { qs, type ApiAnswer } from '../api.js';
import { failure, field, page, redirectWith, type ConsoleContext, type ConsoleEnv, type PageStatus } from '../context.js';
import { statusLabel } from '../i18n.js';
import { Csrf, Empty, ListRegion, Money, Pager, ProblemBox, Select, Status, Table, When, type View } from '../ui.js';
import type { OrderView } from './orders.js';

type M = { amount: number; currency: string };
interface QueueItem {
  id: string;
  orderId: string;
  userId: string;
  merchantId: string;
  status: string;
  type: string;
  amount: M;
  reason: string;
  note: string | null;
  returnShipment: { carrier: string; trackingNumber: string } | null;
  requestedAt: string;
}

const REFUND_STATUSES = ['requested', 'approved', 'awaiting_return', 'returned', 'refunding', 'refunded', 'rejected'];

export function refundPages(app: Hono<ConsoleEnv>) {
  app.get('/refunds', async (c) => {
    const v = c.get('view');
    const status = c.req.query('status') ?? 'requested';
    const cursor = c.req.query('cursor') || undefined;
    const answer = await c.get('api').get(`/api/v1/admin/refunds${qs({ status, limit: 20, cursor })}`);
    return page(
      c,
      v.t('refunds.queue'),
      <>
        <form class="filters" method="get" action="/admin/refunds" hx-get="/admin/refunds" hx-target="#list" hx-select="#list" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading">
          <Select name="status" label={v.t('common.status')} value={status} options={REFUND_STATUSES.map((s) => [s, statusLabel(v.lang, s)])} all={v.t('common.all')} />
          <button type="submit">{v.t('common.filter')}</button>
        </form>
        <ListRegion v={v}>
          {answer.ok ? <RefundTable v={v} items={answer.body.items} /> : <ProblemBox v={v} problem={answer.body} retry={c.req.url} />}
          {answer.ok ? <Pager v={v} base="/admin/refunds" params={{ status, cursor }} nextCursor={answer.body.nextCursor} /> : null}
        </ListRegion>
      </>,
      answer.ok ? 200 : (answer.status as PageStatus),
    );
  });

  const detail = async (c: ConsoleContext, error?: ApiAnswer) => {
    const v = c.get('view');
    const api = c.get('api');
    const id = c.req.param('id')!;
    const refund = await api.get(`/api/v1/refunds/${encodeURIComponent(id)}`);
    if (!refund.ok) return failure(c, v.t('refunds.title'), refund, '/admin/refunds');
    const order = await api.get(`/api/v1/orders/${encodeURIComponent(refund.body.orderId)}`);
    const items = order.ok ? (order.body as OrderView).items : [];
    const base = `/admin/refunds/${encodeURIComponent(id)}`;
    const r = refund.body as { id: string; orderId: string; status: string; type: string; amount: M; items: Array<{ orderItemId: string; quantity: number }>; reason: string; note: string | null; requestedAt: string; version: number };
    return page(
      c,
      `${v.t('refunds.title')} ${r.id}`,
      <>
        <p>
          <a href="/admin/refunds">← {v.t('refunds.queue')}</a>
        </p>
        {error ? <ProblemBox v={v} problem={error.body} /> : null}
        <section>
          <dl class="facts">
            <dt>{v.t('common.status')}</dt>
            <dd>
              <Status v={v} value={r.status} />
            </dd>
            <dt>{v.t('refunds.type')}</dt>
            <dd>{statusLabel(v.lang, r.type)}</dd>
            <dt>{v.t('refunds.amount')}</dt>
            <dd>
              <Money m={r.amount} />
            </dd>
            <dt>{v.t('refunds.order')}</dt>
            <dd>
              <a href={`/admin/orders/${encodeURIComponent(r.orderId)}`}>{r.orderId}</a>
            </dd>
            <dt>{v.t('refunds.requestedAt')}</dt>
            <dd>
              <When at={r.requestedAt} />
            </dd>
            <dt>{v.t('refunds.reason')}</dt>
            <dd data-field="reason">{r.reason}</dd>
            {r.note ? (
              <>
                <dt>{v.t('common.note')}</dt>
                <dd>{r.note}</dd>
              </>
            ) : null}
          </dl>
          <h3>{v.t('orders.items')}</h3>
          <ul>
            {r.items.map((line) => {
              const item = items.find((i) => i.id === line.orderItemId);
              return (
                <li>
                  {item ? `${item.title} (${item.skuCode})` : line.orderItemId} × {line.quantity}
                </li>
              );
            })}
          </ul>
        </section>
        {r.status === 'requested' ? (
          <section>
            <form method="post" action={`${base}/decision`} class="stack" data-form="decision">
              <Csrf v={v} />
              <input type="hidden" name="version" value={String(r.version)} />
              <label>
                {v.t('common.note')}
                <textarea name="note" maxlength={500} rows={3}></textarea>
              </label>
              <div class="actions">
                <button type="submit" name="decision" value="approve">
                  {v.t('refunds.approve')}
                </button>
                <button type="submit" name="decision" value="reject" class="danger">
                  {v.t('refunds.reject')}
                </button>
              </div>
            </form>
          </section>
        ) : null}
        {r.status === 'awaiting_return' ? (
          <form method="post" action={`${base}/receive-return`}>
            <Csrf v={v} />
            <button type="submit">{v.t('refunds.receiveReturn')}</button>
          </form>
        ) : null}
      </>,
      error ? (error.status as PageStatus) : 200,
    );
  };

  app.get('/refunds/:id', (c) => detail(c));

  app.post('/refunds/:id/decision', async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    const decision = field(form, 'decision') === 'reject' ? 'reject' : 'approve';
    const note = field(form, 'note');
    const answer = await c.get('api').call('POST', `/api/v1/admin/refunds/${encodeURIComponent(id)}/${decision}`, {
      body: note ? { note } : {},
      headers: { 'If-Match': `"${field(form, 'version')}"` },
    });
    if (!answer.ok) return detail(c, answer);
    return redirectWith(c, `/admin/refunds/${encodeURIComponent(id)}`, 'ok', decision === 'approve' ? 'refunds.approved' : 'refunds.rejected');
  });

  app.post('/refunds/:id/receive-return', async (c) => {
    const id = c.req.param('id');
    const answer = await c.get('api').call('POST', `/api/v1/admin/refunds/${encodeURIComponent(id)}/receive-return`);
    if (!answer.ok) return detail(c, answer);
    return redirectWith(c, `/admin/refunds/${encodeURIComponent(id)}`, 'ok', 'refunds.received');
  });
}

function RefundTable({ v, items }: { v: View; items: QueueItem[] }) {
  if (items.length === 0) return <Empty v={v} />;
  return (
    <div class="table-scroll">
      <Table id="refunds" headings={[v.t('common.id'), v.t('refunds.requestedAt'), v.t('refunds.order'), v.t('refunds.type'), v.t('refunds.reason'), v.t('common.status'), { num: v.t('refunds.amount') }]}>
        {items.map((r) => (
          <tr data-refund={r.id}>
            <td>
              <a href={`/admin/refunds/${encodeURIComponent(r.id)}`}>{r.id}</a>
            </td>
            <td>
              <When at={r.requestedAt} />
            </td>
            <td>
              <a href={`/admin/orders/${encodeURIComponent(r.orderId)}`}>{r.orderId}</a>
            </td>
            <td>{statusLabel(v.lang, r.type)}</td>
            <td>{r.reason}</td>
            <td>
              <Status v={v} value={r.status} />
            </td>
            <td class="num">
              <Money m={r.amount} />
            </td>
          </tr>
        ))}
      </Table>
    </div>
  );
}
