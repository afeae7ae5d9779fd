import type { Hono } from 'hono';
import type { ApiAnswer } from '../api.js';
import { adminOnly, page, redirectWith, type ConsoleContext, type ConsoleEnv, type PageStatus } from '../context.js';
import { Csrf, Empty, Flash, ProblemBox, type View } from '../ui.js';
import { all, CategoryOptions, type Category } from './catalog.js';

interface Banner {
  imageUrl: string;
  linkUrl?: string;
  title?: string;
}
type Collection = { title: string; kind: 'manual'; productIds: string[] } | { title: string; kind: 'rule'; rule: { frontendCategoryId?: string; categoryId?: string; sort: string; limit: number } };
interface HomeContent {
  banners: Banner[];
  featuredFrontendCategoryIds: string[];
  collections: Collection[];
}
interface FrontendCategory {
  id: string;
  name: string;
}

const BANNER_ROWS = 4;
const COLLECTION_ROWS = 4;
const SORTS = ['sales', 'newest', 'price_asc'];

/** The form's fields → the PUT /api/v1/admin/home body (empty rows are left out). */
function contentOf(form: Record<string, string | string[]>): HomeContent {
  const one = (name: string) => {
    const value = form[name];
    return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  };
  const banners: Banner[] = [];
  for (let i = 0; i < BANNER_ROWS; i++) {
    const imageUrl = one(`banner.${i}.imageUrl`);
    if (!imageUrl) continue;
    banners.push({ imageUrl, ...(one(`banner.${i}.linkUrl`) ? { linkUrl: one(`banner.${i}.linkUrl`) } : {}), ...(one(`banner.${i}.title`) ? { title: one(`banner.${i}.title`) } : {}) });
  }
  const featured = ([] as string[]).concat(form.featured ?? []).filter(Boolean);
  const collections: Collection[] = [];
  for (let i = 0; i < COLLECTION_ROWS; i++) {
    const title = one(`collection.${i}.title`);
    if (!title) continue;
    if (one(`collection.${i}.kind`) === 'rule') {
      const frontendCategoryId = one(`collection.${i}.frontendCategoryId`);
      const categoryId = one(`collection.${i}.categoryId`);
      collections.push({
        title,
        kind: 'rule',
        rule: { ...(frontendCategoryId ? { frontendCategoryId } : {}), ...(categoryId ? { categoryId } : {}), sort: one(`collection.${i}.sort`) || 'sales', limit: Number(one(`collection.${i}.limit`) || '10') },
      });
    } else {
      collections.push({ title, kind: 'manual', productIds: one(`collection.${i}.productIds`).split(/[\s,，]+/).filter(Boolean) });
    }
  }
  return { banners, featuredFrontendCategoryIds: featured, collections };
}

