import type { Hono } from 'hono';
import { qs, type ApiAnswer } from '../api.js';
import { failure, field, page, parseYuan, redirectWith, yuan, type ConsoleContext, type ConsoleEnv, type PageStatus } from '../context.js';
import { statusLabel } from '../i18n.js';
import { Csrf, Empty, ListRegion, Pager, ProblemBox, Select, Status, Table, type View } from '../ui.js';
import { all, CategoryOptions, type Brand, type Category } from './catalog.js';

type M = { amount: number; currency: string };
interface Sku {
  id: string;
  skuCode: string;
  salesAttributes: Record<string, string>;
  price: M;
  onHand: number;
  reserved: number;
  available: number;
  stockVersion: number;
}
export interface Product {
  id: string;
  merchantId: string;
  spuId: string;
  status: string;
  title: string;
  description: string;
  images: string[];
  category: { id: string; name: string };
  brand: { id: string; name: string };
  keyAttributes: Record<string, string>;
  attributes: Record<string, string>;
  skus: Sku[];
  version: number;
  updatedAt: string;
}

/** A price or stock edit that lost a race: the value now, and the person's own. */
interface SkuConflict {
  skuId: string;
  what: 'price' | 'stock';
  mine: string;
  current: string;
  version: number;
}

const PRODUCT_STATUSES = ['draft', 'listed', 'delisted'];
const SKU_ROWS = 4;

