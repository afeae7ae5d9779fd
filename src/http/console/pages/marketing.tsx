import type { Hono } from 'hono';
import { qs, type ApiAnswer } from '../api.js';
import { adminOnly, field, page, parseYuan, redirectWith, type ConsoleContext, type ConsoleEnv, type PageStatus } from '../context.js';
import { Csrf, Empty, ListRegion, Money, Pager, ProblemBox, Select, Status, Table, When, type View } from '../ui.js';

type M = { amount: number; currency: string };
interface Promotion {
  code: string;
  kind: 'percent' | 'fixed';
  value: number;
  minSpend: M | null;
  startsAt: string | null;
  endsAt: string | null;
  budget: M | null;
  usageLimit: number | null;
  perUserLimit: number | null;
  status: string;
  used: number;
  spent: M;
}
interface Voucher {
  code: string;
  amount: M;
  maxUses: number;
  perUserLimit: number;
  startsAt: string | null;
  endsAt: string | null;
  status: string;
  used: number;
  remainingUses: number;
}
interface FlashSale {
  id: string;
  skuId: string;
  quantity: number;
  price: M | null;
  startsAt: string;
  endsAt: string | null;
  status: string;
  admitted: number;
  remaining: number;
  held: number;
  version: number;
}

/** A datetime-local value (China time, the console's business clock) as ISO-8601; undefined when empty or not a time. */
export function localTime(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return undefined;
  const at = new Date(`${value}:00+08:00`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}
const cny = (amount: number): M => ({ amount, currency: 'CNY' });
const int = (text: string): number | undefined => (/^\d{1,9}$/.test(text) ? Number(text) : undefined);
/** The form's value as the API reads it: a number the API validates, or the text itself so the API's 400 names the field. */
const yuanOrText = (text: string) => (text ? (parseYuan(text) !== null ? cny(parseYuan(text)!) : text) : undefined);

const Tabs = ({ v }: { v: View }) => (
  <nav class="tabs" aria-label={v.t('mkt.tabs')}>
    {(
      [
        ['/admin/promotions', 'nav.promotions'],
        ['/admin/vouchers', 'nav.vouchers'],
        ['/admin/flash-sales', 'nav.flashSales'],
      ] as const
    ).map(([href, key]) => (
      <a href={href} aria-current={v.path === href ? 'page' : undefined}>
        {v.t(key)}
      </a>
    ))}
  </nav>
);

const Window = ({ from, to }: { from: string | null; to: string | null }) => (
  <>
    <When at={from} /> → <When at={to} />
  </>
);

const WindowFields = ({ v }: { v: View }) => (
  <>
    <label>
      {v.t('mkt.startsAt')}
      <input type="datetime-local" name="startsAt" />
    </label>
    <label>
      {v.t('mkt.endsAt')}
      <input type="datetime-local" name="endsAt" />
    </label>
  </>
);

const EndButton = ({ v, action, label }: { v: View; action: string; label: string }) => (
  <form method="post" action={action} class="inline">
    <Csrf v={v} />
    <button type="submit" class="danger" aria-label={label}>
      {v.t('mkt.end')}
    </button>
  </form>
);

/** Promotions, vouchers and flash sales (admin): lists from GET /api/v1/admin/{promotions,vouchers,flash-sales}, create, end. */
export function marketingPages(app: Hono<ConsoleEnv>) {
  const list = async (c: ConsoleContext, kind: 'promotions' | 'vouchers' | 'flash-sales', error?: ApiAnswer) => {
    const v = c.get('view');
    const cursor = c.req.query('cursor') || undefined;
    const answer = await c.get('api').get(`/api/v1/admin/${kind}${qs({ limit: 20, cursor })}`);
    const title = v.t(kind === 'promotions' ? 'nav.promotions' : kind === 'vouchers' ? 'nav.vouchers' : 'nav.flashSales');
    const table =
      kind === 'promotions' ? <PromotionTable v={v} items={answer.body?.items ?? []} /> : kind === 'vouchers' ? <VoucherTable v={v} items={answer.body?.items ?? []} /> : <FlashSaleTable v={v} items={answer.body?.items ?? []} />;
    return page(
      c,
      title,
      <>
        <Tabs v={v} />
        {error ? <ProblemBox v={v} problem={error.body} /> : null}
        <ListRegion v={v}>
          {answer.ok ? table : <ProblemBox v={v} problem={answer.body} retry={c.req.url} />}
          {answer.ok ? <Pager v={v} base={`/admin/${kind}`} params={{ cursor }} nextCursor={answer.body.nextCursor} /> : null}
        </ListRegion>
        <section>
          <h2>{v.t('common.create')}</h2>
          {kind === 'promotions' ? <PromotionForm v={v} /> : kind === 'vouchers' ? <VoucherForm v={v} /> : <FlashSaleForm v={v} />}
        </section>
      </>,
      error ? (error.status as PageStatus) : answer.ok ? 200 : (answer.status as PageStatus),
    );
  };

  for (const kind of ['promotions', 'vouchers', 'flash-sales'] as const) {
    app.get(`/${kind}`, (c) => adminOnly(c) ?? list(c, kind));
  }

  app.post('/promotions', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const form = await c.req.parseBody();
    const kind = field(form, 'kind') === 'fixed' ? 'fixed' : 'percent';
    const valueText = field(form, 'value');
    const body = {
      code: field(form, 'code'),
      kind,
      value: kind === 'fixed' ? (parseYuan(valueText) ?? valueText) : (int(valueText) ?? valueText),
      minSpend: yuanOrText(field(form, 'minSpend')),
      budget: yuanOrText(field(form, 'budget')),
      usageLimit: int(field(form, 'usageLimit')) ?? (field(form, 'usageLimit') || undefined),
      perUserLimit: int(field(form, 'perUserLimit')) ?? (field(form, 'perUserLimit') || undefined),
      startsAt: localTime(field(form, 'startsAt')),
      endsAt: localTime(field(form, 'endsAt')),
    };
    const answer = await c.get('api').call('POST', '/api/v1/admin/promotions', { body });
    if (!answer.ok) return list(c, 'promotions', answer);
    return redirectWith(c, '/admin/promotions', 'ok', 'mkt.created', { code: answer.body.code });
  });

  app.post('/vouchers', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const form = await c.req.parseBody();
    const body = {
      code: field(form, 'code'),
      amount: yuanOrText(field(form, 'amount')) ?? '',
      maxUses: int(field(form, 'maxUses')) ?? (field(form, 'maxUses') || undefined),
      perUserLimit: int(field(form, 'perUserLimit')) ?? (field(form, 'perUserLimit') || undefined),
      startsAt: localTime(field(form, 'startsAt')),
      endsAt: localTime(field(form, 'endsAt')),
    };
    const answer = await c.get('api').call('POST', '/api/v1/admin/vouchers', { body });
    if (!answer.ok) return list(c, 'vouchers', answer);
    return redirectWith(c, '/admin/vouchers', 'ok', 'mkt.created', { code: answer.body.code });
  });

  app.post('/flash-sales', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const form = await c.req.parseBody();
    const body = {
      skuId: field(form, 'skuId'),
      quantity: int(field(form, 'quantity')) ?? field(form, 'quantity'),
      price: yuanOrText(field(form, 'price')),
      startsAt: localTime(field(form, 'startsAt')),
      endsAt: localTime(field(form, 'endsAt')),
    };
    const answer = await c.get('api').call('POST', '/api/v1/admin/flash-sales', { body });
    if (!answer.ok) return list(c, 'flash-sales', answer);
    return redirectWith(c, '/admin/flash-sales', 'ok', 'mkt.created', { code: answer.body.id });
  });

  for (const kind of ['promotions', 'vouchers', 'flash-sales'] as const) {
    app.post(`/${kind}/:key/end`, async (c) => {
      const refused = adminOnly(c);
      if (refused) return refused;
      const key = c.req.param('key');
      const answer = await c.get('api').call('POST', `/api/v1/admin/${kind}/${encodeURIComponent(key)}/end`);
      if (!answer.ok) return list(c, kind, answer);
      return redirectWith(c, `/admin/${kind}`, 'ok', 'mkt.ended', { code: key });
    });
  }

  // A running sale's counters, polled by htmx every 2 s while the page is open.
  app.get('/flash-sales/:id/counters', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const v = c.get('view');
    const answer = await c.get('api').get(`/api/v1/admin/flash-sales/${encodeURIComponent(c.req.param('id'))}`);
    if (!answer.ok) return c.html(<span class="bad">{v.t('common.error')}</span>, 200);
    return c.html(<Counters v={v} sale={answer.body as FlashSale} />);
  });
}