function Editor({ v, content, version, categories, frontend }: { v: View; content: HomeContent; version: number | null; categories: Category[]; frontend: FrontendCategory[] }) {
  return (
    <form method="post" action="/admin/home" class="stack card" data-form="home">
      <Csrf v={v} />
      <input type="hidden" name="version" value={version === null ? '' : String(version)} />
      <fieldset>
        <legend>{v.t('home.banners')}</legend>
        {Array.from({ length: BANNER_ROWS }, (_, i) => {
          const b = content.banners[i];
          return (
            <div class="filters">
              <label>
                Image URL {i + 1}
                <input name={`banner.${i}.imageUrl`} type="url" value={b?.imageUrl ?? ''} size={36} />
              </label>
              <label>
                Link {i + 1}
                <input name={`banner.${i}.linkUrl`} value={b?.linkUrl ?? ''} size={24} />
              </label>
              <label>
                {v.t('products.titleField')} {i + 1}
                <input name={`banner.${i}.title`} value={b?.title ?? ''} />
              </label>
            </div>
          );
        })}
      </fieldset>
      <fieldset>
        <legend>{v.t('home.featured')}</legend>
        {frontend.length === 0 ? <Empty v={v} /> : null}
        {frontend.map((f) => (
          <label class="inline">
            <input type="checkbox" name="featured" value={f.id} checked={content.featuredFrontendCategoryIds.includes(f.id)} /> {f.name}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{v.t('home.collections')}</legend>
        {Array.from({ length: COLLECTION_ROWS }, (_, i) => {
          const col = content.collections[i];
          const rule = col?.kind === 'rule' ? col.rule : undefined;
          return (
            <div class="filters" data-collection-row={i}>
              <label>
                {v.t('products.titleField')} {i + 1}
                <input name={`collection.${i}.title`} value={col?.title ?? ''} />
              </label>
              <label>
                {v.t('categories.kind')}
                <select name={`collection.${i}.kind`}>
                  <option value="manual" selected={col?.kind !== 'rule'}>
                    manual
                  </option>
                  <option value="rule" selected={col?.kind === 'rule'}>
                    rule
                  </option>
                </select>
              </label>
              <label>
                Product ids
                <input name={`collection.${i}.productIds`} value={col?.kind === 'manual' ? col.productIds.join(', ') : ''} size={30} />
              </label>
              <label>
                {v.t('categories.frontend')}
                <select name={`collection.${i}.frontendCategoryId`}>
                  <option value="">—</option>
                  {frontend.map((f) => (
                    <option value={f.id} selected={rule?.frontendCategoryId === f.id}>
                      {f.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                {v.t('categories.backend')}
                <select name={`collection.${i}.categoryId`}>
                  <CategoryOptions categories={categories} selected={rule?.categoryId} root="—" />
                </select>
              </label>
              <label>
                Sort
                <select name={`collection.${i}.sort`}>
                  {SORTS.map((s) => (
                    <option value={s} selected={rule?.sort === s}>
                      {s}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Limit
                <input name={`collection.${i}.limit`} type="number" min={1} max={50} value={String(rule?.limit ?? 10)} />
              </label>
            </div>
          );
        })}
      </fieldset>
      <div class="actions">
        <button type="submit" name="action" value="preview" class="secondary">
          {v.t('home.preview')}
        </button>
        <button type="submit" name="action" value="publish">
          {v.t('home.publish')}
        </button>
      </div>
    </form>
  );
}

/** The draft as the app would lay it out (nothing is published). */
function Preview({ v, content, frontend, titles }: { v: View; content: HomeContent; frontend: FrontendCategory[]; titles: Map<string, string> }) {
  return (
    <section id="preview" aria-label={v.t('home.preview')}>
      <h2>{v.t('home.preview')}</h2>
      <h3>{v.t('home.banners')}</h3>
      {content.banners.length === 0 ? <Empty v={v} /> : <ol>{content.banners.map((b) => <li>{b.title ?? b.imageUrl} {b.linkUrl ? <span class="muted">→ {b.linkUrl}</span> : null}</li>)}</ol>}
      <h3>{v.t('home.featured')}</h3>
      <p>{content.featuredFrontendCategoryIds.map((id) => frontend.find((f) => f.id === id)?.name ?? id).join(' · ') || '—'}</p>
      <h3>{v.t('home.collections')}</h3>
      {content.collections.map((col) => (
        <div class="card">
          <strong>{col.title}</strong>{' '}
          {col.kind === 'manual' ? (
            <ul>
              {col.productIds.map((id) => (
                <li>{titles.get(id) ?? id}</li>
              ))}
            </ul>
          ) : (
            <span class="muted">
              rule: {col.rule.frontendCategoryId ?? col.rule.categoryId ?? '*'} · {col.rule.sort} · {col.rule.limit}
            </span>
          )}
        </div>
      ))}
    </section>
  );
}

export function homePages(app: Hono<ConsoleEnv>) {
  const show = async (c: ConsoleContext, draft?: { content: HomeContent; version: number | null; preview?: boolean; error?: ApiAnswer }) => {
    const v = c.get('view');
    const api = c.get('api');
    const [current, live, categories, frontend] = await Promise.all([
      api.get('/api/v1/admin/home'),
      api.get('/api/v1/home'),
      all<Category>(api, '/api/v1/admin/categories', 500),
      all<FrontendCategory>(api, '/api/v1/admin/frontend-categories', 500),
    ]);
    if (!current.ok && current.status !== 404) return page(c, v.t('home.title'), <ProblemBox v={v} problem={current.body} retry="/admin/home" />, current.status as PageStatus);
    const content: HomeContent = draft?.content ?? (current.ok ? current.body : { banners: [], featuredFrontendCategoryIds: [], collections: [] });
    const version = draft ? draft.version : current.ok ? (current.body.version as number) : null;
    const titles = new Map<string, string>();
    if (draft?.preview) {
      const ids = [...new Set(content.collections.flatMap((col) => (col.kind === 'manual' ? col.productIds : [])))].slice(0, 100);
      await Promise.all(
        ids.map(async (id) => {
          const product = await api.get(`/api/v1/admin/products/${encodeURIComponent(id)}`);
          if (product.ok) titles.set(id, `${product.body.title as string} (${product.body.status as string})`);
        }),
      );
    }
    return page(
      c,
      v.t('home.title'),
      <>
        {draft?.error ? <ProblemBox v={v} problem={draft.error.body} /> : null}
        {current.ok ? (
          <p class="muted">
            {v.t('common.version')} {current.body.version} · {current.body.publishedAt}
          </p>
        ) : (
          <Flash kind="info" text={v.t('common.empty')} />
        )}
        {draft?.preview ? <Preview v={v} content={content} frontend={frontend.items} titles={titles} /> : null}
        <Editor v={v} content={content} version={version} categories={categories.items} frontend={frontend.items} />
        <section>
          <h2>{v.t('home.live')}</h2>
          {live.ok ? (
            <p id="live" data-published-at={live.body.publishedAt ?? ''}>
              {v.t('home.banners')}: {live.body.banners.length} · {v.t('home.featured')}: {live.body.featuredCategories.length} · {v.t('home.collections')}:{' '}
              {(live.body.collections as Array<{ title: string; products: unknown[] }>).map((col) => `${col.title} (${col.products.length})`).join(', ') || '—'}
            </p>
          ) : (
            <ProblemBox v={v} problem={live.body} />
          )}
        </section>
      </>,
      draft?.error ? (draft.error.status as PageStatus) : 200,
    );
  };

  app.get('/home', (c) => adminOnly(c) ?? show(c));

  app.post('/home', async (c) => {
    const refused = adminOnly(c);
    if (refused) return refused;
    const form = (await c.req.parseBody({ all: true })) as Record<string, string | string[]>;
    const content = contentOf(form);
    const versionText = typeof form.version === 'string' ? form.version : '';
    const version = versionText === '' ? null : Number(versionText);
    if (form.action === 'preview') return show(c, { content, version, preview: true });
    const answer = await c.get('api').call('PUT', '/api/v1/admin/home', { body: content, headers: version === null ? {} : { 'If-Match': `"${version}"` } });
    if (!answer.ok) return show(c, { content, version, error: answer });
    return redirectWith(c, '/admin/home', 'ok', 'home.published', { version: answer.body.version });
  });
}
