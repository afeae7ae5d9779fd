import type { Hono } from 'hono';
import { SECURITY_HEADERS, page, type ConsoleContext, type ConsoleEnv } from '../context.js';
import { Lazy, money, ProblemBox, type View } from '../ui.js';
import type { Api, ApiAnswer, Problem } from '../api.js';

interface OrderLite {
  id: string;
  status: string;
  paymentStatus: string;
  total: { amount: number; currency: string };
  createdAt: string;
}

/** At most this many of today's orders are read to count them (pages of 100). */
const TODAY_SCAN = 1_000;

const ordersPath = (v: View) => (v.admin ? '/api/v1/orders' : '/api/v1/merchant/orders');

/** How many items a filter matches, counted up to one page of 100 ("100+" past it). */
async function countUpTo(api: Api, path: string): Promise<{ text: string; error?: ApiAnswer }> {
  const answer = await api.get(path);
  if (!answer.ok) return { text: '—', error: answer };
  const items = (answer.body.items as unknown[]).length;
  return { text: answer.body.nextCursor ? `${items}+` : String(items) };
}

const Kpi = ({ label, value, href, name }: { label: string; value: string; href?: string; name: string }) => (
  <div class="kpi" data-kpi={name}>
    {href ? (
      <a href={href}>
        <span class="label">{label}</span>
        <span class="value">{value}</span>
      </a>
    ) : (
      <>
        <span class="label">{label}</span>
        <span class="value">{value}</span>
      </>
    )}
  </div>
);

export function dashboardPages(app: Hono<ConsoleEnv>) {
  app.get('/', (c) => {
    const v = c.get('view');
    return page(
      c,
      v.t('dash.title'),
      <>
        <div class="grid">
          <Lazy v={v} src="/admin/widgets/today" label={v.t('dash.todayOrders')} />
          <Lazy v={v} src="/admin/widgets/queues" label={v.t('dash.toShip')} />
        </div>
        {v.admin ? (
          <div class="grid">
            <Lazy v={v} src="/admin/widgets/projections" label={v.t('dash.projections')} />
            <Lazy v={v} src="/admin/widgets/reconciliation" label={v.t('dash.reconciliation')} />
          </div>
        ) : null}
      </>,
    );
  });

  const fragment = (c: ConsoleContext, body: Parameters<ConsoleContext['html']>[0]) => c.html(body, 200, SECURITY_HEADERS);
  const fragmentError = (c: ConsoleContext, answer: ApiAnswer) => c.html(<ProblemBox v={c.get('view')} problem={answer.body as Problem} />, 200, SECURITY_HEADERS);

  app.get('/widgets/today', async (c) => {
    const v = c.get('view');
    const api = c.get('api');
    const start = new Date();
    start.setUTCHours(0, 0, 0, 0);
    const since = start.toISOString();
    let count = 0;
    const gmv = new Map<string, number>();
    let cursor: string | null = null;
    let scanned = 0;
    let capped = false;
    do {
      const answer: ApiAnswer = await api.get(`${ordersPath(v)}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (!answer.ok) return fragmentError(c, answer);
      const items = answer.body.items as OrderLite[];
      let older = false;
      for (const order of items) {
        scanned++;
        if (order.createdAt < since) {
          older = true;
          break;
        }
        count++;
        if (order.paymentStatus !== 'unpaid') gmv.set(order.total.currency, (gmv.get(order.total.currency) ?? 0) + order.total.amount);
      }
      cursor = older ? null : (answer.body.nextCursor as string | null);
      if (scanned >= TODAY_SCAN && cursor) {
        capped = true;
        cursor = null;
      }
    } while (cursor);
    const gmvText = gmv.size === 0 ? money({ amount: 0, currency: 'CNY' }) : [...gmv].map(([currency, amount]) => money({ amount, currency })).join(' + ');
    return fragment(
      c,
      <>
        <Kpi name="today-orders" label={v.t('dash.todayOrders')} value={`${count}${capped ? '+' : ''}`} href="/admin/orders" />
        <Kpi name="today-gmv" label={v.t('dash.todayGmv')} value={`${gmvText}${capped ? '+' : ''}`} />
      </>,
    );
  });

  app.get('/widgets/queues', async (c) => {
    const v = c.get('view');
    const api = c.get('api');
    const [awaiting, toShip, refunds, products] = await Promise.all([
      countUpTo(api, `${ordersPath(v)}?status=pending_payment&limit=100`),
      countUpTo(api, `${ordersPath(v)}?status=paid&limit=100`),
      countUpTo(api, '/api/v1/admin/refunds?status=requested&limit=100'),
      api.get('/api/v1/admin/products?status=listed&limit=100'),
    ]);
    const failed = [awaiting, toShip, refunds].find((x) => x.error)?.error ?? (products.ok ? undefined : products);
    if (failed) return fragmentError(c, failed);
    const low = (products.body.items as Array<{ skus: Array<{ available?: number }> }>).flatMap((p) => p.skus).filter((sku) => (sku.available ?? 0) < 10).length;
    return fragment(
      c,
      <>
        <Kpi name="awaiting-payment" label={v.t('dash.awaitingPayment')} value={awaiting.text} href="/admin/orders?status=pending_payment" />
        <Kpi name="to-ship" label={v.t('dash.toShip')} value={toShip.text} href="/admin/orders?status=paid" />
        <Kpi name="refunds-waiting" label={v.t('dash.refundsWaiting')} value={refunds.text} href="/admin/refunds?status=requested" />
        <Kpi name="low-stock" label={v.t('dash.lowStock')} value={`${low}${products.body.nextCursor ? '+' : ''}`} href="/admin/products?status=listed" />
      </>,
    );
  });

  app.get('/widgets/projections', async (c) => {
    const v = c.get('view');
    if (!v.admin) return c.body(null, 204);
    const ready = await c.get('api').get('/readyz');
    const projections = (ready.body?.projections ?? []) as Array<{ name: string; lag: number }>;
    const worst = projections.reduce((max, p) => Math.max(max, p.lag), 0);
    return fragment(c, <Kpi name="projection-lag" label={`${v.t('dash.projections')}: ${v.t('dash.maxLag')}`} value={String(worst)} href="/admin/operations" />);
  });

  app.get('/widgets/reconciliation', async (c) => {
    const v = c.get('view');
    if (!v.admin) return c.body(null, 204);
    const today = new Date().toISOString().slice(0, 10);
    const report = await c.get('api').get(`/api/v1/admin/finance/reconciliation?from=${today}&to=${today}`);
    if (!report.ok) return fragmentError(c, report);
    return fragment(c, <Kpi name="reconciliation" label={v.t('dash.reconciliation')} value={report.body.ok ? v.t('dash.reconciled') : v.t('dash.notReconciled')} href="/admin/finance" />);
  });
}