function PromotionTable({ v, items }: { v: View; items: Promotion[] }) {
  if (items.length === 0) return <Empty v={v} text={v.t('mkt.noPromotions')} />;
  return (
    <div class="table-scroll">
      <Table id="promotions" headings={[v.t('mkt.code'), v.t('mkt.discount'), v.t('mkt.window'), v.t('common.status'), { num: v.t('mkt.used') }, { num: v.t('mkt.spent') }, v.t('common.actions')]}>
        {items.map((p) => (
          <tr data-promotion={p.code}>
            <td>
              <code>{p.code}</code>
            </td>
            <td>
              {p.kind === 'percent' ? `${p.value}%` : <Money m={cny(p.value)} />}
              {p.minSpend ? (
                <span class="muted">
                  {' '}
                  ≥ <Money m={p.minSpend} />
                </span>
              ) : null}
            </td>
            <td>
              <Window from={p.startsAt} to={p.endsAt} />
            </td>
            <td>
              <Status v={v} value={p.status} />
            </td>
            <td class="num">
              {p.used}
              {p.usageLimit !== null ? ` / ${p.usageLimit}` : ''}
            </td>
            <td class="num">
              <Money m={p.spent} />
              {p.budget ? (
                <>
                  {' / '}
                  <Money m={p.budget} />
                </>
              ) : null}
            </td>
            <td>{p.status !== 'ended' ? <EndButton v={v} action={`/admin/promotions/${encodeURIComponent(p.code)}/end`} label={`${v.t('mkt.end')} ${p.code}`} /> : null}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

function VoucherTable({ v, items }: { v: View; items: Voucher[] }) {
  if (items.length === 0) return <Empty v={v} text={v.t('mkt.noVouchers')} />;
  return (
    <div class="table-scroll">
      <Table id="vouchers" headings={[v.t('mkt.code'), { num: v.t('mkt.amount') }, v.t('mkt.window'), v.t('common.status'), { num: v.t('mkt.used') }, v.t('common.actions')]}>
        {items.map((item) => (
          <tr data-voucher={item.code}>
            <td>
              <code>{item.code}</code>
            </td>
            <td class="num">
              <Money m={item.amount} />
            </td>
            <td>
              <Window from={item.startsAt} to={item.endsAt} />
            </td>
            <td>
              <Status v={v} value={item.status} />
            </td>
            <td class="num">
              {item.used} / {item.maxUses}
            </td>
            <td>{item.status !== 'ended' ? <EndButton v={v} action={`/admin/vouchers/${encodeURIComponent(item.code)}/end`} label={`${v.t('mkt.end')} ${item.code}`} /> : null}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

const Counters = ({ v, sale }: { v: View; sale: FlashSale }) => (
  <span data-counters={sale.id} data-sold={sale.admitted} data-left={sale.remaining}>
    {v.t('mkt.sold')} <strong>{sale.admitted}</strong> · {v.t('mkt.left')} <strong>{sale.remaining}</strong> / {sale.quantity}
  </span>
);

function FlashSaleTable({ v, items }: { v: View; items: FlashSale[] }) {
  if (items.length === 0) return <Empty v={v} text={v.t('mkt.noFlashSales')} />;
  return (
    <div class="table-scroll">
      <Table id="flash-sales" headings={[v.t('common.id'), 'SKU', { num: v.t('orders.price') }, v.t('mkt.window'), v.t('common.status'), v.t('mkt.counters'), v.t('common.actions')]}>
        {items.map((sale) => (
          <tr data-flash-sale={sale.id}>
            <td>
              <code>{sale.id}</code>
            </td>
            <td>
              <code>{sale.skuId}</code>
            </td>
            <td class="num">
              <Money m={sale.price} />
            </td>
            <td>
              <Window from={sale.startsAt} to={sale.endsAt} />
            </td>
            <td>
              <Status v={v} value={sale.status} />
            </td>
            <td aria-live="polite">
              {sale.status === 'ended' ? (
                <Counters v={v} sale={sale} />
              ) : (
                <span hx-get={`/admin/flash-sales/${encodeURIComponent(sale.id)}/counters`} hx-trigger="every 2s" hx-swap="innerHTML">
                  <Counters v={v} sale={sale} />
                </span>
              )}
            </td>
            <td>{sale.status !== 'ended' ? <EndButton v={v} action={`/admin/flash-sales/${encodeURIComponent(sale.id)}/end`} label={`${v.t('mkt.end')} ${sale.id}`} /> : null}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

/** A labelled input of a create form. */
const Field = ({ label, ...input }: { label: string; name: string; required?: boolean; maxlength?: number; pattern?: string; inputmode?: 'decimal' | 'numeric' }) => (
  <label>
    {label}
    <input {...input} />
  </label>
);

const PromotionForm = ({ v }: { v: View }) => (
  <form method="post" action="/admin/promotions" class="stack" data-form="promotion">
    <Csrf v={v} />
    <Field label={v.t('mkt.code')} name="code" required maxlength={40} pattern="[A-Za-z0-9_\-]{1,40}" />
    <Select name="kind" label={v.t('mkt.kind')} value="percent" options={[['percent', v.t('mkt.percent')], ['fixed', v.t('mkt.fixed')]]} />
    <Field label={v.t('mkt.value')} name="value" required inputmode="decimal" />
    <Field label={v.t('mkt.minSpend')} name="minSpend" inputmode="decimal" />
    <Field label={v.t('mkt.budget')} name="budget" inputmode="decimal" />
    <Field label={v.t('mkt.usageLimit')} name="usageLimit" inputmode="numeric" />
    <Field label={v.t('mkt.perUserLimit')} name="perUserLimit" inputmode="numeric" />
    <WindowFields v={v} />
    <button type="submit">{v.t('common.create')}</button>
  </form>
);

const VoucherForm = ({ v }: { v: View }) => (
  <form method="post" action="/admin/vouchers" class="stack" data-form="voucher">
    <Csrf v={v} />
    <Field label={v.t('mkt.code')} name="code" required maxlength={40} pattern="[A-Za-z0-9_\-]{1,40}" />
    <Field label={v.t('mkt.amount')} name="amount" required inputmode="decimal" />
    <Field label={v.t('mkt.maxUses')} name="maxUses" inputmode="numeric" />
    <Field label={v.t('mkt.perUserLimit')} name="perUserLimit" inputmode="numeric" />
    <WindowFields v={v} />
    <button type="submit">{v.t('common.create')}</button>
  </form>
);

const FlashSaleForm = ({ v }: { v: View }) => (
  <form method="post" action="/admin/flash-sales" class="stack" data-form="flash-sale">
    <Csrf v={v} />
    <Field label="SKU ID" name="skuId" required maxlength={100} />
    <Field label={v.t('mkt.quantity')} name="quantity" required inputmode="numeric" />
    <Field label={v.t('mkt.salePrice')} name="price" inputmode="decimal" />
    <WindowFields v={v} />
    <button type="submit">{v.t('common.create')}</button>
  </form>
);
