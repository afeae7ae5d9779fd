/**
 * Suggestions (completions as the shopper types), the same for every SearchIndex adapter. A listed
 * product offers phrases: its brand name, its category names (leaf and ancestors) and the phrases of its
 * title (each Chinese word of two or more characters, each pair of adjacent Chinese words, each Latin or
 * model word of two or more characters), folded as the analyzer folds text (NFKC, lower case). Each
 * phrase is reachable under keys: its letters and digits run together (`iphone 15` → `iphone15`), and
 * for a phrase with Chinese its pinyin (`武侠小说` → `wuxiaxiaoshuo`) and its initials (`wxxs`), Latin parts
 * kept as they are. A typed prefix, folded the same way (`Wuxia X` → `wuxiax`), finds the phrases with a
 * key that starts with it. Entries `key␟phrase` are what both engines store and rank.
 */
import type { ProductSearchDocument } from '../ports/search-index.js';
import { wordPinyin } from './pinyin.js';
import { LruMap } from '../kernel/lru-map.js';
import { categoryNamesOf, normalize, textSegments } from './text.js';

export const SUGGEST_SEPARATOR = '\u001f';
/** Phrases a product offers at most (its title's first ones first). */
const MAX_PHRASES = 32;
const MAX_PHRASE_LENGTH = 30;

const NOT_KEY = /[^\p{L}\p{N}]+/gu;
const HAS_LETTER = /\p{L}/u;
const RUNS = /\p{Script=Han}+|[^\p{Script=Han}]+/gu;

/** A typed prefix or a phrase as keys compare them: folded, letters and digits only. */
export function suggestKey(text: string): string {
  return normalize(text).replace(NOT_KEY, '');
}

const KEY_CHARACTER = /[\p{L}\p{N}]/u;
/** Brand and category names, folded for display (a few thousand, asked for by every product). */
const displayNames = new LruMap<string, string>(20_000);
function displayed(name: string): string {
  let folded = displayNames.get(name);
  if (folded === undefined) displayNames.set(name, (folded = normalize(name).trim().replace(/\s+/g, ' ')));
  return folded;
}

/** The phrases a product offers (see the module comment). */
export function suggestionPhrases(doc: Pick<ProductSearchDocument, 'title' | 'brand' | 'categoryName' | 'categoryNames'>): string[] {
  const phrases = new Set<string>();
  const add = (phrase: string) => {
    if (phrases.size < MAX_PHRASES && phrase.length <= MAX_PHRASE_LENGTH && KEY_CHARACTER.test(phrase)) phrases.add(phrase);
  };
  add(displayed(doc.brand.name));
  for (const name of categoryNamesOf(doc)) add(displayed(name));
  let previousHan: string | null = null;
  for (const { segment, han, joined } of textSegments(doc.title)) {
    if (han) {
      if (segment.length >= 2) add(segment);
      if (previousHan !== null && joined) add(previousHan + segment);
      previousHan = segment;
    } else {
      previousHan = null;
      if (segment.length >= 2 && HAS_LETTER.test(segment)) add(segment);
    }
  }
  return [...phrases];
}

const keysOf = new LruMap<string, string[]>(200_000);

/** The keys of a phrase: its letters and digits, and with Chinese its pinyin and initials. */
export function phraseKeys(phrase: string): string[] {
  const known = keysOf.get(phrase);
  if (known) return known;
  const keys = computeKeys(phrase);
  keysOf.set(phrase, keys);
  return keys;
}

function computeKeys(phrase: string): string[] {
  const keys = new Set([suggestKey(phrase)]);
  if (/\p{Script=Han}/u.test(phrase)) {
    let full = '';
    let initials = '';
    for (const run of phrase.match(RUNS) ?? []) {
      const reading = wordPinyin(run);
      if (reading) {
        full += reading.full;
        initials += reading.initials;
      } else {
        const kept = suggestKey(run);
        full += kept;
        initials += kept;
      }
    }
    if (full) keys.add(full);
    if (initials) keys.add(initials);
  }
  return [...keys];
}

/** `key␟phrase` entries of a product, as both engines store them. */
export function suggestionEntries(doc: Pick<ProductSearchDocument, 'title' | 'brand' | 'categoryName' | 'categoryNames'>): string[] {
  return suggestionPhrases(doc).flatMap(phraseEntries);
}

const entriesOf = new LruMap<string, string[]>(200_000);
/** The `key␟phrase` entries of a phrase. */
export function phraseEntries(phrase: string): string[] {
  let entries = entriesOf.get(phrase);
  if (!entries) entriesOf.set(phrase, (entries = phraseKeys(phrase).map((key) => key + SUGGEST_SEPARATOR + phrase)));
  return entries;
}

/** The phrase of an entry. */
export const entryPhrase = (entry: string) => entry.slice(entry.indexOf(SUGGEST_SEPARATOR) + 1);
