/**
 * Recall and query understanding benchmark (issue 17): the catalog of bench/search.ts (same generator,
 * seed and query classes), indexed by the embedded SearchIndex with pinyin and suggestion entries, then:
 *   1. the three standard query classes of bench/search.ts (compare with a run of bench/search.ts on the
 *      code before this change: same queries, same harness);
 *   2. the new kinds of query: a typo in a Latin word, a Chinese word typed in pinyin and in initials,
 *      synonyms (50 groups passed with every query), and zero results (advice: unmatched words and
 *      didYouMean);
 *   3. suggestions: Chinese prefixes (1–3 characters), pinyin prefixes (2–6 letters), initials (1–3) and
 *      Latin prefixes (2–4), each distinct prefix asked once (so no answer comes from the suggester's
 *      per-prefix cache).
 *
 *   npx tsx bench/search-recall.ts [--skus 2500000] [--queries 300] [--seed 7]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchQueries, buildAdapter, measure, memoryMiB, percentile, pick, prng, round, type BenchQuery, type LatencyRow } from './search.js';
import type { ProductSearchDocument } from '../src/ports/search-index.js';
import { wordPinyin } from '../src/search/pinyin.js';
import { phraseKeys, suggestionPhrases } from '../src/search/suggest.js';

const argument = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : undefined;
};

const skus = argument('skus') ?? 2_500_000;
const perClass = argument('queries') ?? 300;
const seed = argument('seed') ?? 7;

const SYNONYMS: string[][] = [
  ['笔记本', '笔记本电脑', 'laptop', 'notebook'],
  ['T恤', 'tee', 't-shirt'],
  ['手机', 'phone', 'smartphone'],
  ['耳机', 'headphones', 'earbuds'],
  ['运动鞋', 'sneakers'],
  ['咖啡', 'coffee'],
  ...Array.from({ length: 44 }, (_, i) => [`同义词${i}`, `synonym${i}`]),
];

/** A typo of a Latin word: a transposition, a deletion or a substitution (one edit). */
function typo(random: () => number, word: string): string {
  const at = 1 + Math.floor(random() * (word.length - 2));
  const kind = random();
  if (kind < 0.4) return word.slice(0, at) + word[at + 1]! + word[at]! + word.slice(at + 2);
  if (kind < 0.7) return word.slice(0, at) + word.slice(at + 1);
  return word.slice(0, at) + (word[at] === 'x' ? 'z' : 'x') + word.slice(at + 1);
}

function newQueries(samples: ProductSearchDocument[]): BenchQuery[] {
  const random = prng(seed * 101 + 7);
  const queries: BenchQuery[] = [];
  const latin = samples.flatMap((doc) => `${doc.title} ${doc.brand.name}`.split(/[^A-Za-z]+/).filter((word) => word.length >= 5));
  const han = samples.flatMap((doc) => suggestionPhrases(doc).filter((phrase) => /^\p{Script=Han}{2,4}$/u.test(phrase)));
  for (let i = 0; i < perClass; i++) {
    queries.push({ queryClass: 'typo in a Latin word (5+ letters)', query: { q: typo(random, pick(random, latin).toLowerCase()) } });
    const word = wordPinyin(pick(random, han))!;
    queries.push({ queryClass: 'Chinese word typed in pinyin', query: { q: word.full } });
    queries.push({ queryClass: 'Chinese word typed in initials', query: { q: pick(random, han.map((w) => wordPinyin(w)!.initials)) } });
    queries.push({ queryClass: 'keyword with 50 synonym groups', query: { q: pick(random, ['笔记本', 'tee', '手机', '耳机', 'sneakers', '咖啡', pick(random, han)]), synonyms: SYNONYMS } });
    queries.push({ queryClass: 'zero results (+ unmatched, didYouMean)', query: { q: `${pick(random, han)} zqxjkv${i}` } });
  }
  return queries;
}

