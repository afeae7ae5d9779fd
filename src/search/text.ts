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

import type { ProductSearchDocument } from '../ports/search-index.js';

const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });

const ASCII = /^[\x00-\x7f]*$/;
const WORD_PARTS = /\p{L}+|\p{N}+/gu;
const IDEOGRAPH = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]$/u;
const NEEDS_SEGMENTER = /[^\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}\p{Script=Greek}\p{Script=Cyrillic}]/u;

/** Segmentation of a whitespace-free chunk is a pure function of it: cache the frequent ones. */
const chunkCache = new Map<string, readonly string[]>();
const CHUNK_CACHE_SIZE = 50_000;

/** Harman's S-stemmer: folds English plurals only, never shortening a word below three letters. */
function stem(word: string): string {
  if (word.length < 4 || !/^[a-z]+$/.test(word)) return word;
  if (word.endsWith('ies') && !word.endsWith('eies') && !word.endsWith('aies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('es') && !/(?:aes|ees|oes)$/.test(word)) return word.slice(0, -1);
  if (word.endsWith('s') && !/(?:us|ss)$/.test(word)) return word.slice(0, -1);
  return word;
}

const POSSESSIVE = /['’]s(?![\p{L}\p{N}])/gu;

function pushWordParts(word: string, out: string[]): void {
  for (const part of word.replace(POSSESSIVE, '').match(WORD_PARTS) ?? []) out.push(stem(part));
}

function segmentChunk(chunk: string): readonly string[] {
  const cached = chunkCache.get(chunk);
  if (cached) return cached;
  const tokens: string[] = [];
  if (!NEEDS_SEGMENTER.test(chunk)) {
    pushWordParts(chunk, tokens);
  } else {
    let run: string[] = [];
    const flushRun = () => {
      for (let i = 1; i < run.length; i++) tokens.push(run[i - 1]! + run[i]!);
      run = [];
    };
    for (const { segment, isWordLike } of segmenter.segment(chunk)) {
      if (!isWordLike) {
        flushRun();
      } else if (IDEOGRAPH.test(segment)) {
        tokens.push(segment);
        run.push(segment);
      } else {
        flushRun();
        pushWordParts(segment, tokens);
      }
    }
    flushRun();
  }
  if (chunkCache.size >= CHUNK_CACHE_SIZE) chunkCache.clear();
  chunkCache.set(chunk, tokens);
  return tokens;
}

/** The words of a text, in order and with repeats (index time). */
export function tokenize(text: string): string[] {
  const normalized = (ASCII.test(text) ? text : text.normalize('NFKC')).toLowerCase();
  const tokens: string[] = [];
  for (const chunk of normalized.split(/\s+/)) {
    if (chunk) for (const token of segmentChunk(chunk)) tokens.push(token);
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
  for (const { segment, isWordLike } of segmenter.segment(text)) {
    const hit = isWordLike === true && tokenize(segment).some((token) => wanted.has(token));
    if (hit !== open) html += hit ? '<em>' : '</em>';
    open = hit;
    html += escapeHtml(segment);
  }
  return open ? `${html}</em>` : html;
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
