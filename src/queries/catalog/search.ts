import type { Deps } from '../../deps.js';
import type { Money } from '../../domain/common/money.js';
import { ValidationError } from '../../kernel/errors.js';
import { InvalidSearchQuery, type SearchHit, type SearchQuery, type SearchResult } from '../../ports/search-index.js';
import { CATEGORIES, type CategoryDoc } from '../../projections/catalog/documents.js';
import { synonymGroups } from './search-synonyms.js';

type Reader = Pick<Deps, 'searchIndex' | 'views'>;

/** A product as lists show it (search hits, home page collections). */
export interface ProductCard {
  id: string;
  title: string;
  brand: { id: string; name: string };
  /** The backend leaf category with its current name. */
  category: { id: string; name: string };
  minPrice: Money;
  maxPrice: Money;
  inStock: boolean;
  image: string | null;
}

export interface LabelledCount {
  value: string;
  label: string;
  count: number;
}

export interface SearchPage {
  total: number;
  page: number;
  size: number;
  hits: Array<ProductCard & { highlight: string | null }>;
  facets: {
    brand: LabelledCount[];
    category: LabelledCount[];
    /** `to` is exclusive; null on the last, open-ended bucket. */
    price: Array<{ from: Money; to: Money | null; count: number }>;
    attributes: Record<string, Array<{ value: string; count: number }>>;
  };
  /** With a keyword and no hit: the words no listed product holds; else empty. */
  unmatchedWords: string[];
  /** With a keyword and no hit: the closest query that finds something; else null. */
  didYouMean: string | null;
}

/** Price buckets are in the catalog's one currency. */
const FACET_CURRENCY = 'CNY';

/** Runs a search and dresses the result for the app: money as Money, ids with their names. */
export async function searchProducts(deps: Reader, query: SearchQuery): Promise<SearchPage> {
  let result: SearchResult;
  try {
    result = await deps.searchIndex.search({ ...query, synonyms: await synonymGroups(deps) });
  } catch (error) {
    if (error instanceof InvalidSearchQuery) throw new ValidationError('the search query is not valid', error.problems.map((message) => ({ path: '(query)', message })));
    throw error;
  }
  const names = await categoryNames(deps, [...result.hits.map((hit) => hit.category), ...result.facets.category.map((facet) => facet.value)]);
  const money = (amount: number): Money => ({ amount, currency: FACET_CURRENCY });
  return {
    total: result.total,
    page: result.page,
    size: result.size,
    hits: result.hits.map((hit) => ({ ...toCard(hit, names), highlight: hit.highlight })),
    facets: {
      brand: result.facets.brand.map(({ value, count, label }) => ({ value, label: label ?? value, count })),
      category: result.facets.category.map(({ value, count }) => ({ value, label: names.get(value) ?? value, count })),
      price: result.facets.price.map(({ from, to, count }) => ({ from: money(from), to: to === null ? null : money(to), count })),
      attributes: result.facets.attributes,
    },
    unmatchedWords: result.unmatched ?? [],
    didYouMean: result.didYouMean ?? null,
  };
}

export function toCard(hit: SearchHit, names: Map<string, string>): ProductCard {
  return {
    id: hit.id,
    title: hit.title,
    brand: hit.brand,
    category: { id: hit.category, name: names.get(hit.category) ?? hit.category },
    minPrice: { amount: hit.minPrice, currency: hit.currency },
    maxPrice: { amount: hit.maxPrice, currency: hit.currency },
    inStock: hit.inStock,
    image: hit.image,
  };
}

/** Current names of backend categories, from the catalog view (a rename shows at once). */
export async function categoryNames(deps: Pick<Deps, 'views'>, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  const docs = await Promise.all(unique.map((id) => deps.views.get<CategoryDoc>(CATEGORIES, id)));
  return new Map(docs.flatMap((doc) => (doc ? [[doc.id, doc.name] as const] : [])));
}