function prefixes(samples: ProductSearchDocument[]): Array<{ kind: string; prefix: string }> {
  const random = prng(seed * 7 + 11);
  const phrases = [...new Set(samples.flatMap((doc) => suggestionPhrases(doc)))];
  const han = phrases.filter((phrase) => /^\p{Script=Han}{2,}$/u.test(phrase));
  const latin = phrases.filter((phrase) => /^[a-z]{3,}$/.test(phrase));
  const wanted: Array<{ kind: string; prefix: string }> = [];
  for (let i = 0; i < perClass * 3; i++) {
    const phrase = pick(random, han);
    const [, full, initials] = phraseKeys(phrase);
    wanted.push({ kind: 'Chinese prefix (1–3 characters)', prefix: phrase.slice(0, 1 + Math.floor(random() * Math.min(3, phrase.length))) });
    if (full) wanted.push({ kind: 'pinyin prefix (2–6 letters)', prefix: full.slice(0, 2 + Math.floor(random() * 5)) });
    if (initials) wanted.push({ kind: 'initials (1–3 letters)', prefix: initials.slice(0, 1 + Math.floor(random() * Math.min(3, initials.length))) });
    const word = pick(random, latin);
    wanted.push({ kind: 'Latin prefix (2–4 letters)', prefix: word.slice(0, 2 + Math.floor(random() * 3)) });
  }
  const seen = new Set<string>();
  return wanted.filter(({ prefix }) => !seen.has(prefix) && seen.add(prefix));
}

const dir = mkdtempSync(join(tmpdir(), 'bazaar-search-recall-'));
try {
  console.log(`generating and indexing ${skus.toLocaleString('en')} SKUs …`);
  const before = memoryMiB();
  const full = await buildAdapter(join(dir, 'full.db'), seed, skus, console.log);
  const memory = memoryMiB() - before;
  const { index, samples } = full;
  const rows: LatencyRow[] = [];
  rows.push(...(await measure('embedded', benchQueries(samples, perClass, seed), async (query) => (await index.search(query)).total)).rows);
  rows.push(...(await measure('embedded', newQueries(samples), async (query) => (await index.search(query)).total)).rows);

  const byKind = new Map<string, { times: number[]; answers: number }>();
  const asked = prefixes(samples);
  for (const { prefix } of asked.slice(0, 50)) await index.suggest({ q: `${prefix}~warmup` });
  for (const { kind, prefix } of asked) {
    const started = performance.now();
    const answer = await index.suggest({ q: prefix });
    const elapsed = performance.now() - started;
    const entry = byKind.get(kind) ?? { times: [], answers: 0 };
    entry.times.push(elapsed);
    entry.answers += answer.length;
    byKind.set(kind, entry);
  }
  const all = [...byKind.values()].flatMap((entry) => entry.times).sort((a, b) => a - b);

  const lines = [
    `${full.products.toLocaleString('en')} products (${skus.toLocaleString('en')} SKUs): build ${round(full.seconds)} s (${Math.round(full.products / full.seconds).toLocaleString('en')} products/s), memory (heap + array buffers) ${round(memory)} MiB`,
    '',
    '| query class | p50 ms | p99 ms | mean hits |',
    '|---|---:|---:|---:|',
    ...rows.map((row) => `| ${row.queryClass} | ${row.p50} | ${row.p99} | ${row.meanHits.toLocaleString('en')} |`),
    '',
    '| suggest: prefix kind | prefixes | p50 ms | p99 ms | mean answers |',
    '|---|---:|---:|---:|---:|',
    ...[...byKind].map(([kind, { times, answers }]) => {
      times.sort((a, b) => a - b);
      return `| ${kind} | ${times.length} | ${round(percentile(times, 0.5), 3)} | ${round(percentile(times, 0.99), 3)} | ${round(answers / times.length)} |`;
    }),
    `| all | ${all.length} | ${round(percentile(all, 0.5), 3)} | ${round(percentile(all, 0.99), 3)} | |`,
  ];
  console.log(`\n${lines.join('\n')}`);
  await index.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
