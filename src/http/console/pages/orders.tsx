import type { Hono } from 'hono';
import { qs, type ApiAnswer } from '../api.js';
import { failure, field, page, redirectWith, type ConsoleContext, type ConsoleEnv, type PageStatus } from '../context.js';
import { statusLabel } from '../i18n.js';
import { Csrf, Empty, Flash, ListRegion, Money, Pager, ProblemBox, Select, Status, Table, When, type View } from '../ui.js';

type M = { amount: number; currency: string };
export interface OrderView {
  id: string;
  payOrderId: string;
  userId: string;
  merchantId: string;
  status: string;
  paymentStatus: string;
  fulfillmentStatus: string;
  refundStatus: string;
  items: Array<{ id: string; skuId: string; productId: string; title: string; skuCode: string; salesAttributes: Record<string, string>; quantity: number; unitPrice: M; lineTotal: M; discount: M; snapshotId: string }>;
  subtotal: M;
  discount: M;
  shipping: M;
  total: M;
  shippingAddress: Record<string, string | null>;
  createdAt: string;
  shipments: Array<{ id: string; carrier: string; trackingNumber: string; status: string }>;
  refunds: Array<{ id: string; status: string; amount: M }>;
  timeline: Array<{ at: string; type: string; actor?: { id: string; role: string }; reason?: string }>;
  version: number;
}

