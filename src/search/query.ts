/**
 * Query understanding, the same for every SearchIndex adapter: a query's words become a plan of clauses
 * that must all match, each satisfied by any one of its alternatives (a list of words that must all be
 * in the product), with a boost that orders the kinds of match:
 *
 * - the word itself (boost 1);
 * - its synonyms: a query phrase equal to a member of an admin's synonym group (compared as words, so
 *   `T-Shirt` is `t-shirt`) is one clause whose alternatives are every member of the group (0.8);
 * - the word read as pinyin, for Latin words: `shouji` finds the products whose pinyin field holds
 *   `~shouji` (手机), `sj` its initials (0.6);
 * - typos (`withTypos`): a Latin word of 5+ letters the index does not hold at all also accepts the
 *   index's words within Damerau-Levenshtein distance 1 (2 from 9 letters), as Typesense and Meilisearch
 *   count them: at most MAX_TYPO_EXPANSIONS of them, the most frequent first (0.4). A word the index
 *   holds is never expanded, so exact matches are never swamped by look-alikes.
 *
 * A clause's score is its best alternative's BM25F times that boost; the clauses' scores are summed.
 */
import { latinWordsAsTyped, queryHead, tokenize } from './text.js';
import { mayBePinyin, PINYIN_MARK } from './pinyin.js';

export const BOOSTS = { exact: 1, synonym: 0.8, pinyin: 0.6, typo: 0.4 } as const;
export const MAX_TYPO_EXPANSIONS = 5;

export interface PlanAlternative {
  terms: string[];
  boost: number;
}

export interface PlanClause {
  /** The query's word (or phrase) this clause stands for, as analyzed. */
  word: string;
  alternatives: PlanAlternative[];
  /**
   * A Latin word the typo rule may expand (withTypos): `word` as analyzed (the rule applies when the index
   * does not hold it), `typed` as typed (unstemmed: what candidates are compared with), and the distance.
   */
  typo?: { word: string; typed: string; distance: number };
  /** Its typo candidates, most frequent first (withTypos). */
  corrections?: string[];
}

export interface QueryPlan {
  clauses: PlanClause[];
  /** The query's head (RANKING). */
  head: string[];
}

/** Words a typo expansion may stand for: letters only. */
const LATIN_WORD = /^[a-z]+$/;

/** Typo distance allowed for a query word (0: none): 1 from 5 letters, 2 from 9. */
export function typoDistance(word: string): number {
  if (!LATIN_WORD.test(word)) return 0;
  return word.length >= 9 ? 2 : word.length >= 5 ? 1 : 0;
}

/** Distance allowed when suggesting a correction for a word that matched nothing (didYouMean). */
export function correctionDistance(word: string): number {
  if (!LATIN_WORD.test(word)) return 0;
  return word.length >= 5 ? 2 : word.length >= 3 ? 1 : 0;
}

/**
 * Damerau-Levenshtein distance (optimal string alignment: adjacent transpositions count 1), or max + 1
 * as soon as it must exceed `max`.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a === b) return 0;
  const n = b.length;
  let before = new Array<number>(n + 1);
  let previous = Array.from({ length: n + 1 }, (_, j) => j);
  let current = new Array<number>(n + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) value = Math.min(value, before[j - 2]! + 1);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return previous[n]! <= max ? previous[n]! : max + 1;
}

export interface TypoCandidate {
  term: string;
  distance: number;
  /** Documents holding it (the postings' length). */
  frequency: number;
}

/** Candidates in the order both engines use: frequency descending, then distance, then the term. */
export function byFrequency(a: TypoCandidate, b: TypoCandidate): number {
  return b.frequency - a.frequency || a.distance - b.distance || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0);
}

interface CompiledSynonyms {
  /** First word of a member → the members starting with it (as words) and their group. */
  byFirst: Map<string, Array<{ words: string[]; group: string[][] }>>;
}

const compiled = new WeakMap<string[][], CompiledSynonyms>();

/** Synonym groups analyzed once per groups array (the query layer keeps the same array until they change). */
function compileSynonyms(groups: string[][]): CompiledSynonyms {
  const known = compiled.get(groups);
  if (known) return known;
  const byFirst = new Map<string, Array<{ words: string[]; group: string[][] }>>();
  for (const group of groups) {
    const members = dedupe(group.map((member) => tokenize(member)).filter((words) => words.length > 0));
    if (members.length < 2) continue;
    for (const words of members) {
      const list = byFirst.get(words[0]!) ?? [];
      list.push({ words, group: members });
      byFirst.set(words[0]!, list);
    }
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.words.length - a.words.length);
  const result = { byFirst };
  compiled.set(groups, result);
  return result;
}

