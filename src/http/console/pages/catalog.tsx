import type { Hono } from 'hono';
import { qs, type Api, type ApiAnswer } from '../api.js';
import { adminOnly, field, page, redirectWith, type ConsoleContext, type ConsoleEnv, type PageStatus } from '../context.js';
import { Csrf, Empty, ProblemBox, Table, When, type View } from '../ui.js';

export interface Category {
  id: string;
  name: string;
  parentId: string | null;
  path: Array<{ id: string; name: string }>;
  attributes: Array<{ attributeId: string; categoryId: string; name: string; kind: 'key' | 'sales' | 'general'; values: string[] | null }>;
  childCount: number;
  productCount: number;
}
export interface Brand {
  id: string;
  name: string;
  logoUrl: string | null;
  createdAt: string;
}
interface FrontendCategory {
  id: string;
  name: string;
  parentId: string | null;
  backendCategoryIds: string[];
}

/** Every item of a cursor-paginated API list, up to `max` (master data: categories, brands). */
export async function all<T>(api: Api, path: string, max = 2_000): Promise<{ items: T[]; error?: ApiAnswer }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const answer: ApiAnswer = await api.get(`${path}${path.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (!answer.ok) return { items, error: answer };
    items.push(...(answer.body.items as T[]));
    cursor = answer.body.nextCursor;
  } while (cursor && items.length < max);
  return { items };
}

const fullName = (c: Category) => [...c.path.map((p) => p.name), c.name].join(' › ');

export const CategoryOptions = ({ categories, selected, root }: { categories: Category[]; selected?: string; root?: string }) => (
  <>
    {root !== undefined ? <option value="">{root}</option> : null}
    {[...categories]
      .sort((a, b) => fullName(a).localeCompare(fullName(b)))
      .map((c) => (
        <option value={c.id} selected={c.id === selected}>
          {fullName(c)}
        </option>
      ))}
  </>
);

function Tree({ v, categories, parentId }: { v: View; categories: Category[]; parentId: string | null }) {
  const children = categories.filter((c) => c.parentId === parentId);
  if (children.length === 0) return null;
  return (
    <ul>
      {children.map((c) => (
        <li data-category={c.id}>
          <strong>{c.name}</strong> <code class="muted">{c.id}</code> <span class="muted">({c.productCount})</span>
          {c.attributes.length > 0 ? (
            <ul class="attributes">
              {c.attributes.map((a) => (
                <li data-attribute={a.name} data-inherited={a.categoryId !== c.id ? 'true' : 'false'}>
                  {a.name} · <span class="badge">{a.kind}</span>
                  {a.values ? <span class="muted"> [{a.values.join(', ')}]</span> : null}
                  {a.categoryId !== c.id ? <em class="muted"> — {v.t('categories.inherited', { name: categories.find((x) => x.id === a.categoryId)?.name ?? a.categoryId })}</em> : null}
                </li>
              ))}
            </ul>
          ) : null}
          <Tree v={v} categories={categories} parentId={c.id} />
        </li>
      ))}
    </ul>
  );
}

export function catalogPages(app: Hono<ConsoleEnv>) {
  const categoriesPage = async (c: ConsoleContext, error?: ApiAnswer) => {
    const v = c.get('view');
    const api = c.get('api');
    const [categories, frontend] = await Promise.all([all<Category>(api, '/api/v1/admin/categories'), all<FrontendCategory>(api, '/api/v1/admin/frontend-categories')]);
    const failed = categories.error ?? frontend.error;
    return page(
      c,
      v.t('categories.title'),
      <>
        {error ? <ProblemBox v={v} problem={error.body} /> : null}
        {failed ? <ProblemBox v={v} problem={failed.body} retry="/admin/categories" /> : null}
        <div class="cols">
          <section>
            <h2>{v.t('categories.backend')}</h2>
            <div class="tree" id="category-tree">
              {categories.items.length === 0 ? <Empty v={v} /> : <Tree v={v} categories={categories.items} parentId={null} />}
            </div>
          </section>
          <div>
            <section>
              <h2>{v.t('common.create')}</h2>
              <form method="post" action="/admin/categories" class="stack" data-form="category">
                <Csrf v={v} />
                <label>
                  {v.t('common.name')}
                  <input name="name" required maxlength={100} />
                </label>
                <label>
                  {v.t('categories.parent')}
                  <select name="parentId">
                    <CategoryOptions categories={categories.items} root={v.t('categories.root')} />
                  </select>
                </label>
                <p>
                  <button type="submit">{v.t('common.create')}</button>
                </p>
              </form>
            </section>
            <section>
              <h2>{v.t('categories.addAttribute')}</h2>
              <form method="post" action="/admin/categories/attributes" class="stack" data-form="attribute">
                <Csrf v={v} />
                <label>
                  {v.t('products.category')}
                  <select name="categoryId" required>
                    <CategoryOptions categories={categories.items} />
                  </select>
                </label>
                <label>
                  {v.t('common.name')}
                  <input name="name" required maxlength={50} />
                </label>
                <label>
                  {v.t('categories.kind')}
                  <select name="kind">
                    <option value="key">key</option>
                    <option value="sales">sales</option>
                    <option value="general">general</option>
                  </select>
                </label>
                <label>
                  {v.t('categories.values')}
                  <input name="values" />
                </label>
                <p>
                  <button type="submit">{v.t('categories.addAttribute')}</button>
                </p>
              </form>
            </section>
          </div>
        </div>
        <section>
          <h2>{v.t('categories.frontend')}</h2>
          {frontend.items.length === 0 ? (
            <Empty v={v} />
          ) : (
            <Table id="frontend-categories" headings={[v.t('common.name'), v.t('categories.parent'), v.t('categories.mapsTo')]}>
              {frontend.items.map((f) => (
                <tr data-frontend-category={f.id}>
                  <td>
                    {f.name} <code class="muted">{f.id}</code>
                  </td>
                  <td>{f.parentId ? (frontend.items.find((x) => x.id === f.parentId)?.name ?? f.parentId) : '—'}</td>
                  <td>{f.backendCategoryIds.map((id) => categories.items.find((x) => x.id === id)?.name ?? id).join(', ')}</td>
                </tr>
              ))}
            </Table>
          )}
          <h3>{v.t('common.create')}</h3>
          <form method="post" action="/admin/frontend-categories" class="stack" data-form="frontend-category">
            <Csrf v={v} />
            <label>
              {v.t('common.name')}
              <input name="name" required maxlength={100} />
            </label>
            <label>
              {v.t('categories.parent')}
              <select name="parentId">
                <option value="">{v.t('categories.root')}</option>
                {frontend.items.map((f) => (
                  <option value={f.id}>{f.name}</option>
                ))}
              </select>
            </label>
            <label>
              {v.t('categories.mapsTo')}
              <select name="backendCategoryIds" multiple size={5} required>
                <CategoryOptions categories={categories.items} />
              </select>
            </label>
            <p>
              <button type="submit">{v.t('common.create')}</button>
            </p>
          </form>
        </section>
      </>,
      error ? (error.status as PageStatus) : failed ? (failed.status as PageStatus) : 200,
    );
  };

  app.get('/categories', (c) => adminOnly(c) ?? categoriesPage(c));

  app.post('/categories', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const form = await c.req.parseBody();
    const parentId = field(form, 'parentId');
    const answer = await c.get('api').call('POST', '/api/v1/admin/categories', { body: { name: field(form, 'name'), ...(parentId ? { parentId } : {}) } });
    if (!answer.ok) return categoriesPage(c, answer);
    return redirectWith(c, '/admin/categories', 'ok', 'categories.created');
  });

  app.post('/categories/attributes', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const form = await c.req.parseBody();
    const values = field(form, 'values')
      .split(/[,，]/)
      .map((x) => x.trim())
      .filter(Boolean);
    const answer = await c.get('api').call('POST', '/api/v1/admin/attributes', {
      body: { categoryId: field(form, 'categoryId'), name: field(form, 'name'), kind: field(form, 'kind'), ...(values.length > 0 ? { values } : {}) },
    });
    if (!answer.ok) return categoriesPage(c, answer);
    return redirectWith(c, '/admin/categories', 'ok', 'categories.attributeCreated');
  });

  app.post('/frontend-categories', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const form = await c.req.parseBody({ all: true });
    const ids = ([] as unknown[]).concat(form.backendCategoryIds ?? []).filter((x): x is string => typeof x === 'string' && x !== '');
    const parentId = field(form, 'parentId');
    const answer = await c.get('api').call('POST', '/api/v1/admin/frontend-categories', { body: { name: field(form, 'name'), backendCategoryIds: ids, ...(parentId ? { parentId } : {}) } });
    if (!answer.ok) return categoriesPage(c, answer);
    return redirectWith(c, '/admin/categories', 'ok', 'categories.created');
  });

  const brandsPage = async (c: ConsoleContext, error?: ApiAnswer) => {
    const v = c.get('view');
    const cursor = c.req.query('cursor') || undefined;
    const answer = await c.get('api').get(`/api/v1/admin/brands${qs({ cursor, limit: 100 })}`);
    const brands = (answer.ok ? answer.body.items : []) as Brand[];
    return page(
      c,
      v.t('brands.title'),
      <>
        {error ? <ProblemBox v={v} problem={error.body} /> : null}
        <section>
          <form method="post" action="/admin/brands" class="filters" data-form="brand">
            <Csrf v={v} />
            <label>
              {v.t('common.name')}
              <input name="name" required maxlength={100} />
            </label>
            <label>
              {v.t('brands.logo')}
              <input name="logoUrl" type="url" maxlength={500} />
            </label>
            <button type="submit">{v.t('common.create')}</button>
          </form>
        </section>
        {!answer.ok ? (
          <ProblemBox v={v} problem={answer.body} retry="/admin/brands" />
        ) : brands.length === 0 ? (
          <Empty v={v} />
        ) : (
          <Table id="brands" headings={[v.t('common.name'), v.t('common.id'), v.t('common.createdAt')]}>
            {brands.map((b) => (
              <tr data-brand={b.id}>
                <td>{b.name}</td>
                <td>
                  <code>{b.id}</code>
                </td>
                <td>
                  <When at={b.createdAt} />
                </td>
              </tr>
            ))}
          </Table>
        )}
        {answer.ok && answer.body.nextCursor ? (
          <p>
            <a href={`/admin/brands?cursor=${encodeURIComponent(answer.body.nextCursor)}`}>{v.t('common.next')} →</a>
          </p>
        ) : null}
      </>,
      error ? (error.status as PageStatus) : 200,
    );
  };

  app.get('/brands', (c) => adminOnly(c) ?? brandsPage(c));

  app.post('/brands', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const form = await c.req.parseBody();
    const logoUrl = field(form, 'logoUrl');
    const answer = await c.get('api').call('POST', '/api/v1/admin/brands', { body: { name: field(form, 'name'), ...(logoUrl ? { logoUrl } : {}) } });
    if (!answer.ok) return brandsPage(c, answer);
    return redirectWith(c, '/admin/brands', 'ok', 'brands.created');
  });
}
