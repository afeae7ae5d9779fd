import type { Deps } from '../../deps.js';
import { LruMap } from '../../kernel/lru-map.js';
import { normalizeSearchQuery, type SearchHit, type SearchIndex, type SearchQuery, type SearchResult } from '../../ports/search-index.js';
import { isActive, popularity, productAffinity, type AffinityProfile, type ProductFacts } from '../../domain/personalization/profile.js';
import { rerank, RERANK, textScore, type RankParts } from '../../domain/personalization/ranking.js';
import { SHOPPER_PRODUCTS, type ProductFactsDoc } from '../../projections/personalization/affinity.js';
import { getProfileDoc } from '../personalization/profile.js';
import { searchProducts, type SearchPage } from './search.js';

type Reader = Pick<Deps, 'searchIndex' | 'views' | 'clock'>;

export interface Explanation {
  /** 1-based position in the plain order. */
  plainRank: number;
  text: number;
  affinity: number;
  popularity: number;
  final: number;
}

export type ShopperSearchPage = SearchPage & { hits: Array<SearchPage['hits'][number] & { explain?: Explanation }>; personalized: boolean };

export interface Viewer {
  userId: string;
  /** Attach each hit's ranking parts (admins). */
  explain?: boolean;
}

/**
 * A search for a viewer (docs/search-and-listing.md, Personalization). Anonymous viewers, other sorts, no
 * keyword, viewers without an active profile and pages past the window get exactly `searchProducts`.
 * Otherwise the first RERANK.window hits the index returns are re-ranked with the viewer's affinity and
 * the popularity prior: the same hits, facets and total, only their order within the window changes.
 */
export async function searchForViewer(deps: Reader, query: SearchQuery, viewer: Viewer | null): Promise<ShopperSearchPage> {
  const plain = async (): Promise<ShopperSearchPage> => {
    const page = await searchProducts(deps, query);
    if (!viewer?.explain) return { ...page, personalized: false };
    const offset = (page.page - 1) * page.size;
    return { ...page, personalized: false, hits: page.hits.map((hit, i) => ({ ...hit, explain: plainParts(offset + i) })) };
  };
  if (!viewer) return plain();
  let normalized;
  try {
    normalized = normalizeSearchQuery(query);
  } catch {
    return plain(); // answers the query's problems as a plain search does
  }
  if (normalized.sort !== 'relevance' || normalized.q.trim() === '') return plain();
  const start = (normalized.page - 1) * normalized.size;
  if (start >= RERANK.window) return plain();
  const now = deps.clock.now().getTime();
  const profile = await getProfileDoc(deps, viewer.userId);
  if (!isActive(profile, now)) return plain();

  // searchProducts runs the plain search (whatever it adds to the query: synonyms…) through this index,
  // which asks for the window instead of the page, re-ranks it and answers the page: only the page is
  // dressed. Only the first search is windowed (a later one, e.g. zero-result advice, passes through).
  const end = start + normalized.size;
  const explained = new Map<string, Explanation>();
  let windowed = false;
  let reordered = false;
  const windowing = Object.assign(Object.create(deps.searchIndex) as SearchIndex, {
    search: async (sent: SearchQuery): Promise<SearchResult> => {
      if (windowed) return deps.searchIndex.search(sent);
      windowed = true;
      const window = await deps.searchIndex.search({ ...sent, page: 1, size: RERANK.window });
      if (window.total <= 1) return deps.searchIndex.search(sent);
      const facts = await factsOf(deps, window.hits.map((hit) => hit.id));
      const ranked = rankWindow(profile, window.hits.map((hit) => ({ id: hit.id, categoryId: hit.category, brandId: hit.brand.id })), facts, now);
      reordered = true;
      const byId = new Map(window.hits.map((hit) => [hit.id, hit]));
      let hits: SearchHit[] = ranked.slice(start, end).map((parts) => byId.get(parts.id)!);
      for (const parts of ranked.slice(start, end)) explained.set(parts.id, explanation(parts));
      if (end > RERANK.window && window.total > RERANK.window) {
        // The page straddles the window's end: the rest comes from the plain order.
        const rest = await deps.searchIndex.search(sent);
        const offset = RERANK.window - start;
        rest.hits.slice(offset).forEach((hit, i) => explained.set(hit.id, plainParts(RERANK.window + i)));
        hits = [...hits, ...rest.hits.slice(offset)];
      }
      return { ...window, page: normalized.page, size: normalized.size, hits };
    },
  });
  const page = await searchProducts({ ...deps, searchIndex: windowing }, query);
  if (!reordered) return { ...page, personalized: false, hits: viewer.explain ? page.hits.map((hit, i) => ({ ...hit, explain: plainParts(start + i) })) : page.hits };
  return { ...page, hits: page.hits.map((hit) => (viewer.explain ? { ...hit, explain: explained.get(hit.id)! } : hit)), personalized: true };
}

/** The window's hits (plain order) in the personalized order with their parts. */
export function rankWindow(profile: AffinityProfile, hits: Array<{ id: string; categoryId: string; brandId: string }>, facts: Map<string, ProductFactsDoc>, nowMs: number): RankParts[] {
  return rerank(
    hits.map((hit) => {
      const known = facts.get(hit.id);
      const productFacts: ProductFacts = { categoryId: hit.categoryId, brandId: hit.brandId, attributes: known?.attributes ?? [] };
      return { id: hit.id, affinity: productAffinity(profile, productFacts, nowMs), popularity: known ? popularity(known.popularity, known.popularityAsOf, nowMs) : 0 };
    }),
  );
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;
const explanation = (parts: RankParts): Explanation => ({ plainRank: parts.plainRank + 1, text: round(parts.text), affinity: round(parts.affinity), popularity: round(parts.popularity), final: round(parts.final) });
const plainParts = (rank: number): Explanation => ({ plainRank: rank + 1, text: round(textScore(rank)), affinity: 0, popularity: 0, final: round(textScore(rank)) });

/** Product facts change rarely and popularity slowly: each is read at most every FACTS_TTL_MS per process. */
const FACTS_TTL_MS = 30_000;
const caches = new WeakMap<object, LruMap<string, { doc: ProductFactsDoc | null; until: number }>>();

async function factsOf(deps: Pick<Deps, 'views'>, ids: string[]): Promise<Map<string, ProductFactsDoc>> {
  let cache = caches.get(deps.views);
  if (!cache) caches.set(deps.views, (cache = new LruMap(50_000)));
  const now = Date.now();
  const out = new Map<string, ProductFactsDoc>();
  const missing: string[] = [];
  for (const id of ids) {
    const cached = cache.get(id);
    if (cached && cached.until > now) {
      if (cached.doc) out.set(id, cached.doc);
    } else missing.push(id);
  }
  const docs = await Promise.all(missing.map((id) => deps.views.get<ProductFactsDoc>(SHOPPER_PRODUCTS, id)));
  missing.forEach((id, i) => {
    const doc = docs[i] ?? null;
    cache.set(id, { doc, until: now + FACTS_TTL_MS });
    if (doc) out.set(id, doc);
  });
  return out;
}