const ORDER_STATUSES = ['pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled', 'closed'];
const REFUND_STATUSES = ['none', 'requested', 'partially_refunded', 'refunded'];
const PAYMENT_STATUSES = ['unpaid', 'paid', 'partially_refunded', 'refunded'];
const FULFILLMENT_STATUSES = ['unfulfilled', 'shipped', 'delivered', 'failed', 'returned'];
const FILTERS = ['status', 'paymentStatus', 'fulfillmentStatus', 'refundStatus', 'userId', 'from', 'to', 'limit'] as const;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day picked in the form (China time, the console's business day) as the API's window: from its start, to the start of the next day. */
export function dayWindow(from: string | undefined, to: string | undefined): { createdFrom?: string; createdTo?: string } {
  const start = (day: string) => new Date(`${day}T00:00:00+08:00`);
  const window: { createdFrom?: string; createdTo?: string } = {};
  if (from && DAY.test(from) && !Number.isNaN(start(from).getTime())) window.createdFrom = start(from).toISOString();
  if (to && DAY.test(to) && !Number.isNaN(start(to).getTime())) window.createdTo = new Date(start(to).getTime() + 86_400_000).toISOString();
  return window;
}

/** A tracking-number edit that lost a race: what the shipment says now, and the person's own value. */
interface TrackingConflict {
  shipmentId: string;
  mine: string;
  current: string;
  version: number;
}

export function orderPages(app: Hono<ConsoleEnv>) {
  app.get('/orders', async (c) => {
    const v = c.get('view');
    const params: Record<string, string | undefined> = {};
    for (const name of FILTERS) params[name] = c.req.query(name) || undefined;
    if (!v.admin) delete params.userId;
    const cursor = c.req.query('cursor') || undefined;
    const { from, to, ...apiParams } = params;
    const path = `${v.admin ? '/api/v1/orders' : '/api/v1/merchant/orders'}${qs({ ...apiParams, ...dayWindow(from, to), limit: params.limit ?? '20', cursor })}`;
    const answer = await c.get('api').get(path);
    const options = (values: string[]) => values.map((value) => [value, statusLabel(v.lang, value)] as [string, string]);
    return page(
      c,
      v.t('orders.title'),
      <>
        <form class="filters" method="get" action="/admin/orders" hx-get="/admin/orders" hx-target="#list" hx-select="#list" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading">
          <Select name="status" label={v.t('common.status')} value={params.status} options={options(ORDER_STATUSES)} all={v.t('common.all')} />
          <Select name="paymentStatus" label={v.t('orders.payment')} value={params.paymentStatus} options={options(PAYMENT_STATUSES)} all={v.t('common.all')} />
          <Select name="fulfillmentStatus" label={v.t('orders.fulfillment')} value={params.fulfillmentStatus} options={options(FULFILLMENT_STATUSES)} all={v.t('common.all')} />
          <Select name="refundStatus" label={v.t('orders.refund')} value={params.refundStatus} options={options(REFUND_STATUSES)} all={v.t('common.all')} />
          <label>
            {v.t('orders.from')}
            <input type="date" name="from" value={params.from ?? ''} />
          </label>
          <label>
            {v.t('orders.to')}
            <input type="date" name="to" value={params.to ?? ''} />
          </label>
          {v.admin ? (
            <label>
              {v.t('orders.customer')}
              <input name="userId" value={params.userId ?? ''} size={28} />
            </label>
          ) : null}
          <Select name="limit" label={v.t('common.perPage')} value={params.limit ?? '20'} options={['20', '50', '100'].map((n) => [n, n])} />
          <button type="submit">{v.t('common.filter')}</button>
          <a href="/admin/orders">{v.t('common.reset')}</a>
        </form>
        <ListRegion v={v}>{answer.ok ? <OrderTable v={v} orders={answer.body.items} /> : <ProblemBox v={v} problem={answer.body} retry={c.req.url} />}
          {answer.ok ? <Pager v={v} base="/admin/orders" params={{ ...params, cursor }} nextCursor={answer.body.nextCursor} /> : null}
        </ListRegion>
      </>,
      answer.ok ? 200 : (answer.status as PageStatus),
    );
  });

  const detail = async (c: ConsoleContext, options: { conflict?: TrackingConflict; error?: ApiAnswer } = {}) => {
    const v = c.get('view');
    const id = c.req.param('id')!;
    const api = c.get('api');
    const answer = await api.get(`/api/v1/orders/${encodeURIComponent(id)}`);
    if (!answer.ok) return failure(c, v.t('orders.title'), answer, '/admin/orders');
    const order = answer.body as OrderView;
    // Each shipment's ETag, the If-Match of a tracking-number edit.
    const versions = new Map<string, number>();
    await Promise.all(
      order.shipments.map(async (s) => {
        const shipment = await api.get(`/api/v1/admin/orders/${encodeURIComponent(order.id)}/shipments/${encodeURIComponent(s.id)}`);
        if (shipment.ok) versions.set(s.id, shipment.body.version as number);
      }),
    );
    const status: PageStatus = options.conflict ? 412 : options.error ? (options.error.status as PageStatus) : 200;
    return page(c, `${v.t('orders.title')} ${order.id}`, <OrderDetail v={v} order={order} versions={versions} conflict={options.conflict} error={options.error} />, status);
  };

  app.get('/orders/:id', (c) => detail(c));

  // The item snapshot an order line was sold under (GET /api/v1/snapshots/{id}).
  app.get('/snapshots/:id', async (c) => {
    const v = c.get('view');
    const answer = await c.get('api').get(`/api/v1/snapshots/${encodeURIComponent(c.req.param('id'))}`);
    if (!answer.ok) return failure(c, v.t('orders.snapshot'), answer);
    const snap = answer.body as { id: string; takenAt: string; content: { productId: string; title: string; description: string; images: string[]; brand: { name: string }; category: { name: string }; attributes: Record<string, string>; skus: Array<{ skuId: string; skuCode: string; salesAttributes: Record<string, string>; price: M }> } };
    return page(
      c,
      `${v.t('orders.snapshot')} · ${snap.content.title}`,
      <section data-snapshot={snap.id}>
        <dl class="facts">
          <dt>{v.t('common.id')}</dt>
          <dd>
            <code>{snap.id}</code>
          </dd>
          <dt>{v.t('orders.takenAt')}</dt>
          <dd>
            <When at={snap.takenAt} />
          </dd>
          <dt>{v.t('common.name')}</dt>
          <dd>{snap.content.title}</dd>
          <dt>{v.t('nav.brands')}</dt>
          <dd>{snap.content.brand.name}</dd>
          <dt>{v.t('nav.categories')}</dt>
          <dd>{snap.content.category.name}</dd>
          {Object.entries(snap.content.attributes).map(([name, value]) => (
            <>
              <dt>{name}</dt>
              <dd>{value}</dd>
            </>
          ))}
        </dl>
        <p>{snap.content.description}</p>
        <div class="table-scroll">
          <Table id="snapshot-skus" headings={['SKU', v.t('orders.attributes'), { num: v.t('orders.price') }]}>
            {snap.content.skus.map((sku) => (
              <tr data-sku={sku.skuId}>
                <td>{sku.skuCode}</td>
                <td>{Object.entries(sku.salesAttributes).map(([name, value]) => `${name}: ${value}`).join(', ')}</td>
                <td class="num">
                  <Money m={sku.price} />
                </td>
              </tr>
            ))}
          </Table>
        </div>
      </section>,
    );
  });

  app.post('/orders/:id/shipments', async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    const answer = await c.get('api').call('POST', `/api/v1/admin/orders/${encodeURIComponent(id)}/shipments`, {
      body: { carrier: field(form, 'carrier'), trackingNumber: field(form, 'trackingNumber') },
      headers: { 'Idempotency-Key': field(form, 'idempotencyKey') || crypto.randomUUID() },
    });
    if (!answer.ok) return detail(c, { error: answer });
    return redirectWith(c, `/admin/orders/${encodeURIComponent(id)}`, 'ok', 'orders.shipped');
  });

  app.post('/orders/:id/shipments/:shipmentId', async (c) => {
    const { id, shipmentId } = c.req.param();
    const form = await c.req.parseBody();
    const mine = field(form, 'trackingNumber');
    const path = `/api/v1/admin/orders/${encodeURIComponent(id)}/shipments/${encodeURIComponent(shipmentId)}`;
    const api = c.get('api');
    const answer = await api.call('PATCH', path, { body: { trackingNumber: mine }, headers: { 'If-Match': `"${field(form, 'version')}"` } });
    if (answer.status === 412) {
      // Never overwrite silently: show what the shipment says now, and let the person choose.
      const now = await api.get(path);
      if (now.ok) return detail(c, { conflict: { shipmentId, mine, current: now.body.trackingNumber, version: now.body.version } });
    }
    if (!answer.ok) return detail(c, { error: answer });
    return redirectWith(c, `/admin/orders/${encodeURIComponent(id)}`, 'ok', 'orders.trackingChanged');
  });

  app.post('/orders/:id/cancel', async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    const answer = await c.get('api').call('POST', `/api/v1/orders/${encodeURIComponent(id)}/cancel`, { headers: { 'If-Match': `"${field(form, 'version')}"` } });
    if (!answer.ok) return detail(c, { error: answer });
    return redirectWith(c, `/admin/orders/${encodeURIComponent(id)}`, 'ok', 'orders.cancelled');
  });
}

