/**
 * SearchIndex port: one document per product, written by the search projection together with its
 * checkpoint (idempotently, at least once: see `commit`), queried by keyword, filters and facets. Embedded: SQLite-backed in-memory engine;
 * production: Elasticsearch. Both adapters tokenize with src/search/text.ts and answer a query the same.
 *
 * Query semantics (both adapters):
 * - Only documents with status 'listed' are ever returned or counted.
 * - Keyword: the query is planned by src/search/query.ts into clauses, one per query word (or per
 *   phrase of a synonym group); every clause must match, each through one of its alternatives: the word
 *   itself, its synonyms (`synonyms`), the word as pinyin, or, for a Latin word the index does not hold,
 *   the index's words within its typo distance. An alternative matches when all its words occur in the
 *   title, the keywords (brand name, attribute values, category names, SKU codes), the description or
 *   the pinyin field. Relevance: per clause the best alternative's BM25F (weights FIELD_WEIGHTS) times
 *   its boost, summed over clauses, times the RANKING multiplier of src/search/text.ts (the query's head
 *   heading the category name or the title, stock, sales).
 *   A query with no words (blank, punctuation) matches every listed product.
 * - Zero results for a keyword query: `unmatched` names the words whose clause matches no listed product
 *   (filters aside), and `didYouMean` is the closest query that finds listed products (src/search/query.ts).
 * - Suggestions (`suggest`): phrases of listed products' titles, brands and category names whose text,
 *   pinyin or initials start with the typed prefix (src/search/suggest.ts), ranked by the sales of the
 *   listed products holding them, then by their number, then by entry.
 * - Filters: values within one dimension are alternatives (OR), dimensions combine with AND. Categories
 *   match through `categoryIds`, so a parent category finds its descendants' products. Price filters and
 *   facets use `minPrice` (the price a listing shows), bounds inclusive.
 * - Facets: each dimension's counts apply every active filter except that dimension's own (multi-select).
 *   Values are ranked by count descending, then value ascending (code-unit order), at most
 *   FACET_LIMITS.values each. Price counts use the fixed PRICE_BUCKETS; empty buckets are omitted.
 *   Attribute facets: the attribute names under filter each get their own ranked list; the other names
 *   come from the FACET_LIMITS.attributePairs best (name, value) pairs over the filtered set, ranked as
 *   above on the key `name␟value`, grouped by name in rank order, at most FACET_LIMITS.attributeNames names.
 * - Sorts break ties by id ascending. 'relevance' without a keyword is 'sales'; 'price_*' sort by
 *   `minPrice`; 'newest' by `listedAt`, products never listed last.
 */
import { CheckpointMoved } from './view-store.js';

export { CheckpointMoved };

export type ProductStatus = 'draft' | 'listed' | 'delisted';

export interface ProductSearchDocument {
  id: string;
  title: string;
  description: string;
  brand: { id: string; name: string };
  /** The backend leaf category. */
  categoryId: string;
  /** Its name: a ranking signal (its heads, src/search/text.ts); absent in documents of older releases. */
  categoryName?: string;
  /** The names of the leaf and its ancestors, root first (recall: a product is found by its category names); absent in documents of older releases. */
  categoryNames?: string[];
  /** The leaf and all its ancestors. */
  categoryIds: string[];
  frontendCategoryIds: string[];
  /** The SKU codes of its SKUs (a product is found by each); absent in documents of older releases. */
  skuCodes?: string[];
  /** Attribute name → values (key, sales and general attributes; sales attributes from every SKU). */
  attributes: Record<string, string[]>;
  /** Lowest and highest SKU price, integer minor units. */
  minPrice: number;
  maxPrice: number;
  currency: string;
  inStock: boolean;
  salesCount: number;
  /** When the product was first listed (ISO 8601), null if never. */
  listedAt: string | null;
  image: string | null;
  status: ProductStatus;
  /**
   * Grows with every change of the document, e.g. the global position of the last event applied. A
   * write whose revision is not above the stored one is ignored, so replays are harmless.
   */
  revision: number;
}

