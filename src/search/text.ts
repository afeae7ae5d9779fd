/**
 * The one tokenizer of product search, used identically at index and query time by every SearchIndex
 * adapter, so that all engines match the same words.
 *
 * - NFKC (full-width Ｔ恤 → t恤, ＰＨＯＮＥ → phone), lower case, and Latin letters without their accents
 *   (café → cafe).
 * - Chinese and other scripts without spaces: ICU word segmentation (`Intl.Segmenter`), so 武侠小说 is
 *   武侠 + 小说 and never matches 说明书 (说明 + 书).
 * - ICU leaves words missing from its dictionary as single characters (华为 → 华 + 为). A run of such
 *   characters also yields its adjacent pairs (华为), so a query for 华为 requires them side by side.
 * - Letters and digits are split apart (iPhone15 → iphone + 15) and English plurals are folded by a light
 *   plural stemmer (`stem`: phones → phone, boxes → box, batteries → battery, shoes → shoe). It folds
 *   plurals only, never -ing or -ed, so product words keep their meaning (organic is not organ).
 *
 * Besides the words, `headTerms` finds the heads of a title's or a category name's phrases (the last word
 * of a Chinese compound: 手机 in 智能手机 but 壳 in 手机壳), a ranking signal (RANKING below).
 *
 * ANALYSIS_VERSION changes whenever a text's words or heads may change: stored words are then stale.
 */

import type { ProductSearchDocument, SearchHit } from '../ports/search-index.js';
import { LruMap } from '../kernel/lru-map.js';
import { PINYIN_MARK, pinyinTerms, wordPinyin } from './pinyin.js';

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

