/**
 * The one tokenizer of product search, used identically at index and query time by every SearchIndex
 * adapter, so that all engines match the same words.
 *
 * - NFKC (full-width Ｔ恤 → t恤) and lower case.
 * - Chinese and other scripts without spaces: ICU word segmentation (`Intl.Segmenter`), so 武侠小说 is
 *   武侠 + 小说 and never matches 说明书 (说明 + 书).
 * - ICU leaves words missing from its dictionary as single characters (华为 → 华 + 为). A run of such
 *   characters also yields its adjacent pairs (华为), so a query for 华为 requires them side by side.
 * - Letters and digits are split apart (iPhone15 → iphone + 15) and English plurals are folded with
 *   Harman's S-stemmer (headphones → headphone).
 */

import type { ProductSearchDocument, SearchHit } from '../ports/search-index.js';
import { LruMap } from '../kernel/lru-map.js';

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

const ASCII = /^[ -~\s]*$/;
/** Letters, digits and marks: punctuation and spaces always end a word, so text is segmented run by run. */
const RUN = /[\p{L}\p{N}\p{M}]+/gu;
const ASCII_RUN = /^[a-z0-9]+$/;
const WORD_PARTS = /\p{L}+|\p{N}+/gu;
const IDEOGRAPH = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]$/u;
const POSSESSIVE = /['’]s(?![\p{L}\p{N}])/gu;

/** Segmentation of a run is a pure function of it: cache the frequent ones (titles repeat phrases). */
const runCache = new Map<string, readonly string[]>();
const RUN_CACHE_SIZE = 100_000;

/** Harman's S-stemmer: folds English plurals only, never shortening a word below three letters. */
function stem(word: string): string {
  if (word.length < 4 || !/^[a-z]+$/.test(word)) return word;
  if (word.endsWith('ies') && !word.endsWith('eies') && !word.endsWith('aies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('es') && !/(?:aes|ees|oes)$/.test(word)) return word.slice(0, -1);
  if (word.endsWith('s') && !/(?:us|ss)$/.test(word)) return word.slice(0, -1);
  return word;
}

function pushWordParts(word: string, out: string[]): void {
  for (const part of word.match(WORD_PARTS) ?? []) out.push(stem(part));
}

function segmentRun(run: string): readonly string[] {
  const tokens: string[] = [];
  let singles: string[] = [];
  const flushSingles = () => {
    for (let i = 1; i < singles.length; i++) tokens.push(singles[i - 1]! + singles[i]!);
    singles = [];
  };
  for (const { segment, isWordLike } of segmenter.segment(run)) {
    if (!isWordLike) {
      flushSingles();
    } else if (IDEOGRAPH.test(segment)) {
      tokens.push(segment);
      singles.push(segment);
    } else {
      flushSingles();
      pushWordParts(segment, tokens);
    }
  }
  flushSingles();
  return tokens;
}

/** The words of a text, in order and with repeats (index time). */
export function tokenize(text: string): string[] {
  const normalized = (ASCII.test(text) ? text : text.normalize('NFKC')).toLowerCase().replace(POSSESSIVE, '');
  const tokens: string[] = [];
  for (const run of normalized.match(RUN) ?? []) {
    if (ASCII_RUN.test(run)) {
      pushWordParts(run, tokens);
      continue;
    }
    let words = runCache.get(run);
    if (!words) {
      if (runCache.size >= RUN_CACHE_SIZE) runCache.clear();
      runCache.set(run, (words = segmentRun(run)));
    }
    for (const word of words) tokens.push(word);
  }
  return tokens;
}

/** The distinct words of a query: a document matches when it holds every one of them. */
export function queryTerms(query: string): string[] {
  return [...new Set(tokenize(query))];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * The text, HTML-escaped, with each word that yields a query term wrapped in <em>…</em>; adjacent
 * marked words share one <em> (华 + 为 → <em>华为</em>).
 */
export function highlight(text: string, terms: readonly string[]): string {
  const wanted = new Set(terms);
  let html = '';
  let open = false;
  for (const word of segmented(text)) {
    const hit = word.tokens !== null && word.tokens.some((token) => wanted.has(token));
    if (hit !== open) html += hit ? '<em>' : '</em>';
    open = hit;
    html += word.html;
  }
  return open ? `${html}</em>` : html;
}

/** A segment of a text, escaped, with the tokens it yields (null: not a word). */
interface Segment {
  html: string;
  tokens: readonly string[] | null;
}

const segmentedTexts = new LruMap<string, Segment[]>(20_000);

/**
 * The segments of a text (LRU): segmenting is what highlighting costs, and the titles of popular products
 * are highlighted for query after query.
 */
function segmented(text: string): Segment[] {
  const known = segmentedTexts.get(text);
  if (known) return known;
  const segments = [...segmenter.segment(text)].map(({ segment, isWordLike }) => ({ html: escapeHtml(segment), tokens: isWordLike === true ? tokenize(segment) : null }));
  segmentedTexts.set(text, segments);
  return segments;
}

/** BM25F weights of the searchable fields; `keywords` holds the brand name and the attribute values. */
export const FIELD_WEIGHTS = { title: 3, keywords: 2, description: 1 } as const;
export type SearchField = keyof typeof FIELD_WEIGHTS;
export const SEARCH_FIELDS = Object.keys(FIELD_WEIGHTS) as SearchField[];

/** The words of each searchable field of a product. */
export function documentTerms(doc: Pick<ProductSearchDocument, 'title' | 'description' | 'brand' | 'attributes'>): Record<SearchField, string[]> {
  return {
    title: tokenize(doc.title),
    keywords: tokenize([doc.brand.name, ...Object.values(doc.attributes).flat()].join(' ')),
    description: tokenize(doc.description),
  };
}

type HitSource = Pick<ProductSearchDocument, 'id' | 'title' | 'brand' | 'categoryId' | 'minPrice' | 'maxPrice' | 'currency' | 'inStock' | 'image'>;

/** A search hit of a stored document; `terms` are the query's words (none: no highlight). */
export function toSearchHit(doc: HitSource, terms: readonly string[]): SearchHit {
  return {
    id: doc.id,
    title: doc.title,
    brand: doc.brand,
    category: doc.categoryId,
    minPrice: doc.minPrice,
    maxPrice: doc.maxPrice,
    currency: doc.currency,
    inStock: doc.inStock,
    image: doc.image,
    highlight: terms.length > 0 ? highlight(doc.title, terms) : null,
  };
}