export const SEARCH_SORTS = ['relevance', 'price_asc', 'price_desc', 'sales', 'newest'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

export interface SearchQuery {
  q?: string;
  categoryIds?: string[];
  frontendCategoryIds?: string[];
  brandIds?: string[];
  /** Inclusive bounds on `minPrice`, minor units. */
  minPrice?: number;
  maxPrice?: number;
  /** Attribute name → accepted values. */
  attributes?: Record<string, string[]>;
  /** true: only products in stock; false: only products out of stock. */
  inStock?: boolean;
  /** Default 'relevance'. */
  sort?: SearchSort;
  /** 1-based, default 1. */
  page?: number;
  /** Default 20. */
  size?: number;
  /** Synonym groups (each a list of equivalent words or phrases) applied to `q` at query time. */
  synonyms?: string[][];
}

export const SEARCH_LIMITS = {
  defaultSize: 20,
  maxSize: 100,
  /** page × size: deeper pages are refused (Elasticsearch's max_result_window). */
  maxWindow: 10_000,
  maxQueryLength: 200,
  maxFilterValues: 50,
  maxAttributeFilters: 20,
  maxSynonymGroups: 10_000,
} as const;

export const FACET_LIMITS = { values: 20, attributeNames: 10, attributePairs: 500 } as const;

/** Price facet buckets on `minPrice` in minor units: [from, to), the last one open-ended. */
export const PRICE_BUCKETS: ReadonlyArray<{ from: number; to: number | null }> = [
  { from: 0, to: 5_000 },
  { from: 5_000, to: 10_000 },
  { from: 10_000, to: 20_000 },
  { from: 20_000, to: 50_000 },
  { from: 50_000, to: 100_000 },
  { from: 100_000, to: 200_000 },
  { from: 200_000, to: 500_000 },
  { from: 500_000, to: null },
];

/** Separates name and value in an attribute pair key. */
export const ATTRIBUTE_SEPARATOR = '\u001f';

export interface SearchHit {
  id: string;
  title: string;
  brand: { id: string; name: string };
  /** The backend leaf category id. */
  category: string;
  minPrice: number;
  maxPrice: number;
  currency: string;
  inStock: boolean;
  image: string | null;
  /** The title, HTML-escaped, with matched words in <em>…</em>; null without a keyword. */
  highlight: string | null;
}

export interface FacetCount {
  value: string;
  count: number;
  /** Display name where the index knows it (brands). */
  label?: string;
}

export interface PriceFacetCount {
  from: number;
  to: number | null;
  count: number;
}

export interface SearchResult {
  total: number;
  page: number;
  size: number;
  hits: SearchHit[];
  facets: {
    brand: FacetCount[];
    category: FacetCount[];
    price: PriceFacetCount[];
    attributes: Record<string, FacetCount[]>;
  };
  /** With a keyword and no hit: the query's words that no listed product holds (through any alternative). */
  unmatched?: string[];
  /** With a keyword and no hit: the closest query that finds listed products, or null. */
  didYouMean?: string | null;
}

export const SUGGEST_LIMITS = { defaultSize: 10, maxSize: 20, maxPrefixLength: 50 } as const;

export interface SuggestQuery {
  /** What the shopper has typed so far: Chinese, Latin, pinyin or pinyin initials. */
  q: string;
  /** Default SUGGEST_LIMITS.defaultSize. */
  size?: number;
}

export interface Suggestion {
  /** The completion: a phrase of titles, a brand or a category name, as the index folds it (lower case). */
  text: string;
  /** Listed products that hold it. */
  products: number;
  /** Their sales. */
  sales: number;
}

/** Facet ranking: count descending, then value ascending. */
export function byCountThenValue(a: FacetCount, b: FacetCount): number {
  return b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
}

/**
 * Attribute facets of the names not under filter, from the best pairs (keys `name␟value`, ranked by
 * byCountThenValue, at most FACET_LIMITS.attributePairs): grouped by name in rank order, limited to
 * FACET_LIMITS.attributeNames names of FACET_LIMITS.values values.
 */
export function groupAttributePairs(ranked: FacetCount[]): Record<string, FacetCount[]> {
  const groups = new Map<string, FacetCount[]>();
  for (const pair of ranked.slice(0, FACET_LIMITS.attributePairs)) {
    const cut = pair.value.indexOf(ATTRIBUTE_SEPARATOR);
    const name = pair.value.slice(0, cut);
    let group = groups.get(name);
    if (!group) {
      if (groups.size === FACET_LIMITS.attributeNames) continue;
      groups.set(name, (group = []));
    }
    if (group.length < FACET_LIMITS.values) group.push({ value: pair.value.slice(cut + 1), count: pair.count });
  }
  return Object.fromEntries(groups);
}

export class InvalidSearchQuery extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid search query: ${problems.join('; ')}`);
  }
}

/** A query with its defaults applied and its limits checked. */
export type NormalizedSearchQuery = Required<Pick<SearchQuery, 'sort' | 'page' | 'size'>> &
  Omit<SearchQuery, 'sort' | 'page' | 'size'> & { q: string; attributes: Record<string, string[]> };

/** Applies defaults; throws InvalidSearchQuery naming every limit the query breaks. */
export function normalizeSearchQuery(query: SearchQuery): NormalizedSearchQuery {
  const { sort = 'relevance', page = 1, size = SEARCH_LIMITS.defaultSize, q = '', attributes = {} } = query;
  const problems: string[] = [];
  if (!SEARCH_SORTS.includes(sort)) problems.push(`sort must be one of ${SEARCH_SORTS.join(', ')}`);
  if (!Number.isInteger(size) || size < 1 || size > SEARCH_LIMITS.maxSize) problems.push(`size must be an integer from 1 to ${SEARCH_LIMITS.maxSize}`);
  if (!Number.isInteger(page) || page < 1) problems.push('page must be a positive integer');
  else if (page * size > SEARCH_LIMITS.maxWindow) problems.push(`page × size must not exceed ${SEARCH_LIMITS.maxWindow}`);
  if (q.length > SEARCH_LIMITS.maxQueryLength) problems.push(`q must be at most ${SEARCH_LIMITS.maxQueryLength} characters`);
  for (const bound of ['minPrice', 'maxPrice'] as const) {
    const value = query[bound];
    if (value !== undefined && !Number.isSafeInteger(value)) problems.push(`${bound} must be an integer amount of minor units`);
  }
  if (Object.keys(attributes).length > SEARCH_LIMITS.maxAttributeFilters) {
    problems.push(`at most ${SEARCH_LIMITS.maxAttributeFilters} attributes can be filtered at once`);
  }
  const lists = { categoryIds: query.categoryIds, frontendCategoryIds: query.frontendCategoryIds, brandIds: query.brandIds, ...attributes };
  for (const [name, values] of Object.entries(lists)) {
    if (values && values.length > SEARCH_LIMITS.maxFilterValues) problems.push(`at most ${SEARCH_LIMITS.maxFilterValues} values for ${name}`);
  }
  if ((query.synonyms?.length ?? 0) > SEARCH_LIMITS.maxSynonymGroups) problems.push(`at most ${SEARCH_LIMITS.maxSynonymGroups} synonym groups`);
  if (problems.length > 0) throw new InvalidSearchQuery(problems);
  return { ...query, sort, page, size, q, attributes };
}

export interface SearchIndexWriter {
  /** Inserts or replaces documents, skipping any whose revision is not above the stored one. */
  upsert(docs: ProductSearchDocument[]): Promise<void>;
  remove(ids: string[]): Promise<void>;
}

/** A fresh index filled beside the live one; `commit` swaps it in atomically. */
export interface SearchIndexRebuild extends SearchIndexWriter {
  /** Makes the rebuilt index live, holding only this checkpoint (if given), and drops the old one. */
  commit(checkpoint?: { projection: string; position: number }): Promise<void>;
  /** Drops the rebuilt index; the live one is untouched. */
  abort(): Promise<void>;
}

export interface SearchIndex extends SearchIndexWriter {
  /** Throws InvalidSearchQuery for a query beyond SEARCH_LIMITS. */
  search(query: SearchQuery): Promise<SearchResult>;
  /** Completions of a prefix (see the module comment); [] for a prefix without letters or digits. Throws InvalidSearchQuery beyond SUGGEST_LIMITS. */
  suggest(query: SuggestQuery): Promise<Suggestion[]>;
  /** The stored document whatever its status, or null. */
  get(id: string): Promise<ProductSearchDocument | null>;
  /** Documents stored, whatever their status. */
  count(): Promise<number>;
  checkpoint(projection: string): Promise<number>;
  /**
   * Writes the documents, then moves the projection's checkpoint from `from` to `to` (all visible to
   * searches once it resolves). Not atomic on every engine (SQLite: one transaction; Elasticsearch: the
   * documents first, then the checkpoint): a crash between the two leaves the documents written and the
   * checkpoint at `from`, and the projection then replays the batch. Writes are idempotent by revision
   * (an upsert not above the stored revision is skipped, removing a missing document is a no-op), so the
   * replay leaves the same index: at-least-once delivery, exactly-once effect. Throws CheckpointMoved when
   * the stored checkpoint is not `from`, or when a rebuild swapped its index in since this client last
   * read the projection's `checkpoint` (the writer's batch was computed against the old one); documents
   * may then have been written, which is harmless for the same reason.
   */
  commit(projection: string, upserts: ProductSearchDocument[], removals: string[], from: number, to: number): Promise<void>;
  beginRebuild(): Promise<SearchIndexRebuild>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Applies the default size; throws InvalidSearchQuery beyond SUGGEST_LIMITS. */
export function normalizeSuggestQuery(query: SuggestQuery): Required<SuggestQuery> {
  const { q, size = SUGGEST_LIMITS.defaultSize } = query;
  const problems: string[] = [];
  if (q.length > SUGGEST_LIMITS.maxPrefixLength) problems.push(`q must be at most ${SUGGEST_LIMITS.maxPrefixLength} characters`);
  if (!Number.isInteger(size) || size < 1 || size > SUGGEST_LIMITS.maxSize) problems.push(`size must be an integer from 1 to ${SUGGEST_LIMITS.maxSize}`);
  if (problems.length > 0) throw new InvalidSearchQuery(problems);
  return { q, size };
}
