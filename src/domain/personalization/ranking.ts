/**
 * The personalized re-rank of a search's top window (docs/search-and-listing.md, Personalization).
 * The index's keyword match is the gate: this only permutes the hits it is given.
 *
 *   final = text(r) + AFFINITY_WEIGHT · affinity + POPULARITY_WEIGHT · popularity
 *   text(r) = 1 / log2(r + 2)   (r = 0-based plain rank: 1, 0.63, 0.5, … 0.15 at r = 99)
 *
 * The text part comes from the plain rank, not the engine's score: ranks are what the embedded engine and
 * Elasticsearch agree on (their BM25 statistics differ), so both get the same re-rank. Ties keep the plain
 * order. When no hit of the window has any affinity the plain order is kept as it is (popularity alone
 * never reorders), and the plain top hit is never placed below KEEP_PLAIN_TOP_WITHIN.
 */

export const RERANK = {
  /** Hits re-ranked (three pages of 20; 100 ranked a little better for 0.4 ms more at 1M SKUs); later pages keep the plain order. */
  window: 60,
  affinityWeight: 1,
  popularityWeight: 0.2,
  /** The plain top hit stays within the first this many. */
  keepPlainTopWithin: 5,
} as const;

export interface RerankInput {
  id: string;
  /** 0..1 (productAffinity). */
  affinity: number;
  /** 0..1 (popularity). */
  popularity: number;
}

export interface RankParts {
  id: string;
  /** 0-based position in the plain order. */
  plainRank: number;
  text: number;
  affinity: number;
  popularity: number;
  final: number;
}

export const textScore = (plainRank: number): number => 1 / Math.log2(plainRank + 2);

/** The hits (in plain order) with their parts, in the personalized order. */
export function rerank(hits: RerankInput[]): RankParts[] {
  const parts = hits.map((hit, plainRank) => {
    const text = textScore(plainRank);
    const final = text + RERANK.affinityWeight * hit.affinity + RERANK.popularityWeight * hit.popularity;
    return { id: hit.id, plainRank, text, affinity: hit.affinity, popularity: hit.popularity, final };
  });
  if (!hits.some((hit) => hit.affinity > 0)) return parts.map((part) => ({ ...part, final: part.text }));
  const ordered = [...parts].sort((a, b) => b.final - a.final || a.plainRank - b.plainRank);
  const top = ordered.findIndex((part) => part.plainRank === 0);
  const limit = RERANK.keepPlainTopWithin - 1;
  if (top > limit) ordered.splice(limit, 0, ...ordered.splice(top, 1));
  return ordered;
}