const ASCII = /^[ -~\s]*$/;
/** Letters, digits and marks: punctuation and spaces always end a word, so text is segmented run by run. */
const RUN = /[\p{L}\p{N}\p{M}]+/gu;
const ASCII_RUN = /^[a-z0-9]+$/;
const WORD_PARTS = /\p{L}+|\p{N}+/gu;
const IDEOGRAPH = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]$/u;
const HAN_WORD = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+$/u;
const POSSESSIVE = /['’]s(?![\p{L}\p{N}])/gu;
const LETTERS = /^[a-z]+$/;
/** Latin letters that may carry accents (Latin-1 Supplement to Latin Extended Additional). */
const ACCENTED_LATIN = /[\u00c0-\u024f\u1e00-\u1eff]/;
const LATIN_MARKS = /(\p{Script=Latin})\p{M}+/gu;

/** Segmentation of a run is a pure function of it: cache the frequent ones (titles repeat phrases). */
const runCache = new Map<string, readonly string[]>();
const RUN_CACHE_SIZE = 100_000;

/** Words that end in s and are not plurals of another word a product would use (news is not new). */
const NOT_PLURALS = new Set(['news', 'series', 'species', 'means', 'lens', 'canvas', 'bias', 'atlas', 'alias', 'gas']);

/**
 * A light English plural stemmer: Harman's S-stemmer with the sibilant, -oes and -ves plurals added. A
 * word and its plural always reach the same stem, even where the stem is not a word: a singular ending in
 * -ie, -che, -oe, -lve or -ive is folded as its plural is (movie → movy, cache → cach, shoe → sho,
 * valve → valf, drive → drife; shelves → shelf, knives → knife). Words of fewer than
 * four letters, words ending in -ss, -us or -is, and NOT_PLURALS are kept.
 */
export function stem(word: string): string {
  if (word.length < 4 || !LETTERS.test(word) || NOT_PLURALS.has(word)) return word;
  const last = word.charCodeAt(word.length - 1);
  if (last !== 115 /* s */) {
    if (word.endsWith('ie')) return `${word.slice(0, -2)}y`;
    if (word.endsWith('che')) return word.slice(0, -1);
    if (word.endsWith('oe')) return word.slice(0, -1);
    if (word.endsWith('lve')) return `${word.slice(0, -2)}f`;
    if (word.endsWith('ive')) return `${word.slice(0, -2)}fe`;
    return word;
  }
  if (/(?:ss|us|is)$/.test(word)) return word;
  if (word.endsWith('ies')) return word.length > 4 && !/[ae]ies$/.test(word) ? `${word.slice(0, -3)}y` : word.slice(0, -1);
  if (/(?:sses|ches|shes|xes|zzes)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('oes')) return word.length > 4 ? word.slice(0, -2) : word.slice(0, -1);
  if (word.endsWith('lves')) return `${word.slice(0, -3)}f`;
  if (word.endsWith('ives')) return `${word.slice(0, -3)}fe`;
  return word.slice(0, -1);
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

/** NFKC, lower case, Latin letters without accents, no possessive 's. */
export function normalize(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase().replace(POSSESSIVE, '');
  let folded = text.normalize('NFKC').toLowerCase();
  if (ACCENTED_LATIN.test(folded)) folded = folded.normalize('NFD').replace(LATIN_MARKS, '$1').normalize('NFC');
  return folded.replace(POSSESSIVE, '');
}

/** The words of a text, in order and with repeats (index time). */
export function tokenize(text: string): string[] {
  const normalized = normalize(text);
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

/** The Latin words of a text as typed (folded, not stemmed), each under its stem: what the typo rule compares. */
export function latinWordsAsTyped(text: string): Map<string, string> {
  const words = new Map<string, string>();
  for (const part of normalize(text).match(/[a-z]+/g) ?? []) if (!words.has(stem(part))) words.set(stem(part), part);
  return words;
}

/** English words that end a phrase without being part of it ("case for iPhone": case is a head). */
const FUNCTION_WORDS = new Set(['for', 'with', 'without', 'and', 'or', 'of', 'in', 'on', 'to', 'by', 'from', 'the', 'a', 'an']);
/** Only spaces and hyphens join Latin words into one phrase (Sony WH-1000XM5 Wireless Headphones). */
const LATIN_JOINER = /^[\s\-‐‑–]*$/u;
const LETTER_PARTS = /\p{L}+/gu;
/** Heads of category names: a few hundred names, asked for by every document. */
const categoryHeads = new LruMap<string, string[]>(10_000);

/**
 * The heads of the phrases of a title or a category name: the words that name what the thing is. A
 * Chinese compound ends with its head (智能手机 → 手机; 手机壳 → 壳; 手机使用说明书 → 书); a Latin phrase — words joined by spaces or hyphens, up to
 * punctuation, a Chinese word or a function word — ends with its head (Wireless Headphones → headphone;
 * Phone Case for iPhone 15 → case, iphone). The head of a Chinese run of single characters also yields
 * its last pair (华为 → 为, 华为).
 */
export function headTerms(text: string): string[] {
  return [...new Set(headGroups(text).flat())];
}

/**
 * The head of a query: the head of its last phrase (华为 手机 → 手机; 华为 手机壳 → 壳; iphone 15 case →
 * case). RANKING boosts the products whose category name or title that word heads, so a query for cases
 * does not favour phones.
 */
export function queryHead(query: string): string[] {
  return headGroups(query).at(-1) ?? [];
}

/** The heads of each phrase of a text, in order. */
function headGroups(text: string): string[][] {
  const normalized = normalize(text);
  const groups: string[][] = [];
  let latinHead: string[] = [];
  const endLatin = () => {
    if (latinHead.length > 0) groups.push(latinHead);
    latinHead = [];
  };
  let end = 0;
  for (const match of normalized.matchAll(RUN)) {
    if (!LATIN_JOINER.test(normalized.slice(end, match.index))) endLatin();
    end = match.index + match[0].length;
    const words = runWords(match[0]);
    words.forEach((word, i) => {
      if (word.han) {
        endLatin();
        if (words[i + 1]?.han) return;
        const before = words[i - 1];
        const pair = word.segment.length === 1 && before?.han && before.segment.length === 1;
        groups.push(pair ? [word.segment, before.segment + word.segment] : [word.segment]);
      } else if (FUNCTION_WORDS.has(word.segment)) {
        endLatin();
      } else {
        if (LETTERS.test(word.segment)) {
          latinHead = [stem(word.segment)];
        } else {
          const letters = word.segment.match(LETTER_PARTS);
          if (letters) latinHead = letters.map(stem);
        }
      }
    });
  }
  endLatin();
  return groups;
}

interface RunWord {
  segment: string;
  han: boolean;
}

/**
 * The word segments of a text, folded, in order, with `joined` true when nothing but the run's own
 * continuation separates a segment from the one before (no space or punctuation): what suggestion phrases
 * are made of (segments cached per run, as tokenize's are).
 */
export function textSegments(text: string): Array<RunWord & { joined: boolean }> {
  const segments: Array<RunWord & { joined: boolean }> = [];
  for (const run of normalize(text).match(RUN) ?? []) runWords(run).forEach((word, i) => segments.push({ ...word, joined: i > 0 }));
  return segments;
}
const runWordsCache = new Map<string, readonly RunWord[]>();

/** The word segments of a run, Chinese (and Japanese) words marked (cached as runCache is). */
function runWords(run: string): readonly RunWord[] {
  const known = runWordsCache.get(run);
  if (known) return known;
  const words: RunWord[] = [];
  if (ASCII_RUN.test(run)) {
    words.push({ segment: run, han: false });
  } else {
    for (const { segment, isWordLike } of segmenter.segment(run)) {
      if (isWordLike) words.push({ segment, han: HAN_WORD.test(segment) });
    }
  }
  if (runWordsCache.size >= RUN_CACHE_SIZE) runWordsCache.clear();
  runWordsCache.set(run, words);
  return words;
}

/** The distinct words of a query: a document matches when it holds every one of them. */
export function queryTerms(query: string): string[] {
  return [...new Set(tokenize(query))];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * The text, HTML-escaped, with each word that yields a query term (or whose pinyin is a query's pinyin
 * term) wrapped in <em>…</em>; adjacent marked words share one <em> (华 + 为 → <em>华为</em>).
 */
export function highlight(text: string, terms: readonly string[]): string {
  const wanted = new Set(terms);
  const pinyin = terms.some((term) => term.startsWith(PINYIN_MARK));
  const wantedToken = (token: string) => {
    if (wanted.has(token)) return true;
    if (!pinyin) return false;
    const reading = wordPinyin(token);
    return reading !== null && (wanted.has(PINYIN_MARK + reading.full) || (token.length >= 2 && wanted.has(PINYIN_MARK + reading.initials)));
  };
  let html = '';
  let open = false;
  for (const word of segmented(text)) {
    const hit = word.tokens !== null && word.tokens.some(wantedToken);
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

export const ANALYSIS_VERSION = 5;

/**
 * BM25F weights of the searchable fields: `keywords` holds the brand name, the attribute values, the
 * names of the product's categories (leaf and ancestors) and its SKU codes; `pinyin` the pinyin terms
 * (src/search/pinyin.ts, marked with `~`) of the Chinese words of its title, brand and category names.
 */
export const FIELD_WEIGHTS = { title: 3, keywords: 2, description: 1, pinyin: 1 } as const;
export type SearchField = keyof typeof FIELD_WEIGHTS;
export const SEARCH_FIELDS = Object.keys(FIELD_WEIGHTS) as SearchField[];

type TermSource = Pick<ProductSearchDocument, 'title' | 'description' | 'brand' | 'attributes' | 'categoryName' | 'categoryNames' | 'skuCodes'>;

/** The names of a product's categories, root first (documents of older releases know only the leaf's). */
export function categoryNamesOf(doc: Pick<ProductSearchDocument, 'categoryName' | 'categoryNames'>): string[] {
  return doc.categoryNames ?? (doc.categoryName ? [doc.categoryName] : []);
}

/** The words of each searchable field of a product. */
export function documentTerms(doc: TermSource): Record<SearchField, string[]> {
  const title = tokenize(doc.title);
  const brand = tokenize(doc.brand.name);
  const categories = tokenize(categoryNamesOf(doc).join(' '));
  const other = tokenize([...Object.values(doc.attributes).flat(), ...(doc.skuCodes ?? [])].join(' '));
  return {
    title,
    keywords: [...brand, ...categories, ...other],
    description: tokenize(doc.description),
    pinyin: pinyinTerms([...new Set([...title, ...brand, ...categories])]),
  };
}

/**
 * Relevance beyond BM25F, the same in every adapter: a keyword query's BM25F score is multiplied by
 *   1 + categoryHead·[the query's head (queryHead) heads the product's category name]
 *     + titleHead·[it heads a phrase of the product's title]
 *     + inStock·[in stock] + sales·log10(1 + salesCount)
 * so that for 手机 the phones (category 手机, titles …智能手机) come before 手机壳 and 手机支架 even when
 * only their description says 手机, and among equals the products people buy and can buy now come first.
 */
export const RANKING = { categoryHead: 2, titleHead: 1, inStock: 0.25, sales: 0.1 } as const;

/** The part of the RANKING multiplier that does not depend on the query. */
export function rankingPrior(doc: Pick<ProductSearchDocument, 'inStock' | 'salesCount'>): number {
  return 1 + (doc.inStock ? RANKING.inStock : 0) + RANKING.sales * Math.log10(1 + Math.max(0, doc.salesCount));
}

/** The head words of a product's category name and of its title (RANKING). */
export function documentHeads(doc: Pick<ProductSearchDocument, 'title' | 'categoryName'>): { category: string[]; title: string[] } {
  let category: string[] = [];
  if (doc.categoryName) {
    const known = categoryHeads.get(doc.categoryName);
    if (known) category = known;
    else categoryHeads.set(doc.categoryName, (category = headTerms(doc.categoryName)));
  }
  return { category, title: headTerms(doc.title) };
}

type HitSource = Pick<ProductSearchDocument, 'id' | 'title' | 'brand' | 'categoryId' | 'minPrice' | 'maxPrice' | 'currency' | 'inStock' | 'image'>;

/**
 * A search hit of a stored document; `terms` are the query's words (none: no highlight). The highlight is
 * made when first read: a personalized search ranks a window of hits and shows only a page of them.
 */
export function toSearchHit(doc: HitSource, terms: readonly string[]): SearchHit {
  let highlighted: string | null | undefined;
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
    get highlight() {
      if (highlighted === undefined) highlighted = terms.length > 0 ? highlight(doc.title, terms) : null;
      return highlighted;
    },
  };
}