export function productPages(app: Hono<ConsoleEnv>) {
  app.get('/products', async (c) => {
    const v = c.get('view');
    const api = c.get('api');
    const params: Record<string, string | undefined> = {
      q: c.req.query('q')?.trim() || undefined,
      status: c.req.query('status') || undefined,
      categoryId: c.req.query('categoryId') || undefined,
      brandId: c.req.query('brandId') || undefined,
      merchantId: v.admin ? c.req.query('merchantId') || undefined : undefined,
    };
    const cursor = c.req.query('cursor') || undefined;
    const [answer, categories, brands] = await Promise.all([
      api.get(`/api/v1/admin/products${qs({ ...params, limit: 20, cursor })}`),
      all<Category>(api, '/api/v1/admin/categories', 500),
      all<Brand>(api, '/api/v1/admin/brands', 500),
    ]);
    return page(
      c,
      v.t('products.title'),
      <>
        <p>
          <a class="button" href="/admin/products/new">
            {v.t('products.new')}
          </a>
        </p>
        <form class="filters" method="get" action="/admin/products" hx-get="/admin/products" hx-target="#list" hx-select="#list" hx-swap="outerHTML" hx-push-url="true" hx-indicator="#list-loading">
          <label>
            {v.t('products.keyword')}
            <input type="search" name="q" value={params.q ?? ''} maxlength={100} size={18} />
          </label>
          <Select name="status" label={v.t('common.status')} value={params.status} options={PRODUCT_STATUSES.map((s) => [s, statusLabel(v.lang, s)])} all={v.t('common.all')} />
          <label>
            {v.t('products.category')}
            <select name="categoryId">
              <CategoryOptions categories={categories.items} selected={params.categoryId} root={v.t('common.all')} />
            </select>
          </label>
          <Select name="brandId" label={v.t('products.brand')} value={params.brandId} options={brands.items.map((b) => [b.id, b.name])} all={v.t('common.all')} />
          {v.admin ? (
            <label>
              {v.t('products.merchant')}
              <input name="merchantId" value={params.merchantId ?? ''} size={16} />
            </label>
          ) : null}
          <button type="submit">{v.t('common.filter')}</button>
          <a href="/admin/products">{v.t('common.reset')}</a>
        </form>
        <ListRegion v={v}>
          {answer.ok ? <ProductTable v={v} products={answer.body.items} /> : <ProblemBox v={v} problem={answer.body} retry={c.req.url} />}
          {answer.ok ? <Pager v={v} base="/admin/products" params={{ ...params, cursor }} nextCursor={answer.body.nextCursor} /> : null}
        </ListRegion>
      </>,
      answer.ok ? 200 : (answer.status as PageStatus),
    );
  });

  // ---- the editor of a new product: SKU first (category, brand, attributes) or SPU first ----
  const newProduct = async (c: ConsoleContext, form: Record<string, string> = {}, error?: ApiAnswer) => {
    const v = c.get('view');
    const api = c.get('api');
    const mode = (form.mode ?? c.req.query('mode')) === 'spu' ? 'spu' : 'sku';
    let categoryId = form.categoryId ?? c.req.query('categoryId') ?? '';
    const spuId = form.spuId ?? c.req.query('spuId') ?? '';
    const [categories, brands] = await Promise.all([all<Category>(api, '/api/v1/admin/categories'), all<Brand>(api, '/api/v1/admin/brands')]);
    let spuError: ApiAnswer | undefined;
    if (mode === 'spu' && spuId) {
      const spu = await api.get(`/api/v1/admin/spus/${encodeURIComponent(spuId)}`);
      if (spu.ok) categoryId = spu.body.categoryId;
      else spuError = spu;
    }
    const category = categories.items.find((x) => x.id === categoryId);
    const keyAttrs = category?.attributes.filter((a) => a.kind === 'key') ?? [];
    const generalAttrs = category?.attributes.filter((a) => a.kind === 'general') ?? [];
    const salesAttrs = category?.attributes.filter((a) => a.kind === 'sales') ?? [];
    const AttrInput = ({ a, name }: { a: Category['attributes'][number]; name: string }) =>
      a.values ? (
        <select name={name} aria-label={a.name}>
          <option value=""></option>
          {a.values.map((value) => (
            <option value={value} selected={form[name] === value}>
              {value}
            </option>
          ))}
        </select>
      ) : (
        <input name={name} value={form[name] ?? ''} aria-label={a.name} />
      );
    return page(
      c,
      v.t('products.new'),
      <>
        {error ? <ProblemBox v={v} problem={error.body} /> : null}
        {spuError ? <ProblemBox v={v} problem={spuError.body} /> : null}
        <section>
          <form method="get" action="/admin/products/new" class="filters" data-form="pick">
            <Select name="mode" label={v.t('products.mode')} value={mode} options={[['sku', v.t('products.skuFirst')], ['spu', v.t('products.spuFirst')]]} />
            {mode === 'spu' ? (
              <label>
                {v.t('products.spuId')}
                <input name="spuId" value={spuId} required />
              </label>
            ) : (
              <label>
                {v.t('products.category')}
                <select name="categoryId" required>
                  <CategoryOptions categories={categories.items} selected={categoryId} root="—" />
                </select>
              </label>
            )}
            <button type="submit" class="secondary">
              {v.t('common.next')}
            </button>
          </form>
        </section>
        {category ? (
          <form method="post" action="/admin/products/new" class="stack card" data-form="product">
            <Csrf v={v} />
            <input type="hidden" name="mode" value={mode} />
            <input type="hidden" name="categoryId" value={category.id} />
            {mode === 'spu' ? <input type="hidden" name="spuId" value={spuId} /> : null}
            <p class="muted">
              {v.t('products.category')}: {[...category.path.map((p) => p.name), category.name].join(' › ')}
            </p>
            {mode === 'sku' ? (
              <>
                <label>
                  {v.t('products.titleField')}
                  <input name="title" required maxlength={200} value={form.title ?? ''} />
                </label>
                <label>
                  {v.t('products.brand')}
                  <select name="brandId" required>
                    {brands.items.map((b) => (
                      <option value={b.id} selected={form.brandId === b.id}>
                        {b.name}
                      </option>
                    ))}
                  </select>
                </label>
                {keyAttrs.map((a) => (
                  <label>
                    {a.name} (key)
                    <AttrInput a={a} name={`attr.${a.name}`} />
                  </label>
                ))}
              </>
            ) : null}
            {generalAttrs.map((a) => (
              <label>
                {a.name}
                <AttrInput a={a} name={`attr.${a.name}`} />
              </label>
            ))}
            <label>
              {v.t('products.description')}
              <textarea name="description" rows={3}>
                {form.description ?? ''}
              </textarea>
            </label>
            <fieldset>
              <legend>{v.t('products.addSkuRows')}</legend>
              <div class="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{v.t('products.skuCode')}</th>
                      {salesAttrs.map((a) => (
                        <th scope="col">{a.name}</th>
                      ))}
                      <th scope="col">{v.t('products.price')} (¥)</th>
                      <th scope="col">{v.t('products.stock')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Array.from({ length: SKU_ROWS }, (_, i) => (
                      <tr data-sku-row={i}>
                        <td>
                          <input name={`sku.${i}.code`} value={form[`sku.${i}.code`] ?? ''} aria-label={`${v.t('products.skuCode')} ${i + 1}`} size={14} />
                        </td>
                        {salesAttrs.map((a) => (
                          <td>
                            <AttrInput a={a} name={`sku.${i}.sa.${a.name}`} />
                          </td>
                        ))}
                        <td>
                          <input name={`sku.${i}.price`} value={form[`sku.${i}.price`] ?? ''} inputmode="decimal" aria-label={`${v.t('products.price')} ${i + 1}`} size={8} />
                        </td>
                        <td>
                          <input name={`sku.${i}.stock`} value={form[`sku.${i}.stock`] ?? ''} inputmode="numeric" aria-label={`${v.t('products.stock')} ${i + 1}`} size={6} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </fieldset>
            <Select name="status" label={v.t('common.status')} value={form.status ?? 'draft'} options={[['draft', statusLabel(v.lang, 'draft')], ['listed', statusLabel(v.lang, 'listed')]]} />
            <p>
              <button type="submit">{v.t('common.create')}</button>
            </p>
          </form>
        ) : (
          <Empty v={v} text={mode === 'spu' ? v.t('products.spuId') : v.t('products.category')} />
        )}
      </>,
      error ? (error.status as PageStatus) : 200,
    );
  };

  app.get('/products/new', (c) => newProduct(c));

  app.post('/products/new', async (c) => {
    const v = c.get('view');
    const raw = await c.req.parseBody();
    const form: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') form[key] = value.trim();
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(form)) if (key.startsWith('attr.') && value) attributes[key.slice(5)] = value;
    const skus = [];
    const problems: Array<{ path: string; message: string }> = [];
    for (let i = 0; i < SKU_ROWS; i++) {
      const code = form[`sku.${i}.code`];
      if (!code) continue;
      const price = parseYuan(form[`sku.${i}.price`] ?? '');
      const stock = Number(form[`sku.${i}.stock`] || '0');
      if (price === null) problems.push({ path: `SKU ${i + 1} ${v.t('products.price')}`, message: '12.34' });
      if (!Number.isInteger(stock) || stock < 0) problems.push({ path: `SKU ${i + 1} ${v.t('products.stock')}`, message: '≥ 0' });
      const salesAttributes: Record<string, string> = {};
      for (const [key, value] of Object.entries(form)) if (key.startsWith(`sku.${i}.sa.`) && value) salesAttributes[key.slice(`sku.${i}.sa.`.length)] = value;
      skus.push({ skuCode: code, price: { amount: price ?? 0, currency: 'CNY' }, stock, ...(Object.keys(salesAttributes).length > 0 ? { salesAttributes } : {}) });
    }
    if (problems.length > 0) return newProduct(c, form, { status: 400, ok: false, headers: new Headers(), body: { status: 400, code: 'VALIDATION_FAILED', detail: v.t('common.error'), errors: problems } });
    const body =
      form.mode === 'spu'
        ? { spuId: form.spuId, ...(Object.keys(attributes).length > 0 ? { attributes } : {}), description: form.description ?? '', skus, status: form.status === 'listed' ? 'listed' : 'draft' }
        : { title: form.title, categoryId: form.categoryId, brandId: form.brandId, attributes, description: form.description ?? '', skus, status: form.status === 'listed' ? 'listed' : 'draft' };
    const answer = await c.get('api').call('POST', '/api/v1/admin/products', { body, headers: { 'Idempotency-Key': crypto.randomUUID() } });
    if (!answer.ok) return newProduct(c, form, answer);
    return redirectWith(c, `/admin/products/${encodeURIComponent(answer.body.id)}`, 'ok', 'products.created');
  });

  // ---- one product: information, SKUs with price and stock, list / delist ----
  const editor = async (c: ConsoleContext, options: { conflict?: SkuConflict; error?: ApiAnswer } = {}) => {
    const v = c.get('view');
    const id = c.req.param('id')!;
    const answer = await c.get('api').get(`/api/v1/admin/products/${encodeURIComponent(id)}`);
    if (!answer.ok) return failure(c, v.t('products.title'), answer, '/admin/products');
    const product = answer.body as Product;
    const status: PageStatus = options.conflict ? 412 : options.error ? (options.error.status as PageStatus) : 200;
    return page(c, product.title, <ProductEditor v={v} product={product} conflict={options.conflict} error={options.error} />, status);
  };

  app.get('/products/:id', (c) => editor(c));

  app.post('/products/:id', async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    const images = field(form, 'images')
      .split(/\s+/)
      .filter(Boolean);
    const answer = await c.get('api').call('PATCH', `/api/v1/admin/products/${encodeURIComponent(id)}`, {
      body: { title: field(form, 'title'), description: field(form, 'description'), images },
      headers: { 'If-Match': `"${field(form, 'version')}"` },
    });
    if (!answer.ok) return editor(c, { error: answer });
    return redirectWith(c, `/admin/products/${encodeURIComponent(id)}`, 'ok', 'common.done');
  });

  app.post('/products/:id/status', async (c) => {
    const id = c.req.param('id');
    const form = await c.req.parseBody();
    const answer = await c.get('api').call('POST', `/api/v1/admin/products/${encodeURIComponent(id)}/status`, {
      body: { status: field(form, 'status') },
      headers: { 'If-Match': `"${field(form, 'version')}"` },
    });
    if (!answer.ok) return editor(c, { error: answer });
    return redirectWith(c, `/admin/products/${encodeURIComponent(id)}`, 'ok', 'products.statusSaved');
  });

  app.post('/products/:id/skus/:skuId/price', async (c) => {
    const { id, skuId } = c.req.param();
    const v = c.get('view');
    const api = c.get('api');
    const form = await c.req.parseBody();
    const mine = field(form, 'price');
    const amount = parseYuan(mine);
    if (amount === null) return editor(c, { error: { status: 400, ok: false, headers: new Headers(), body: { status: 400, code: 'VALIDATION_FAILED', detail: `${v.t('products.price')}: 12.34` } } });
    const answer = await api.call('PUT', `/api/v1/admin/skus/${encodeURIComponent(skuId)}/price`, { body: { price: { amount, currency: 'CNY' } }, headers: { 'If-Match': `"${field(form, 'version')}"` } });
    if (answer.status === 412) {
      const now = await api.get(`/api/v1/admin/products/${encodeURIComponent(id)}`);
      const sku = now.ok ? (now.body as Product).skus.find((s) => s.id === skuId) : undefined;
      if (sku) return editor(c, { conflict: { skuId, what: 'price', mine: yuan(amount), current: yuan(sku.price.amount), version: (now.body as Product).version } });
    }
    if (!answer.ok) return editor(c, { error: answer });
    return redirectWith(c, `/admin/products/${encodeURIComponent(id)}`, 'ok', 'products.priceSaved');
  });

  app.post('/products/:id/skus/:skuId/stock', async (c) => {
    const { id, skuId } = c.req.param();
    const api = c.get('api');
    const form = await c.req.parseBody();
    const mine = field(form, 'stock');
    const answer = await api.call('POST', `/api/v1/admin/skus/${encodeURIComponent(skuId)}/stock`, {
      body: { set: Number(mine) },
      headers: { 'If-Match': `"${field(form, 'version')}"`, 'Idempotency-Key': crypto.randomUUID() },
    });
    if (answer.status === 412) {
      const now = await api.get(`/api/v1/admin/products/${encodeURIComponent(id)}`);
      const sku = now.ok ? (now.body as Product).skus.find((s) => s.id === skuId) : undefined;
      if (sku) return editor(c, { conflict: { skuId, what: 'stock', mine, current: String(sku.onHand), version: sku.stockVersion } });
    }
    if (!answer.ok) return editor(c, { error: answer });
    return redirectWith(c, `/admin/products/${encodeURIComponent(id)}`, 'ok', 'products.stockSaved');
  });
}

function ProductTable({ v, products }: { v: View; products: Product[] }) {
  if (products.length === 0) return <Empty v={v} />;
  return (
    <div class="table-scroll">
      <Table id="products" headings={[v.t('products.titleField'), v.t('products.category'), v.t('products.brand'), v.admin ? v.t('products.merchant') : null, v.t('common.status'), { num: v.t('products.skus') }, { num: v.t('products.price') }, { num: v.t('products.available') }]}>
        {products.map((p) => {
          const prices = p.skus.map((s) => s.price.amount);
          const low = Math.min(...prices);
          const high = Math.max(...prices);
          return (
            <tr data-product={p.id}>
              <td>
                <a href={`/admin/products/${encodeURIComponent(p.id)}`}>{p.title}</a>
              </td>
              <td>{p.category.name}</td>
              <td>{p.brand.name}</td>
              {v.admin ? <td>{p.merchantId}</td> : null}
              <td>
                <Status v={v} value={p.status} />
              </td>
              <td class="num">{p.skus.length}</td>
              <td class="num">{prices.length === 0 ? '—' : low === high ? yuan(low) : `${yuan(low)} – ${yuan(high)}`}</td>
              <td class="num">{p.skus.reduce((sum, s) => sum + s.available, 0)}</td>
            </tr>
          );
        })}
      </Table>
    </div>
  );
}

function ProductEditor({ v, product, conflict, error }: { v: View; product: Product; conflict?: SkuConflict; error?: ApiAnswer }) {
  const base = `/admin/products/${encodeURIComponent(product.id)}`;
  return (
    <>
      <p>
        <a href="/admin/products">← {v.t('products.title')}</a>
      </p>
      {error ? <ProblemBox v={v} problem={error.body} /> : null}
      {error?.status === 412 ? <p class="conflict">{v.t('products.infoConflict', { version: product.version })}</p> : null}
      <section>
        <div class="actions">
          <Status v={v} value={product.status} />
          <span class="muted">
            {v.t('common.version')} <span data-version>{product.version}</span> · {product.category.name} · {product.brand.name} · {product.merchantId}
          </span>
          <form method="post" action={`${base}/status`} class="inline">
            <Csrf v={v} />
            <input type="hidden" name="version" value={String(product.version)} />
            {product.status === 'listed' ? (
              <button type="submit" name="status" value="delisted" class="secondary">
                {v.t('products.delist')}
              </button>
            ) : (
              <button type="submit" name="status" value="listed">
                {v.t('products.list')}
              </button>
            )}
          </form>
        </div>
      </section>
      <section id="skus">
        <h2>{v.t('products.skus')}</h2>
        <div class="table-scroll">
          <Table headings={[v.t('products.skuCode'), v.t('products.salesAttributes'), `${v.t('products.price')} (¥)`, v.t('products.onHand'), { num: v.t('products.available') }]}>
            {product.skus.map((sku) => (
              <tr data-sku={sku.id} data-sku-code={sku.skuCode}>
                <td>
                  <code>{sku.skuCode}</code>
                </td>
                <td>
                  {Object.entries(sku.salesAttributes)
                    .map(([k, value]) => `${k}: ${value}`)
                    .join(', ')}
                </td>
                <td>
                  <form method="post" action={`${base}/skus/${encodeURIComponent(sku.id)}/price`} class="inline" data-form="price">
                    <Csrf v={v} />
                    <input type="hidden" name="version" value={String(product.version)} />
                    <input name="price" value={yuan(sku.price.amount)} inputmode="decimal" size={8} aria-label={`${v.t('products.price')} ${sku.skuCode}`} />
                    <button type="submit" class="secondary">
                      {v.t('common.save')}
                    </button>
                  </form>
                </td>
                <td>
                  <form method="post" action={`${base}/skus/${encodeURIComponent(sku.id)}/stock`} class="inline" data-form="stock">
                    <Csrf v={v} />
                    <input type="hidden" name="version" value={String(sku.stockVersion)} />
                    <input name="stock" value={String(sku.onHand)} inputmode="numeric" size={6} aria-label={`${v.t('products.onHand')} ${sku.skuCode}`} />
                    <button type="submit" class="secondary">
                      {v.t('common.save')}
                    </button>
                  </form>
                </td>
                <td class="num">{sku.available}</td>
              </tr>
            ))}
          </Table>
        </div>
        {conflict ? (
          <div class="conflict" role="alert" data-conflict={conflict.what}>
            <p>
              {conflict.what === 'price'
                ? v.t('products.priceConflict', { version: conflict.version, sku: product.skus.find((s) => s.id === conflict.skuId)?.skuCode ?? conflict.skuId, current: conflict.current, mine: conflict.mine })
                : v.t('products.stockConflict', { version: conflict.version, sku: product.skus.find((s) => s.id === conflict.skuId)?.skuCode ?? conflict.skuId, current: conflict.current, mine: conflict.mine })}
            </p>
            <a class="button secondary" href={base} data-action="keep">
              {v.t('products.keep', { current: conflict.current })}
            </a>{' '}
            <form method="post" action={`${base}/skus/${encodeURIComponent(conflict.skuId)}/${conflict.what}`} class="inline">
              <Csrf v={v} />
              <input type="hidden" name="version" value={String(conflict.version)} />
              <input type="hidden" name={conflict.what} value={conflict.mine} />
              <button type="submit" data-action="retry">
                {v.t('products.retry', { mine: conflict.mine })}
              </button>
            </form>
          </div>
        ) : null}
      </section>
      <section>
        <h2>{v.t('products.info')}</h2>
        <form method="post" action={base} class="stack" data-form="info">
          <Csrf v={v} />
          <input type="hidden" name="version" value={String(product.version)} />
          <label>
            {v.t('products.titleField')}
            <input name="title" value={product.title} required maxlength={200} />
          </label>
          <label>
            {v.t('products.description')}
            <textarea name="description" rows={4}>
              {product.description}
            </textarea>
          </label>
          <label>
            {v.t('products.images')}
            <textarea name="images" rows={3}>
              {product.images.join('\n')}
            </textarea>
          </label>
          <p class="muted">
            {v.t('products.attributes')}:{' '}
            {Object.entries({ ...product.keyAttributes, ...product.attributes })
              .map(([k, value]) => `${k}: ${value}`)
              .join(', ') || '—'}
          </p>
          <p>
            <button type="submit">{v.t('common.save')}</button>
          </p>
        </form>
      </section>
    </>
  );
}