export function OrderTable({ v, orders }: { v: View; orders: OrderView[] }) {
  if (orders.length === 0) return <Empty v={v} />;
  return (
    <div class="table-scroll">
      <Table id="orders" headings={[v.t('common.id'), v.t('common.createdAt'), v.admin ? v.t('orders.customer') : null, v.admin ? v.t('orders.merchant') : null, v.t('common.status'), v.t('orders.payment'), v.t('orders.fulfillment'), v.t('orders.refund'), { num: v.t('common.total') }]}>
        {orders.map((o) => (
          <tr data-order={o.id}>
            <td>
              <a href={`/admin/orders/${encodeURIComponent(o.id)}`}>{o.id}</a>
            </td>
            <td>
              <When at={o.createdAt} />
            </td>
            {v.admin ? <td>{o.userId}</td> : null}
            {v.admin ? <td>{o.merchantId}</td> : null}
            <td>
              <Status v={v} value={o.status} />
            </td>
            <td>
              <Status v={v} value={o.paymentStatus} />
            </td>
            <td>
              <Status v={v} value={o.fulfillmentStatus} />
            </td>
            <td>
              <Status v={v} value={o.refundStatus} />
            </td>
            <td class="num">
              <Money m={o.total} />
            </td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

function OrderDetail({ v, order, versions, conflict, error }: { v: View; order: OrderView; versions: Map<string, number>; conflict?: TrackingConflict; error?: ApiAnswer }) {
  const base = `/admin/orders/${encodeURIComponent(order.id)}`;
  return (
    <>
      <p>
        <a href="/admin/orders">← {v.t('orders.title')}</a>
      </p>
      {error ? <ProblemBox v={v} problem={error.body} /> : null}
      <div class="cols">
        <section>
          <dl class="facts">
            <dt>{v.t('common.status')}</dt>
            <dd>
              <Status v={v} value={order.status} />
            </dd>
            <dt>{v.t('orders.payment')}</dt>
            <dd>
              <Status v={v} value={order.paymentStatus} />
            </dd>
            <dt>{v.t('orders.fulfillment')}</dt>
            <dd>
              <Status v={v} value={order.fulfillmentStatus} />
            </dd>
            <dt>{v.t('orders.refund')}</dt>
            <dd>
              <Status v={v} value={order.refundStatus} />
            </dd>
            <dt>{v.t('orders.customer')}</dt>
            <dd>{order.userId}</dd>
            <dt>{v.t('orders.merchant')}</dt>
            <dd>{order.merchantId}</dd>
            <dt>{v.t('common.createdAt')}</dt>
            <dd>
              <When at={order.createdAt} />
            </dd>
            <dt>{v.t('common.version')}</dt>
            <dd>{order.version}</dd>
          </dl>
        </section>
        <section>
          <h2>{v.t('orders.amounts')}</h2>
          <dl class="facts">
            <dt>{v.t('orders.subtotal')}</dt>
            <dd class="num">
              <Money m={order.subtotal} />
            </dd>
            <dt>{v.t('orders.discount')}</dt>
            <dd class="num">
              <Money m={order.discount} />
            </dd>
            <dt>{v.t('orders.shipping')}</dt>
            <dd class="num">
              <Money m={order.shipping} />
            </dd>
            <dt>{v.t('common.total')}</dt>
            <dd class="num" data-total>
              <Money m={order.total} />
            </dd>
          </dl>
          <h3>{v.t('orders.address')}</h3>
          <p>{Object.values(order.shippingAddress ?? {}).filter(Boolean).join(' ')}</p>
        </section>
      </div>
      <section>
        <h2>{v.t('orders.items')}</h2>
        <div class="table-scroll">
          <Table id="items" headings={[v.t('products.titleField'), v.t('products.skuCode'), v.t('products.salesAttributes'), { num: v.t('orders.qty') }, { num: v.t('orders.unitPrice') }, v.t('orders.snapshot')]}>
            {order.items.map((item) => (
              <tr data-item={item.id}>
                <td>{item.title}</td>
                <td>
                  <code>{item.skuCode}</code>
                </td>
                <td>
                  {Object.entries(item.salesAttributes)
                    .map(([k, value]) => `${k}: ${value}`)
                    .join(', ')}
                </td>
                <td class="num">{item.quantity}</td>
                <td class="num">
                  <Money m={item.unitPrice} />
                </td>
                <td>
                  <a href={`/admin/snapshots/${encodeURIComponent(item.snapshotId)}`} title={item.snapshotId}>
                    <code>{item.snapshotId.slice(0, 12)}…</code>
                  </a>
                </td>
              </tr>
            ))}
          </Table>
        </div>
      </section>
      <section id="shipments">
        <h2>{v.t('orders.shipments')}</h2>
        {order.shipments.length === 0 ? <Empty v={v} /> : null}
        {order.shipments.map((s) => (
          <div class="card" data-shipment={s.id}>
            <p>
              <Status v={v} value={s.status} /> {s.carrier} · {v.t('orders.tracking')}: <strong data-tracking>{s.trackingNumber}</strong>
            </p>
            {conflict && conflict.shipmentId === s.id ? (
              <div class="conflict" role="alert" data-conflict="tracking">
                <p>{v.t('orders.trackingConflict', { current: conflict.current, version: conflict.version, mine: conflict.mine })}</p>
                <a class="button secondary" href={base}>
                  {v.t('orders.keepCurrent', { current: conflict.current })}
                </a>{' '}
                <form method="post" action={`${base}/shipments/${encodeURIComponent(s.id)}`} class="inline">
                  <Csrf v={v} />
                  <input type="hidden" name="version" value={String(conflict.version)} />
                  <input type="hidden" name="trackingNumber" value={conflict.mine} />
                  <button type="submit" data-action="apply-mine">
                    {v.t('orders.applyMine', { mine: conflict.mine })}
                  </button>
                </form>
              </div>
            ) : null}
            {s.status === 'in_transit' && versions.has(s.id) ? (
              <form method="post" action={`${base}/shipments/${encodeURIComponent(s.id)}`} class="inline" data-form="tracking">
                <Csrf v={v} />
                <input type="hidden" name="version" value={String(versions.get(s.id))} />
                <label>
                  <span class="sr-only">{v.t('orders.tracking')}</span>
                  <input name="trackingNumber" value={s.trackingNumber} required maxlength={100} aria-label={v.t('orders.tracking')} />
                </label>
                <button type="submit">{v.t('orders.editTracking')}</button>
              </form>
            ) : null}
          </div>
        ))}
        {order.status === 'paid' ? (
          <form method="post" action={`${base}/shipments`} class="filters" data-form="ship">
            <Csrf v={v} />
            <input type="hidden" name="idempotencyKey" value={crypto.randomUUID()} />
            <label>
              {v.t('orders.carrier')}
              <input name="carrier" required maxlength={60} />
            </label>
            <label>
              {v.t('orders.tracking')}
              <input name="trackingNumber" required maxlength={100} />
            </label>
            <button type="submit">{v.t('orders.ship')}</button>
          </form>
        ) : null}
      </section>
      {order.refunds.length > 0 ? (
        <section>
          <h2>{v.t('refunds.title')}</h2>
          <ul>
            {order.refunds.map((r) => (
              <li>
                <a href={`/admin/refunds/${encodeURIComponent(r.id)}`}>{r.id}</a> <Status v={v} value={r.status} /> <Money m={r.amount} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section>
        <h2>{v.t('orders.timeline')}</h2>
        <ol id="timeline">
          {order.timeline.map((entry) => (
            <li data-event={entry.type}>
              <When at={entry.at} /> <strong>{entry.type}</strong>
              {entry.actor ? (
                <span class="muted">
                  {' '}
                  · {v.t('orders.actor')}: {entry.actor.role} {entry.actor.id}
                </span>
              ) : null}
              {entry.reason ? <span class="muted"> · {entry.reason}</span> : null}
            </li>
          ))}
        </ol>
      </section>
      {order.status === 'pending_payment' ? (
        <form method="post" action={`${base}/cancel`}>
          <Csrf v={v} />
          <input type="hidden" name="version" value={String(order.version)} />
          <button type="submit" class="danger" data-confirm={v.t('orders.cancelConfirm')}>
            {v.t('orders.cancel')}
          </button>
        </form>
      ) : null}
      {error && error.status === 412 ? <Flash kind="info" text={v.t('products.infoConflict', { version: order.version })} /> : null}
    </>
  );
}
