import type { Deps } from '../../deps.js';
import type { Banner, Collection } from '../../domain/catalog/home-page.js';
import type { SearchHit } from '../../ports/search-index.js';
import { toSearchHit } from '../../search/text.js';
import { HOME_PAGE, HOME_PAGE_ID, type HomePageDoc } from '../../projections/catalog/home.js';
import { FRONTEND_CATEGORIES, type FrontendCategoryDoc } from '../../projections/catalog/documents.js';
import { categoryNames, toCard, type ProductCard } from './search.js';

export interface HomePageView {
  banners: Banner[];
  featuredCategories: Array<{ id: string; name: string }>;
  collections: Array<{ title: string; kind: Collection['kind']; products: ProductCard[] }>;
  /** Null until an admin publishes the page. */
  publishedAt: string | null;
}

/** The page as admins composed it (admin reads, with its version for If-Match). */
export const getHomePage = (deps: Pick<Deps, 'views'>) => deps.views.get<HomePageDoc>(HOME_PAGE, HOME_PAGE_ID);

/**
 * The page for the app: featured categories with their names (gone ones dropped), manual collections
 * in their order without the products that are not listed now, rule collections run as searches.
 */
export async function resolvedHomePage(deps: Pick<Deps, 'views' | 'searchIndex'>): Promise<HomePageView> {
  const page = await getHomePage(deps);
  if (!page) return { banners: [], featuredCategories: [], collections: [], publishedAt: null };

  const featured = await Promise.all(page.featuredFrontendCategoryIds.map((id) => deps.views.get<FrontendCategoryDoc>(FRONTEND_CATEGORIES, id)));
  const hits = await Promise.all(page.collections.map((collection) => collectionHits(deps, collection)));
  const names = await categoryNames(deps, hits.flat().map((hit) => hit.category));
  return {
    banners: page.banners,
    featuredCategories: featured.flatMap((doc) => (doc ? [{ id: doc.id, name: doc.name }] : [])),
    collections: page.collections.map((collection, index) => ({
      title: collection.title,
      kind: collection.kind,
      products: hits[index]!.map((hit) => toCard(hit, names)),
    })),
    publishedAt: page.publishedAt,
  };
}

async function collectionHits(deps: Pick<Deps, 'searchIndex'>, collection: Collection): Promise<SearchHit[]> {
  if (collection.kind === 'manual') {
    const docs = await Promise.all(collection.productIds.map((id) => deps.searchIndex.get(id)));
    return docs.flatMap((doc) => (doc?.status === 'listed' ? [toSearchHit(doc, [])] : []));
  }
  const { frontendCategoryId, categoryId, sort, limit } = collection.rule;
  const result = await deps.searchIndex.search({
    ...(frontendCategoryId !== undefined ? { frontendCategoryIds: [frontendCategoryId] } : {}),
    ...(categoryId !== undefined ? { categoryIds: [categoryId] } : {}),
    sort,
    size: limit,
  });
  return result.hits;
}
