/**
 * Pinyin of Chinese words, for matching and suggestions typed in pinyin (`shouji` or its initials `sj`
 * for 手机). Readings come from pinyin-pro (its dictionary picks a polyphonic character's reading from the
 * word around it: 银行 → yin hang, 行走 → xing zou); ü is written v, as pinyin keyboards type it (绿 → lv).
 * Both are cached per word: a catalog repeats a few thousand words.
 */
import { pinyin } from 'pinyin-pro';
import { LruMap } from '../kernel/lru-map.js';

const HAN_ONLY = /^\p{Script=Han}+$/u;

export interface WordPinyin {
  /** The syllables run together (手机 → shouji). */
  full: string;
  /** The first letter of each syllable (手机 → sj). */
  initials: string;
}

const cache = new LruMap<string, WordPinyin>(50_000);

/** The pinyin of a word of Chinese characters only; null for any other word. */
export function wordPinyin(word: string): WordPinyin | null {
  if (!HAN_ONLY.test(word)) return null;
  const known = cache.get(word);
  if (known) return known;
  const syllables = pinyin(word, { toneType: 'none', type: 'array', v: true }).map((syllable) => syllable.toLowerCase().replace(/[^a-z]/g, ''));
  const result = { full: syllables.join(''), initials: syllables.map((syllable) => syllable[0] ?? '').join('') };
  cache.set(word, result);
  return result;
}

/** Marks a pinyin term, so that it never meets a Latin word of the same spelling in the postings. */
export const PINYIN_MARK = '~';

/**
 * The pinyin terms of a text's Chinese words (`tokens` are its words as `tokenize` gives them): each
 * word's full pinyin, and for words of two or more characters their initials as well (single letters are
 * not worth a term).
 */
export function pinyinTerms(tokens: readonly string[]): string[] {
  const terms: string[] = [];
  for (const token of tokens) for (const term of termsOf(token)) terms.push(term);
  return terms;
}

const NONE: readonly string[] = [];
const termCache = new LruMap<string, readonly string[]>(50_000);

function termsOf(token: string): readonly string[] {
  let terms = termCache.get(token);
  if (terms) return terms;
  const reading = wordPinyin(token);
  if (!reading || !/^[a-z]+$/.test(reading.full)) terms = NONE;
  else terms = token.length >= 2 ? [PINYIN_MARK + reading.full, PINYIN_MARK + reading.initials] : [PINYIN_MARK + reading.full];
  termCache.set(token, terms);
  return terms;
}

/** A query word that may be pinyin: Latin letters only, two or more. */
export function mayBePinyin(word: string): boolean {
  return /^[a-z]{2,}$/.test(word);
}