function dedupe(lists: string[][]): string[][] {
  const seen = new Set<string>();
  return lists.filter((list) => {
    const key = list.join(' ');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The plan of a query (without typo expansions: `withTypos`). No words: no clauses (every listed product). */
export function planQuery(q: string, synonyms: string[][] = []): QueryPlan {
  const words = [...new Set(tokenize(q))];
  const typed = latinWordsAsTyped(q);
  const groups = synonyms.length > 0 ? compileSynonyms(synonyms) : null;
  const clauses: PlanClause[] = [];
  for (let i = 0; i < words.length; ) {
    const members = groups?.byFirst.get(words[i]!) ?? [];
    const found = members.find((member) => member.words.every((word, k) => words[i + k] === word));
    if (found) {
      const alternatives: PlanAlternative[] = [{ terms: found.words, boost: BOOSTS.exact }];
      // A member of more words sums more word scores: its boost is scaled down by the words typed over its words.
      for (const member of found.group) if (member !== found.words) alternatives.push({ terms: member, boost: BOOSTS.synonym * Math.min(1, found.words.length / member.length) });
      clauses.push({ word: found.words.join(' '), alternatives });
      i += found.words.length;
      continue;
    }
    const word = words[i]!;
    const alternatives: PlanAlternative[] = [{ terms: [word], boost: BOOSTS.exact }];
    if (mayBePinyin(word)) alternatives.push({ terms: [PINYIN_MARK + word], boost: BOOSTS.pinyin });
    const asTyped = typed.get(word) ?? word;
    const distance = typoDistance(asTyped);
    clauses.push({ word, alternatives, ...(distance > 0 ? { typo: { word, typed: asTyped, distance } } : {}) });
    i++;
  }
  return { clauses, head: queryHead(q) };
}

/** The plan with each clause's typo alternatives (`corrections`: analyzed word → candidates in byFrequency order). */
export function withTypos(plan: QueryPlan, corrections: ReadonlyMap<string, readonly TypoCandidate[]>): QueryPlan {
  if (corrections.size === 0) return plan;
  return {
    ...plan,
    clauses: plan.clauses.map((clause) => {
      const candidates = clause.typo ? corrections.get(clause.typo.word) : undefined;
      if (!candidates || candidates.length === 0) return clause;
      const terms = candidates.slice(0, MAX_TYPO_EXPANSIONS).map((candidate) => candidate.term);
      return { ...clause, alternatives: [...clause.alternatives, ...terms.map((term) => ({ terms: [term], boost: BOOSTS.typo }))], corrections: terms };
    }),
  };
}

/** The words to highlight in titles: every word of every alternative (pinyin terms mark the Chinese words they read). */
export function highlightTerms(plan: QueryPlan): string[] {
  const terms = new Set<string>();
  for (const clause of plan.clauses) for (const alternative of clause.alternatives) for (const term of alternative.terms) terms.add(term);
  return [...terms];
}

/** What an engine answers for the zero-result advice. */
export interface AdviceProbe {
  /** Whether some listed product matches the clause (filters aside). */
  clauseMatches(clause: PlanClause): Promise<boolean>;
  /** The best correction of a Latin word within a distance (the most frequent of the nearest candidates), or null. */
  correction(word: string, distance: number): Promise<string | null>;
  /** Whether some listed product matches the plan of this query (filters aside). */
  finds(q: string): Promise<boolean>;
}

/**
 * For a keyword query with no hit: the words that matched nothing, and the closest query that finds
 * something. Each unmatched word is replaced by its correction when that finds products (Latin words
 * of 3+ letters, distance 1, or 2 from 5 letters) and dropped otherwise; then the words are kept in
 * order while together they still find products. Null when nothing is left or nothing changed.
 */
export async function zeroResultAdvice(plan: QueryPlan, probe: AdviceProbe): Promise<{ unmatched: string[]; didYouMean: string | null }> {
  const unmatched: string[] = [];
  const candidates: string[] = [];
  for (const clause of plan.clauses) {
    if (await probe.clauseMatches(clause)) {
      // Found only through a typo: offer the correction.
      const typed = clause.corrections ? { ...clause, alternatives: clause.alternatives.filter((alternative) => alternative.boost !== BOOSTS.typo) } : clause;
      candidates.push(typed !== clause && !(await probe.clauseMatches(typed)) ? clause.corrections![0]! : clause.word);
      continue;
    }
    unmatched.push(clause.word);
    const distance = correctionDistance(clause.word);
    const corrected = distance > 0 ? await probe.correction(clause.word, distance) : null;
    if (corrected !== null && corrected !== clause.word && (await probe.finds(corrected))) candidates.push(corrected);
  }
  const kept: string[] = [];
  for (const word of candidates) if (await probe.finds([...kept, word].join(' '))) kept.push(word);
  const original = plan.clauses.map((clause) => clause.word).join(' ');
  const didYouMean = kept.length > 0 && kept.join(' ') !== original ? kept.join(' ') : null;
  return { unmatched, didYouMean };
}
