import type Database from 'better-sqlite3';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  ATTRIBUTE_SEPARATOR,
  byCountThenValue,
  CheckpointMoved,
  FACET_LIMITS,
  groupAttributePairs,
  normalizeSearchQuery,
  normalizeSuggestQuery,
  PRICE_BUCKETS,
  type FacetCount,
  type Suggestion,
  type NormalizedSearchQuery,
  type ProductSearchDocument,
  type SearchIndex,
  type SearchIndexRebuild,
  type SearchResult,
} from '../../ports/search-index.js';
import { ANALYSIS_VERSION, documentHeads, documentTerms, FIELD_WEIGHTS, RANKING, rankingPrior, SEARCH_FIELDS, toSearchHit } from '../../search/text.js';
import { byFrequency, editDistance, highlightTerms, MAX_TYPO_EXPANSIONS, planQuery, withTypos, zeroResultAdvice, type QueryPlan, type TypoCandidate } from '../../search/query.js';
import { phraseEntries, suggestionPhrases, suggestKey } from '../../search/suggest.js';
import { LruMap } from '../../kernel/lru-map.js';

/**
 * Embedded SearchIndex: SQLite keeps the documents, their pre-tokenized words and the checkpoints
 * (durable, transactional, shared by processes); queries run on an in-memory engine (inverted index
 * and typed-array columns) loaded from it and kept in step with its change sequence. A start loads the
 * engine's persisted image (a file beside the database, see `writeImageFile`) and applies the rows
 * written after it, instead of parsing and indexing every row again. FTS5 was measured
 * and not taken: its bm25() ranking of a broad keyword alone costs more than a whole keyword + filter +
 * facet query here (bench/search-results.md).
 */

const K1 = 1.2;
const B = 0.75;

/** Value dimensions of filters and facets; each attribute name gets its own after these. */
const BRAND = 0;
const CATEGORY = 1;
const FRONTEND = 2;

/**
 * A document's words as stored: one line per field of SEARCH_FIELDS, then the heads of its category name
 * and of its title (RANKING), words separated by spaces; then its suggestion phrases (src/search/suggest.ts).
 */
function encodeTerms(doc: ProductSearchDocument): string {
  const terms = documentTerms(doc);
  const heads = documentHeads(doc);
  const phrases = suggestionPhrases(doc).join(PHRASE_SEPARATOR);
  return [...SEARCH_FIELDS.map((field) => terms[field].join(' ')), heads.category.join(' '), heads.title.join(' '), phrases].join('\n');
}

/** Separates the suggestion phrases of a document's stored words (phrases may hold spaces). */
const PHRASE_SEPARATOR = '\u001e';
const LATIN_TERM = /^[a-z]{3,40}$/;

/** A posting's weight: the weighted term frequency, and whether the term heads the category name or the title. */
const CATEGORY_HEAD = 0x8000;
const TITLE_HEAD = 0x4000;
const FREQUENCY = 0x3fff;

/** 53-bit string hash (cyrb53): tells whether a document's words changed. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

type TypedArray = Int32Array<ArrayBuffer> | Uint16Array<ArrayBuffer> | Uint8Array<ArrayBuffer> | Float32Array<ArrayBuffer> | Float64Array<ArrayBuffer>;

function grow<T extends TypedArray>(array: T, min: number): T {
  if (array.length >= min) return array;
  const next = new (array.constructor as new (length: number) => T)(Math.max(min, array.length * 2));
  next.set(array);
  return next;
}

function priceBucket(price: number): number {
  let bucket = 0;
  while (bucket + 1 < PRICE_BUCKETS.length && price >= PRICE_BUCKETS[bucket + 1]!.from) bucket++;
  return bucket;
}

/** The k best slots by key descending, then id ascending: a binary heap with the worst on top. */
class TopK {
  private readonly keys: Float64Array;
  private readonly slots: Int32Array;
  private size = 0;

  constructor(
    private readonly k: number,
    private readonly ids: string[],
  ) {
    this.keys = new Float64Array(k);
    this.slots = new Int32Array(k);
  }

  offer(slot: number, key: number): void {
    if (this.size < this.k) {
      this.keys[this.size] = key;
      this.slots[this.size] = slot;
      this.up(this.size++);
    } else if (this.k > 0 && this.better(key, slot, this.keys[0]!, this.slots[0]!)) {
      this.keys[0] = key;
      this.slots[0] = slot;
      this.down(0);
    }
  }

  /** Slots, best first. */
  sorted(): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => (this.better(this.keys[a]!, this.slots[a]!, this.keys[b]!, this.slots[b]!) ? -1 : 1));
    return order.map((i) => this.slots[i]!);
  }

  private better(keyA: number, slotA: number, keyB: number, slotB: number): boolean {
    return keyA > keyB || (keyA === keyB && this.ids[slotA]! < this.ids[slotB]!);
  }

  private worse(i: number, j: number): boolean {
    return this.better(this.keys[j]!, this.slots[j]!, this.keys[i]!, this.slots[i]!);
  }

  private swap(i: number, j: number): void {
    const key = this.keys[i]!;
    const slot = this.slots[i]!;
    this.keys[i] = this.keys[j]!;
    this.slots[i] = this.slots[j]!;
    this.keys[j] = key;
    this.slots[j] = slot;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      let worst = i;
      for (const child of [2 * i + 1, 2 * i + 2]) if (child < this.size && this.worse(child, worst)) worst = child;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }
}

/** `passed` after a one-word clause that was not the last: its slots are marked, not listed. */
const EMPTY_PASSED = new Int32Array(0);

/**
 * Suggestions (src/search/suggest.ts): each phrase with the number of listed products holding it and
 * their sales, and the entries `key␟phrase` sorted, so that the entries of a prefix are one range found
 * by binary search. Entries new since the last sort wait in `pending` and are sorted in at the next
 * suggestion (a catalog adds new phrases rarely once it is loaded). Answers are cached per prefix until
 * a count changes.
 */
class Suggester {
  private readonly phraseIds = new Map<string, number>();
  private readonly phraseText: string[] = [];
  private products = new Int32Array(1024);
  sales = new Float64Array(1024);
  private entries: string[] = [];
  private entryPhrase = new Int32Array(0);
  private pending: Array<[string, number]> = [];
  private version = 0;
  private readonly cache = new LruMap<string, Suggestion[]>(5_000);
  private cacheVersion = -1;
  private seen = new Int32Array(1024);
  private seenMark = 0;

  /** The ids of these phrases (a new phrase is added with its entries). */
  phrasesOf(phrases: string[]): Int32Array {
    const ids = new Int32Array(phrases.length);
    phrases.forEach((phrase, i) => {
      let id = this.phraseIds.get(phrase);
      if (id === undefined) {
        id = this.phraseText.length;
        this.phraseIds.set(phrase, id);
        this.phraseText.push(phrase);
        this.products = grow(this.products, id + 1);
        this.sales = grow(this.sales, id + 1);
        for (const entry of phraseEntries(phrase)) this.pending.push([entry, id]);
      }
      ids[i] = id;
    });
    return ids;
  }

  /** Counts (sign 1) or uncounts (-1) a listed product holding the phrases pool[start, start + count). */
  count(pool: Int32Array, start: number, count: number, sign: 1 | -1, sales: number): void {
    for (let i = start; i < start + count; i++) {
      const id = pool[i]!;
      this.products[id]! += sign;
      this.sales[id]! += sign * sales;
    }
    if (count > 0) this.version++;
  }

  suggest(prefix: string, size: number): Suggestion[] {
    if (this.cacheVersion !== this.version) {
      this.cache.clear();
      this.cacheVersion = this.version;
    }
    const cacheKey = `${size}:${prefix}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    if (this.pending.length > 0) this.sortIn();
    const { entries, entryPhrase: phraseOf, products, sales } = this;
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (entries[mid]! < prefix) low = mid + 1;
      else high = mid;
    }
    if (this.seen.length < this.phraseText.length) this.seen = new Int32Array(this.products.length);
    const mark = ++this.seenMark;
    // The best `size` phrases by sales, products, then entry (the first entry of a phrase in sorted order).
    const top: Array<{ id: number; entry: string }> = [];
    const better = (a: { id: number; entry: string }, b: { id: number; entry: string }) =>
      sales[b.id]! - sales[a.id]! || products[b.id]! - products[a.id]! || (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0);
    for (let i = low; i < entries.length && entries[i]!.startsWith(prefix); i++) {
      const id = phraseOf[i]!;
      if (products[id]! <= 0 || this.seen[id] === mark) continue;
      this.seen[id] = mark;
      const candidate = { id, entry: entries[i]! };
      if (top.length === size && better(top[size - 1]!, candidate) <= 0) continue;
      let at = top.length;
      while (at > 0 && better(top[at - 1]!, candidate) > 0) at--;
      top.splice(at, 0, candidate);
      if (top.length > size) top.pop();
    }
    const result = top.map(({ id }) => ({ text: this.phraseText[id]!, products: products[id]!, sales: sales[id]! }));
    this.cache.set(cacheKey, result);
    return result;
  }

  /** The suggester as plain arrays (pending entries sorted in first). */
  image(): { strings: Record<string, string[]>; arrays: Record<string, TypedArray> } {
    if (this.pending.length > 0) this.sortIn();
    const phrases = this.phraseText.length;
    return {
      strings: { phraseText: this.phraseText, entries: this.entries },
      arrays: { phraseProducts: this.products.subarray(0, phrases), phraseSales: this.sales.subarray(0, phrases), entryPhrase: this.entryPhrase },
    };
  }

  /** Restores what `image` gave. */
  load(strings: Record<string, string[]>, arrays: Record<string, TypedArray>): void {
    const phraseText = strings.phraseText!;
    phraseText.forEach((phrase, id) => {
      this.phraseIds.set(phrase, id);
      this.phraseText.push(phrase);
    });
    this.products = grow(arrays.phraseProducts as Int32Array<ArrayBuffer>, 1024);
    this.sales = grow(arrays.phraseSales as Float64Array<ArrayBuffer>, 1024);
    this.entries = strings.entries!;
    this.entryPhrase = arrays.entryPhrase as Int32Array<ArrayBuffer>;
  }

  private sortIn(): void {
    const all: Array<[string, number]> = this.entries.map((entry, i) => [entry, this.entryPhrase[i]!]);
    for (const item of this.pending) all.push(item);
    all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.entries = all.map(([entry]) => entry);
    this.entryPhrase = Int32Array.from(all, ([, id]) => id);
    this.pending = [];
  }
}

/** The slot columns of the engine (one value per slot), persisted as they are. */
const SLOT_COLUMNS = [
  'alive',
  'listed',
  'inStock',
  'bucket',
  'minPrice',
  'sales',
  'listedAt',
  'length',
  'prior',
  'textHash',
  'valueStart',
  'valueCount',
  'categoryCount',
  'frontendCount',
  'phraseStart',
  'phraseCount',
] as const;

/** An engine as plain values: what the persisted image holds. */
interface EngineImage {
  scalars: Record<string, number>;
  arrays: Record<string, TypedArray>;
  strings: Record<string, string[]>;
}

interface EngineResult {
  total: number;
  /** Slots of the first page·size hits, best first. */
  top: number[];
  facets: SearchResult['facets'];
}

/**
 * The in-memory engine. Each document lives in a slot: typed-array columns for filters and sorting, a
 * list of interned facet values, and postings (slot, weighted term frequency) under each of its words.
 * A document whose words change moves to a new slot; dead slots stay in the postings until compaction.
 */
class Engine {
  private readonly slotOf = new Map<string, number>();
  private ids: string[] = [];
  private slotCount = 0;
  private readonly freeSlots: number[] = [];
  private liveCount = 0;
  private deadCount = 0;

  alive = new Uint8Array(1024);
  listed = new Uint8Array(1024);
  inStock = new Uint8Array(1024);
  bucket = new Uint8Array(1024);
  minPrice = new Float64Array(1024);
  private sales = new Float64Array(1024);
  listedAt = new Float64Array(1024);
  length = new Float32Array(1024);
  /** rankingPrior of the document. */
  prior = new Float32Array(1024);
  textHash = new Float64Array(1024);
  valueStart = new Int32Array(1024);
  valueCount = new Uint16Array(1024);
  categoryCount = new Uint16Array(1024);
  frontendCount = new Uint16Array(1024);

  /** The suggestion phrases of each slot, in a pool (counted in the suggester while the slot is listed). */
  private phrasePool = new Int32Array(4096);
  private phrasePoolLength = 0;
  phraseStart = new Int32Array(1024);
  phraseCount = new Uint16Array(1024);
  private readonly termIds = new Map<string, number>();
  private postingSlots: Array<Int32Array<ArrayBuffer>> = [];
  private postingWeights: Array<Uint16Array<ArrayBuffer>> = [];
  private postingLength: number[] = [];
  /** BM25 statistics over the slots in the postings (live and not yet compacted), as Lucene keeps them. */
  private statDocs = 0;
  private statLength = 0;

  private readonly valueIds = new Map<string, number>();
  private readonly valueDim: number[] = [];
  private readonly valueText: string[] = [];
  private readonly attributeDims = new Map<string, number>();
  private readonly dimAttribute: string[] = ['', '', ''];
  private readonly brandNames = new Map<string, string>();
  private pool = new Int32Array(4096);
  private poolLength = 0;
  private poolGarbage = 0;

  private stamp = new Int32Array(1024);
  private matched = new Uint16Array(1024);
  private score = new Float64Array(1024);
  /** Per matched slot: 2 if a query term heads its category name, | 1 if one heads its title. */
  private heads = new Uint8Array(1024);
  private queryStamp = 0;
  /** Per alternative of a clause: which alternative last touched the slot, its words found so far and their score. */
  private altStamp = new Int32Array(1024);
  private altCount = new Uint16Array(1024);
  private altScore = new Float64Array(1024);
  /** Per clause: the best alternative's score of the slot. */
  private bestStamp = new Int32Array(1024);
  private best = new Float64Array(1024);
  private mark = 0;

  /** Latin words of the index by length (typo candidates), and the typo expansions asked lately. */
  private readonly latinTerms: string[][] = [];
  private latinTermCount = 0;
  private readonly typoCache = new LruMap<string, TypoCandidate[]>(10_000);
  private typoCacheVersion = 0;

  readonly suggester = new Suggester();

  get size(): number {
    return this.liveCount;
  }

  idOf(slot: number): string {
    return this.ids[slot]!;
  }

  put(doc: ProductSearchDocument, terms: string): void {
    const hash = hash53(terms);
    let slot = this.slotOf.get(doc.id);
    if (slot !== undefined && this.textHash[slot] !== hash) {
      this.kill(slot);
      slot = undefined;
    }
    if (slot === undefined) {
      slot = this.allocate(doc.id);
      this.textHash[slot] = hash;
      this.index(slot, terms);
    } else if (this.listed[slot]) {
      this.suggester.count(this.phrasePool, this.phraseStart[slot]!, this.phraseCount[slot]!, -1, this.sales[slot]!);
    }
    if (doc.status === 'listed') this.suggester.count(this.phrasePool, this.phraseStart[slot]!, this.phraseCount[slot]!, 1, doc.salesCount);
    this.listed[slot] = doc.status === 'listed' ? 1 : 0;
    this.inStock[slot] = doc.inStock ? 1 : 0;
    this.minPrice[slot] = doc.minPrice;
    this.bucket[slot] = priceBucket(doc.minPrice);
    this.sales[slot] = doc.salesCount;
    this.prior[slot] = rankingPrior(doc);
    this.listedAt[slot] = doc.listedAt ? Date.parse(doc.listedAt) : -Infinity;
    this.brandNames.set(doc.brand.id, doc.brand.name);
    this.setValues(slot, doc);
  }

  /**
   * The engine as plain arrays (src/adapters/search/sqlite.ts persists them; `Engine.load` restores an
   * engine that answers exactly as this one): slot columns cut to the slots in use, postings of every
   * term laid end to end, dictionaries as string lists in id order.
   */
  image(): EngineImage {
    const n = this.slotCount;
    const slotColumns: Record<string, TypedArray> = {};
    for (const name of SLOT_COLUMNS) slotColumns[name] = this[name].subarray(0, n);
    const terms = new Array<string>(this.postingLength.length);
    for (const [term, id] of this.termIds) terms[id] = term;
    // Each term's postings keep room to grow (an eighth, at least 4), so that the writes applied after
    // loading do not copy every posting list they touch.
    const postingCapacity = Int32Array.from(this.postingLength, (length) => length + Math.max(4, length >> 3));
    let postings = 0;
    for (const capacity of postingCapacity) postings += capacity;
    const postingSlots = new Int32Array(postings);
    const postingWeights = new Uint16Array(postings);
    let at = 0;
    this.postingLength.forEach((length, term) => {
      postingSlots.set(this.postingSlots[term]!.subarray(0, length), at);
      postingWeights.set(this.postingWeights[term]!.subarray(0, length), at);
      at += postingCapacity[term]!;
    });
    const suggester = this.suggester.image();
    return {
      scalars: {
        slotCount: n,
        liveCount: this.liveCount,
        deadCount: this.deadCount,
        statDocs: this.statDocs,
        statLength: this.statLength,
        poolGarbage: this.poolGarbage,
      },
      arrays: {
        ...slotColumns,
        freeSlots: Int32Array.from(this.freeSlots),
        phrasePool: this.phrasePool.subarray(0, this.phrasePoolLength),
        pool: this.pool.subarray(0, this.poolLength),
        postingLength: Int32Array.from(this.postingLength),
        postingCapacity,
        postingSlots,
        postingWeights,
        valueDim: Int32Array.from(this.valueDim),
        ...suggester.arrays,
      },
      strings: {
        ids: this.ids.slice(0, n),
        terms,
        valueText: this.valueText,
        dimAttribute: this.dimAttribute,
        brandIds: [...this.brandNames.keys()],
        brandNames: [...this.brandNames.values()],
        ...suggester.strings,
      },
    };
  }

  /** An engine restored from `image` (its arrays are taken over, not copied). */
  static load(image: EngineImage): Engine {
    const engine = new Engine();
    const { scalars, arrays, strings } = image;
    const n = scalars.slotCount!;
    const capacity = Math.max(1024, n);
    for (const name of SLOT_COLUMNS) {
      const column = arrays[name]!;
      if (column.length !== n) throw new Error(`search image: column ${name} has ${column.length} slots, not ${n}`);
      (engine as unknown as Record<string, TypedArray>)[name] = grow(column, capacity);
    }
    engine.slotCount = n;
    engine.liveCount = scalars.liveCount!;
    engine.deadCount = scalars.deadCount!;
    engine.statDocs = scalars.statDocs!;
    engine.statLength = scalars.statLength!;
    engine.poolGarbage = scalars.poolGarbage!;
    engine.ids = strings.ids!;
    const { alive } = engine;
    engine.ids.forEach((id, slot) => {
      if (alive[slot]) engine.slotOf.set(id, slot);
    });
    for (const slot of arrays.freeSlots!) engine.freeSlots.push(slot);
    engine.phrasePool = grow(arrays.phrasePool as Int32Array<ArrayBuffer>, 4096);
    engine.phrasePoolLength = arrays.phrasePool!.length;
    engine.pool = grow(arrays.pool as Int32Array<ArrayBuffer>, 4096);
    engine.poolLength = arrays.pool!.length;
    const lengths = arrays.postingLength!;
    const capacities = arrays.postingCapacity!;
    const postingSlots = arrays.postingSlots as Int32Array<ArrayBuffer>;
    const postingWeights = arrays.postingWeights as Uint16Array<ArrayBuffer>;
    const terms = strings.terms!;
    if (terms.length !== lengths.length || terms.length !== capacities.length) throw new Error('search image: terms and postings disagree');
    let at = 0;
    for (let id = 0; id < terms.length; id++) {
      const term = terms[id]!;
      const length = lengths[id]!;
      const capacity = capacities[id]!;
      if (length > capacity) throw new Error(`search image: postings of ${term} overflow`);
      engine.termIds.set(term, id);
      if (LATIN_TERM.test(term)) {
        (engine.latinTerms[term.length] ??= []).push(term);
        engine.latinTermCount++;
      }
      engine.postingSlots.push(postingSlots.subarray(at, at + capacity));
      engine.postingWeights.push(postingWeights.subarray(at, at + capacity));
      engine.postingLength.push(length);
      at += capacity;
    }
    if (at !== postingSlots.length) throw new Error('search image: postings left over');
    const valueDim = arrays.valueDim!;
    strings.valueText!.forEach((text, id) => {
      const dim = valueDim[id]!;
      engine.valueIds.set(`${dim}:${text}`, id);
      engine.valueDim.push(dim);
      engine.valueText.push(text);
    });
    strings.dimAttribute!.forEach((name, dim) => {
      if (dim < 3) return;
      engine.attributeDims.set(name, dim);
      engine.dimAttribute.push(name);
    });
    const brandNames = strings.brandNames!;
    strings.brandIds!.forEach((id, i) => engine.brandNames.set(id, brandNames[i]!));
    engine.suggester.load(strings, arrays);
    return engine;
  }

  remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot !== undefined) this.kill(slot);
  }

  /** Drops dead slots from the postings once they are a quarter of the live ones. */
  compactIfNeeded(): void {
    if (this.deadCount > Math.max(1000, this.liveCount / 4)) this.compact();
  }

  search(query: NormalizedSearchQuery, plan: QueryPlan): EngineResult {
    const { listed, pool, valueStart, valueCount, categoryCount, frontendCount, valueDim, minPrice, inStock, bucket } = this;

    // Every active filter dimension gets a bit; a slot fails the dimensions whose bit it lacks.
    const valueBit = new Int32Array(valueDim.length);
    const dimBit = new Int32Array(this.dimAttribute.length);
    let bits = 0;
    const filter = (dim: number | undefined, values: string[] | undefined): number => {
      if (!values || values.length === 0) return 0;
      const bit = 1 << bits++;
      if (dim === undefined) return bit;
      dimBit[dim] = bit;
      for (const value of values) {
        const id = this.valueIds.get(`${dim}:${value}`);
        if (id !== undefined) valueBit[id] = bit;
      }
      return bit;
    };
    const brandBit = filter(BRAND, query.brandIds);
    const categoryBit = filter(CATEGORY, query.categoryIds);
    const frontendBit = filter(FRONTEND, query.frontendCategoryIds);
    let attributeBits = 0;
    for (const [name, values] of Object.entries(query.attributes)) attributeBits |= filter(this.attributeDims.get(name), values);
    const required = brandBit | categoryBit | frontendBit | attributeBits;
    const priceBit = query.minPrice !== undefined || query.maxPrice !== undefined ? 1 << bits++ : 0;
    const stockBit = query.inStock !== undefined ? 1 << bits++ : 0;
    const low = query.minPrice ?? -Infinity;
    const high = query.maxPrice ?? Infinity;
    const wantStock = query.inStock ? 1 : 0;

    const keyed = plan.clauses.length > 0;
    const sortKey =
      query.sort === 'relevance' && keyed ? this.score
      : query.sort === 'price_asc' || query.sort === 'price_desc' ? minPrice
      : query.sort === 'newest' ? this.listedAt
      : this.sales;
    const sign = query.sort === 'price_asc' ? -1 : 1;
    const top = new TopK(query.page * query.size, this.ids);
    const counts = new Int32Array(valueDim.length);
    const priceCounts = new Int32Array(PRICE_BUCKETS.length);
    let total = 0;

    // Multi-select facets in one pass: a slot passing every filter counts in every facet; one failing
    // exactly one dimension counts in that dimension's facet only. A slot's values are laid out as
    // [brand | categories | frontend categories | attribute values].
    const candidates = keyed ? this.match(plan) : undefined;
    const n = candidates ? candidates.length : this.slotCount;
    for (let k = 0; k < n; k++) {
      const slot = candidates ? candidates[k]! : k;
      if (!listed[slot]) continue;
      const brand = valueStart[slot]!;
      const categories = brand + 1;
      const frontend = categories + categoryCount[slot]!;
      const attributes = frontend + frontendCount[slot]!;
      const end = brand + valueCount[slot]!;
      let pass = valueBit[pool[brand]!]!;
      if (categoryBit !== 0) for (let i = categories; i < frontend; i++) pass |= valueBit[pool[i]!]!;
      if (frontendBit !== 0) for (let i = frontend; i < attributes; i++) pass |= valueBit[pool[i]!]!;
      if (attributeBits !== 0) for (let i = attributes; i < end; i++) pass |= valueBit[pool[i]!]!;
      let fail = required & ~pass;
      if (priceBit !== 0 && !(minPrice[slot]! >= low && minPrice[slot]! <= high)) fail |= priceBit;
      if (stockBit !== 0 && inStock[slot] !== wantStock) fail |= stockBit;
      if (fail === 0) {
        total++;
        top.offer(slot, sign * sortKey[slot]!);
        counts[pool[brand]!]!++;
        for (let i = categories; i < frontend; i++) counts[pool[i]!]!++;
        for (let i = attributes; i < end; i++) counts[pool[i]!]!++;
        priceCounts[bucket[slot]!]!++;
      } else if (fail === brandBit) {
        counts[pool[brand]!]!++;
      } else if (fail === categoryBit) {
        for (let i = categories; i < frontend; i++) counts[pool[i]!]!++;
      } else if (fail === priceBit) {
        priceCounts[bucket[slot]!]!++;
      } else if ((fail & attributeBits) === fail && (fail & (fail - 1)) === 0) {
        for (let i = attributes; i < end; i++) {
          const value = pool[i]!;
          if (dimBit[valueDim[value]!] === fail) counts[value]!++;
        }
      }
    }

    return { total, top: top.sorted(), facets: this.facets(query, counts, priceCounts) };
  }

  /**
   * Listed slots that satisfy every clause of the plan (some alternative of each holds all its words),
   * with their relevance left in `this.score`: per clause the best alternative's BM25F times its boost,
   * summed, times the RANKING multiplier. `rank` false: the slots only.
   */
  match(plan: QueryPlan, rank = true): Int32Array {
    const clauses: Array<{ alternatives: Array<{ terms: number[]; boost: number }>; size: number }> = [];
    for (const clause of plan.clauses) {
      const alternatives = clause.alternatives.flatMap(({ terms, boost }) => {
        const ids = terms.map((term) => this.termIds.get(term));
        return ids.every((id) => id !== undefined) ? [{ terms: [...new Set(ids as number[])].sort((a, b) => this.postingLength[a]! - this.postingLength[b]!), boost }] : [];
      });
      if (alternatives.length === 0) return new Int32Array(0);
      if (alternatives.length === 1 && alternatives[0]!.boost === 1) {
        // Only the words typed: each word is a clause of its own (the same matches and the same sum), on the fast path.
        for (const term of alternatives[0]!.terms) clauses.push({ alternatives: [{ terms: [term], boost: 1 }], size: this.postingLength[term]! });
        continue;
      }
      clauses.push({ alternatives, size: alternatives.reduce((sum, alternative) => sum + this.postingLength[alternative.terms[0]!]!, 0) });
    }
    if (clauses.length === 0) return new Int32Array(0);
    clauses.sort((a, b) => a.size - b.size);
    const headIds = new Set(plan.head.map((term) => this.termIds.get(term)));
    const { listed, length } = this;
    const { stamp, matched, score, heads, altStamp, altCount, altScore, bestStamp, best } = this.scratch();
    const q = this.queryStamp;
    const norm = K1 * (1 - B);
    const normPerLength = (K1 * B * this.statDocs) / this.statLength;
    let passed = new Int32Array(0);
    for (let j = 0; j < clauses.length; j++) {
      const clause = clauses[j]!;
      const last = j === clauses.length - 1;
      const [single] = clause.alternatives;
      if (clause.alternatives.length === 1 && single!.terms.length === 1 && single!.boost === 1) {
        // One word: its BM25F goes straight into the score (the engine's loop before query plans).
        const term = single!.terms[0]!;
        const slots = this.postingSlots[term]!;
        const weights = this.postingWeights[term]!;
        const n = this.postingLength[term]!;
        const idf = Math.log(1 + (this.statDocs - n + 0.5) / (n + 0.5)) * (K1 + 1);
        const isHead = headIds.has(term);
        const found = last ? new Int32Array(Math.min(n, j === 0 || passed === EMPTY_PASSED ? n : passed.length)) : passed;
        let count = 0;
        for (let i = 0; i < n; i++) {
          const slot = slots[i]!;
          if (j === 0) {
            if (listed[slot] === 0) continue;
            stamp[slot] = q;
            score[slot] = 0;
            heads[slot] = 0;
          } else if (stamp[slot] !== q || matched[slot] !== j) {
            continue;
          }
          const weight = weights[i]!;
          const tf = weight & FREQUENCY;
          if (isHead) heads[slot]! |= weight >> 14;
          if (rank) score[slot]! += (idf * tf) / (tf + norm + normPerLength * length[slot]!);
          matched[slot] = j + 1;
          if (last) found[count++] = slot;
        }
        if (last) passed = found.subarray(0, count);
        else passed = EMPTY_PASSED;
        continue;
      }
      let reached = new Int32Array(Math.min(clause.size, j === 0 || passed === EMPTY_PASSED ? clause.size : passed.length) + 1);
      let count = 0;
      const clauseKey = this.nextMark();
      for (const alternative of clause.alternatives) {
        const altKey = this.nextMark();
        const need = alternative.terms.length;
        alternative.terms.forEach((term, k) => {
          const slots = this.postingSlots[term]!;
          const weights = this.postingWeights[term]!;
          const n = this.postingLength[term]!;
          const idf = Math.log(1 + (this.statDocs - n + 0.5) / (n + 0.5)) * (K1 + 1);
          const isHead = headIds.has(term);
          for (let i = 0; i < n; i++) {
            const slot = slots[i]!;
            if (j === 0) {
              if (listed[slot] === 0) continue;
              if (stamp[slot] !== q) {
                stamp[slot] = q;
                score[slot] = 0;
                heads[slot] = 0;
                matched[slot] = 0;
              }
            } else if (stamp[slot] !== q || matched[slot] !== j) {
              continue;
            }
            const weight = weights[i]!;
            if (isHead) heads[slot]! |= weight >> 14;
            if (k === 0) {
              altStamp[slot] = altKey;
              altCount[slot] = 0;
              altScore[slot] = 0;
            } else if (altStamp[slot] !== altKey || altCount[slot] !== k) {
              continue;
            }
            const tf = weight & FREQUENCY;
            altScore[slot]! += rank ? (idf * tf) / (tf + norm + normPerLength * length[slot]!) : 0;
            if (++altCount[slot]! < need) continue;
            const value = alternative.boost * altScore[slot]!;
            if (bestStamp[slot] !== clauseKey) {
              bestStamp[slot] = clauseKey;
              best[slot] = value;
              if (count === reached.length) reached = grow(reached, count + 1);
              reached[count++] = slot;
            } else if (value > best[slot]!) {
              best[slot] = value;
            }
          }
        });
      }
      if (count === 0) return new Int32Array(0);
      for (let i = 0; i < count; i++) {
        const slot = reached[i]!;
        matched[slot] = j + 1;
        score[slot]! += best[slot]!;
      }
      passed = reached.subarray(0, count);
    }
    if (rank) {
      const { prior } = this;
      for (const slot of passed) {
        const head = heads[slot]!;
        score[slot]! *= prior[slot]! + (head & 2 ? RANKING.categoryHead : 0) + (head & 1 ? RANKING.titleHead : 0);
      }
    }
    return passed;
  }

  /** Whether some listed product satisfies these clauses. */
  matchesAny(plan: QueryPlan): boolean {
    return this.match(plan, false).length > 0;
  }

  /** Whether the index holds the word (in any document). */
  hasTerm(term: string): boolean {
    return this.termIds.has(term);
  }

  /** Words of the index within `distance` of a Latin word, in byFrequency order (at most MAX_TYPO_EXPANSIONS). */
  typoCandidates(word: string, distance: number): TypoCandidate[] {
    const key = `${distance}:${word}`;
    if (this.typoCacheVersion !== this.latinTermCount) {
      this.typoCache.clear();
      this.typoCacheVersion = this.latinTermCount;
    }
    const known = this.typoCache.get(key);
    if (known) return known;
    const found: TypoCandidate[] = [];
    for (let size = Math.max(1, word.length - distance); size <= word.length + distance; size++) {
      for (const term of this.latinTerms[size] ?? []) {
        const d = editDistance(word, term, distance);
        if (d > distance || d === 0) continue;
        const frequency = this.postingLength[this.termIds.get(term)!]!;
        if (frequency > 0) found.push({ term, distance: d, frequency });
      }
    }
    const result = found.sort(byFrequency).slice(0, MAX_TYPO_EXPANSIONS);
    this.typoCache.set(key, result);
    return result;
  }

  /** The typo expansions a plan's words are due (words the index does not hold). */
  corrections(plan: QueryPlan): Map<string, TypoCandidate[]> {
    const corrections = new Map<string, TypoCandidate[]>();
    for (const clause of plan.clauses) {
      if (clause.typo && !this.termIds.has(clause.typo.word)) corrections.set(clause.typo.word, this.typoCandidates(clause.typo.typed, clause.typo.distance));
    }
    return corrections;
  }

  private nextMark(): number {
    if (++this.mark === 0x7fffffff) {
      this.altStamp.fill(0);
      this.bestStamp.fill(0);
      this.mark = 1;
    }
    return this.mark;
  }

  private facets(query: NormalizedSearchQuery, counts: Int32Array, priceCounts: Int32Array): SearchResult['facets'] {
    const brand: FacetCount[] = [];
    const category: FacetCount[] = [];
    const pairs: FacetCount[] = [];
    const filtered = new Map<number, FacetCount[]>();
    const attributes: Record<string, FacetCount[]> = {};
    for (const [name, values] of Object.entries(query.attributes)) {
      if (values.length === 0) continue;
      attributes[name] = [];
      const dim = this.attributeDims.get(name);
      if (dim !== undefined) filtered.set(dim, attributes[name]);
    }
    for (let value = 0; value < counts.length; value++) {
      const count = counts[value]!;
      if (count === 0) continue;
      const dim = this.valueDim[value]!;
      const text = this.valueText[value]!;
      if (dim === BRAND) brand.push({ value: text, count, label: this.brandNames.get(text) ?? text });
      else if (dim === CATEGORY) category.push({ value: text, count });
      else if (dim !== FRONTEND) {
        const list = filtered.get(dim);
        if (list) list.push({ value: text, count });
        else pairs.push({ value: `${this.dimAttribute[dim]}${ATTRIBUTE_SEPARATOR}${text}`, count });
      }
    }
    const ranked = (list: FacetCount[]) => list.sort(byCountThenValue).slice(0, FACET_LIMITS.values);
    for (const name of Object.keys(attributes)) attributes[name] = ranked(attributes[name]!);
    return {
      brand: ranked(brand),
      category: ranked(category),
      price: PRICE_BUCKETS.map((range, i) => ({ ...range, count: priceCounts[i]! })).filter((range) => range.count > 0),
      attributes: { ...groupAttributePairs(pairs.sort(byCountThenValue)), ...attributes },
    };
  }

  /** Per-query marks, sized to the slots; the stamp tells this query's marks from earlier ones. */
  private scratch() {
    if (this.stamp.length < this.slotCount) {
      this.stamp = new Int32Array(this.alive.length);
      this.matched = new Uint16Array(this.alive.length);
      this.score = new Float64Array(this.alive.length);
      this.heads = new Uint8Array(this.alive.length);
      this.altStamp = new Int32Array(this.alive.length);
      this.altCount = new Uint16Array(this.alive.length);
      this.altScore = new Float64Array(this.alive.length);
      this.bestStamp = new Int32Array(this.alive.length);
      this.best = new Float64Array(this.alive.length);
      this.queryStamp = 0;
      this.mark = 0;
    }
    if (++this.queryStamp === 0x7fffffff) {
      this.stamp.fill(0);
      this.queryStamp = 1;
    }
    const { stamp, matched, score, heads, altStamp, altCount, altScore, bestStamp, best } = this;
    return { stamp, matched, score, heads, altStamp, altCount, altScore, bestStamp, best };
  }

  private allocate(id: string): number {
    const slot = this.freeSlots.pop() ?? this.slotCount++;
    if (slot >= this.alive.length) {
      const min = slot + 1;
      this.alive = grow(this.alive, min);
      this.listed = grow(this.listed, min);
      this.inStock = grow(this.inStock, min);
      this.bucket = grow(this.bucket, min);
      this.minPrice = grow(this.minPrice, min);
      this.sales = grow(this.sales, min);
      this.listedAt = grow(this.listedAt, min);
      this.length = grow(this.length, min);
      this.prior = grow(this.prior, min);
      this.textHash = grow(this.textHash, min);
      this.valueStart = grow(this.valueStart, min);
      this.valueCount = grow(this.valueCount, min);
      this.categoryCount = grow(this.categoryCount, min);
      this.frontendCount = grow(this.frontendCount, min);
      this.phraseStart = grow(this.phraseStart, min);
      this.phraseCount = grow(this.phraseCount, min);
    }
    this.ids[slot] = id;
    this.slotOf.set(id, slot);
    this.alive[slot] = 1;
    this.valueCount[slot] = 0;
    this.liveCount++;
    return slot;
  }

  private kill(slot: number): void {
    if (this.listed[slot]) this.suggester.count(this.phrasePool, this.phraseStart[slot]!, this.phraseCount[slot]!, -1, this.sales[slot]!);
    this.phraseCount[slot] = 0;
    this.slotOf.delete(this.ids[slot]!);
    this.alive[slot] = 0;
    this.listed[slot] = 0;
    this.poolGarbage += this.valueCount[slot]!;
    this.liveCount--;
    this.deadCount++;
  }

  private index(slot: number, terms: string): void {
    const weights = new Map<string, number>();
    let length = 0;
    const lines = terms.split('\n');
    SEARCH_FIELDS.forEach((field, i) => {
      const line = lines[i];
      if (!line) return;
      const weight = FIELD_WEIGHTS[field];
      for (const term of line.split(' ')) {
        weights.set(term, (weights.get(term) ?? 0) + weight);
        length += weight;
      }
    });
    for (const term of weights.keys()) weights.set(term, Math.min(weights.get(term)!, FREQUENCY));
    const flag = (line: string | undefined, bit: number) => {
      if (!line) return;
      for (const term of line.split(' ')) {
        const weight = weights.get(term);
        if (weight !== undefined) weights.set(term, weight | bit);
      }
    };
    flag(lines[SEARCH_FIELDS.length], CATEGORY_HEAD);
    flag(lines[SEARCH_FIELDS.length + 1], TITLE_HEAD);
    const phrases = lines[SEARCH_FIELDS.length + 2];
    const ids = phrases ? this.suggester.phrasesOf(phrases.split(PHRASE_SEPARATOR)) : new Int32Array(0);
    this.phrasePool = grow(this.phrasePool, this.phrasePoolLength + ids.length);
    this.phrasePool.set(ids, this.phrasePoolLength);
    this.phraseStart[slot] = this.phrasePoolLength;
    this.phraseCount[slot] = ids.length;
    this.phrasePoolLength += ids.length;
    this.length[slot] = length;
    this.statDocs++;
    this.statLength += length;
    for (const [term, weight] of weights) {
      let id = this.termIds.get(term);
      if (id === undefined) {
        id = this.postingLength.length;
        this.termIds.set(term, id);
        if (LATIN_TERM.test(term)) {
          (this.latinTerms[term.length] ??= []).push(term);
          this.latinTermCount++;
        }
        this.postingSlots.push(new Int32Array(4));
        this.postingWeights.push(new Uint16Array(4));
        this.postingLength.push(0);
      }
      const n = this.postingLength[id]!;
      this.postingSlots[id] = grow(this.postingSlots[id]!, n + 1);
      this.postingWeights[id] = grow(this.postingWeights[id]!, n + 1);
      this.postingSlots[id]![n] = slot;
      this.postingWeights[id]![n] = weight;
      this.postingLength[id] = n + 1;
    }
  }

  private valueId(dim: number, text: string): number {
    const key = `${dim}:${text}`;
    let id = this.valueIds.get(key);
    if (id === undefined) {
      id = this.valueDim.length;
      this.valueIds.set(key, id);
      this.valueDim.push(dim);
      this.valueText.push(text);
    }
    return id;
  }

  private setValues(slot: number, doc: ProductSearchDocument): void {
    const categories = new Set(doc.categoryIds.map((id) => this.valueId(CATEGORY, id)));
    const frontend = new Set(doc.frontendCategoryIds.map((id) => this.valueId(FRONTEND, id)));
    const attributes = new Set<number>();
    for (const [name, list] of Object.entries(doc.attributes)) {
      let dim = this.attributeDims.get(name);
      if (dim === undefined) {
        dim = this.dimAttribute.length;
        this.attributeDims.set(name, dim);
        this.dimAttribute.push(name);
      }
      for (const value of list) attributes.add(this.valueId(dim, value));
    }
    const values = [this.valueId(BRAND, doc.brand.id), ...categories, ...frontend, ...attributes];
    const start = this.valueStart[slot]!;
    const count = this.valueCount[slot]!;
    const unchanged =
      count === values.length &&
      this.categoryCount[slot] === categories.size &&
      this.frontendCount[slot] === frontend.size &&
      values.every((value, i) => this.pool[start + i] === value);
    if (unchanged) return;
    this.poolGarbage += count;
    this.pool = grow(this.pool, this.poolLength + values.length);
    this.pool.set(values, this.poolLength);
    this.valueStart[slot] = this.poolLength;
    this.valueCount[slot] = values.length;
    this.categoryCount[slot] = categories.size;
    this.frontendCount[slot] = frontend.size;
    this.poolLength += values.length;
  }

  private compact(): void {
    const { alive } = this;
    for (let term = 0; term < this.postingLength.length; term++) {
      const slots = this.postingSlots[term]!;
      const weights = this.postingWeights[term]!;
      let kept = 0;
      for (let i = 0, n = this.postingLength[term]!; i < n; i++) {
        if (!alive[slots[i]!]) continue;
        slots[kept] = slots[i]!;
        weights[kept++] = weights[i]!;
      }
      this.postingLength[term] = kept;
    }
    const pool = new Int32Array(Math.max(4096, this.poolLength - this.poolGarbage));
    let poolLength = 0;
    const phrasePool = new Int32Array(Math.max(4096, this.phrasePoolLength));
    let phrasePoolLength = 0;
    this.statDocs = 0;
    this.statLength = 0;
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (alive[slot]) {
        const start = this.valueStart[slot]!;
        pool.set(this.pool.subarray(start, start + this.valueCount[slot]!), poolLength);
        this.valueStart[slot] = poolLength;
        poolLength += this.valueCount[slot]!;
        const phrases = this.phraseStart[slot]!;
        phrasePool.set(this.phrasePool.subarray(phrases, phrases + this.phraseCount[slot]!), phrasePoolLength);
        this.phraseStart[slot] = phrasePoolLength;
        phrasePoolLength += this.phraseCount[slot]!;
        this.statDocs++;
        this.statLength += this.length[slot]!;
      } else if (this.ids[slot] !== '') {
        this.ids[slot] = '';
        this.freeSlots.push(slot);
      }
    }
    this.pool = pool;
    this.poolLength = poolLength;
    this.phrasePool = phrasePool;
    this.phrasePoolLength = phrasePoolLength;
    this.poolGarbage = 0;
    this.deadCount = 0;
  }
}

const SCHEMA = (table: string) => `
  CREATE TABLE IF NOT EXISTS ${table} (
    seq      INTEGER PRIMARY KEY, -- change sequence: a reader catches up with the rows above the last it saw
    id       TEXT NOT NULL UNIQUE,
    revision INTEGER NOT NULL,
    doc      TEXT,                -- JSON; NULL once removed
    terms    TEXT                 -- the words of each search field, one line per field
  )`;

interface Row {
  seq: number;
  id: string;
  doc: string | null;
  terms: string | null;
}

type Change = { doc: ProductSearchDocument; terms: string } | { removed: string };

function documentStatements(db: Database.Database, table: string) {
  const upsert = db.prepare(`
    INSERT INTO ${table} (seq, id, revision, doc, terms) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, revision = excluded.revision, doc = excluded.doc, terms = excluded.terms
    WHERE excluded.revision > ${table}.revision OR ${table}.doc IS NULL`);
  const remove = db.prepare(`UPDATE ${table} SET seq = ?, doc = NULL, terms = NULL WHERE id = ? AND doc IS NOT NULL`);
  const maxSeq = db.prepare<[], number>(`SELECT coalesce(max(seq), 0) FROM ${table}`).pluck();
  return {
    maxSeq: () => maxSeq.get()!,
    /** Writes what is newer than the stored rows, from sequence `after` on; returns what changed and the last sequence used. */
    write(docs: ProductSearchDocument[], removals: string[], after: number) {
      let seq = after;
      const changes: Change[] = [];
      for (const doc of docs) {
        const terms = encodeTerms(doc);
        if (upsert.run(seq + 1, doc.id, doc.revision, JSON.stringify(doc), terms).changes > 0) {
          seq++;
          changes.push({ doc, terms });
        }
      }
      for (const id of removals) {
        if (remove.run(seq + 1, id).changes > 0) {
          seq++;
          changes.push({ removed: id });
        }
      }
      return { changes, seq };
    },
  };
}

function applyChanges(engine: Engine, changes: Change[]): void {
  for (const change of changes) {
    if ('removed' in change) engine.remove(change.removed);
    else engine.put(change.doc, change.terms);
  }
  engine.compactIfNeeded();
}

/**
 * Words stored by another ANALYSIS_VERSION are stale (a query would look for words the stored text no
 * longer yields): re-derive them from the stored documents, and start a new generation so that every
 * process reloads them.
 */
function reanalyze(db: Database.Database, newGeneration: () => void): void {
  const version = db.prepare<[], number>("SELECT value FROM search_meta WHERE key = 'analysis'").pluck();
  if (version.get() === ANALYSIS_VERSION) return;
  const rows = db.prepare<[], { id: string; doc: string }>('SELECT id, doc FROM search_documents WHERE doc IS NOT NULL');
  const update = db.prepare('UPDATE search_documents SET terms = ? WHERE id = ?');
  db.transaction(() => {
    if (version.get() === ANALYSIS_VERSION) return;
    for (const row of rows.all()) update.run(encodeTerms(JSON.parse(row.doc) as ProductSearchDocument), row.id);
    db.prepare("INSERT INTO search_meta (key, value) VALUES ('analysis', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(ANALYSIS_VERSION);
    newGeneration();
  }).immediate();
}

/**
 * The persisted engine image, a file beside the database (`<database>-search-image-<id>`): a header (JSON: the
 * format, ANALYSIS_VERSION, the table generation, the change sequence the image holds, a random image id,
 * and where each blob lies) and the engine's arrays as blobs, 8-byte aligned (typed arrays as they lie in
 * memory, so loading makes views of the file's bytes; string lists joined by NUL). The id is recorded in
 * `search_meta` ('image') once the file is in place: an image is used only when its id is the recorded
 * one (each image has its own file, so processes writing images at once never mix them; older ones are
 * removed once a newer one is recorded) and its format, analysis version and generation are the current ones (so a restored or copied
 * database never meets an image of another history); the rows written after its sequence are then applied
 * on top (the usual catch-up). Reading a file is 4–5× faster than reading the same bytes as SQLite blobs.
 */
const IMAGE_FORMAT = 2;
const IMAGE_INTERVAL_MS = 60_000;
const IMAGE_MAGIC = 'BZSIMG01';
const ARRAY_KINDS = { Int32Array, Uint16Array, Uint8Array, Float32Array, Float64Array } as const;
type ArrayKind = keyof typeof ARRAY_KINDS;

interface ImageHeader {
  format: number;
  analysis: number;
  generation: number;
  seq: number;
  id: number;
  scalars: Record<string, number>;
  arrays: Record<string, { kind: ArrayKind; length: number; offset: number }>;
  strings: Record<string, { count: number; bytes: number; offset: number }>;
}

const NUL = '\u0000';
const align8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * The bytes of the image file, in order: the magic, the header's length and the header (with room), then each
 * array and string list, padded to 8 bytes. Null: the image cannot be written (a string holds the separator).
 */
function imageFileChunks(image: EngineImage, stamp: { generation: number; seq: number; id: number }): Uint8Array[] | null {
  const header: ImageHeader = { format: IMAGE_FORMAT, analysis: ANALYSIS_VERSION, ...stamp, scalars: image.scalars, arrays: {}, strings: {} };
  const blobs: Uint8Array[] = [];
  const layout: Array<{ offset: number }> = [];
  for (const [name, array] of Object.entries(image.arrays)) {
    const entry = { kind: array.constructor.name as ArrayKind, length: array.length, offset: 0 };
    header.arrays[name] = entry;
    layout.push(entry);
    blobs.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  for (const [name, list] of Object.entries(image.strings)) {
    const text = list.join(NUL);
    // A string holding the separator could not be split again: no image then (the rows remain the truth).
    if (list.length > 0 && text.split(NUL).length !== list.length) return null;
    const bytes = Buffer.from(text, 'utf8');
    const entry = { count: list.length, bytes: bytes.length, offset: 0 };
    header.strings[name] = entry;
    layout.push(entry);
    blobs.push(bytes);
  }
  // The header's length depends on the offsets it holds: lay the blobs out after room for it.
  const room = align8(Buffer.byteLength(JSON.stringify(header)) + 64 * layout.length + 1024);
  let offset = 16 + room;
  layout.forEach((entry, i) => {
    entry.offset = offset;
    offset = align8(offset + blobs[i]!.length);
  });
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > room) return null;
  const start = Buffer.alloc(16 + room);
  start.write(IMAGE_MAGIC, 0, 'latin1');
  start.writeUInt32LE(json.length, 8);
  json.copy(start, 16);
  const chunks: Uint8Array[] = [start];
  for (const blob of blobs) {
    chunks.push(blob);
    const pad = align8(blob.length) - blob.length;
    if (pad > 0) chunks.push(new Uint8Array(pad));
  }
  return chunks;
}

const temporaryImagePath = (path: string, id: number) => `${path}.${process.pid}.${id}.tmp`;

/** Writes the chunks to `path` through a temporary file, synced, then renamed: a reader sees a whole file or none. */
function writeChunksSync(path: string, temporary: string, chunks: Uint8Array[]): void {
  const fd = openSync(temporary, 'w');
  try {
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done, Math.min(chunk.length - done, 64 * 2 ** 20));
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, path);
}

/** Writes the image to `path` on this thread; whether it could. */
function writeImageFile(path: string, image: EngineImage, stamp: { generation: number; seq: number; id: number }): boolean {
  const chunks = imageFileChunks(image, stamp);
  if (!chunks) return false;
  writeChunksSync(path, temporaryImagePath(path, stamp.id), chunks);
  return true;
}

/** writeChunksSync, in a worker thread (CommonJS, evaluated: no module of this package is loaded there). */
const IMAGE_WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { path, temporary, chunks } = workerData;
try {
  const fd = fs.openSync(temporary, 'w');
  try {
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.length; ) done += fs.writeSync(fd, chunk, done, Math.min(chunk.length - done, 64 * 2 ** 20));
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, path);
  parentPort.postMessage({ ok: true });
} catch (error) {
  fs.rmSync(temporary, { force: true });
  parentPort.postMessage({ ok: false, error: String(error && error.message || error) });
}
`;

/**
 * Writes the image to `path` in a worker thread; whether it could. This thread only copies the image's bytes
 * (the engine goes on changing meanwhile) and hands them over: the disk write and its fsync, most of the
 * cost at a million products, no longer stop the event loop.
 */
function writeImageFileInBackground(path: string, image: EngineImage, stamp: { generation: number; seq: number; id: number }): Promise<boolean> {
  const chunks = imageFileChunks(image, stamp);
  if (!chunks) return Promise.resolve(false);
  const owned = chunks.map((chunk) => chunk.slice()); // own buffers, handed over without another copy
  return new Promise<boolean>((resolve, reject) => {
    const worker = new Worker(IMAGE_WRITER, {
      eval: true,
      workerData: { path, temporary: temporaryImagePath(path, stamp.id), chunks: owned },
      transferList: owned.map((chunk) => chunk.buffer as ArrayBuffer),
    });
    worker.once('message', (answer: { ok: boolean; error?: string }) => (answer.ok ? resolve(true) : reject(new Error(`search image: ${answer.error}`))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`search image: the writer exited with ${code}`))); // after an answer: no effect
  });
}

/** The image in `path` if it is the one recorded (`id`) and of this generation; its arrays are views of the file's bytes. */
function readImageFile(path: string, expected: { id: number; generation: number }): { image: EngineImage; seq: number } | null {
  if (!existsSync(path)) return null;
  let file = readFileSync(path);
  if (file.length < 16 || file.toString('latin1', 0, 8) !== IMAGE_MAGIC) return null;
  const header = JSON.parse(file.toString('utf8', 16, 16 + file.readUInt32LE(8))) as ImageHeader;
  if (header.format !== IMAGE_FORMAT || header.analysis !== ANALYSIS_VERSION || header.id !== expected.id || header.generation !== expected.generation) return null;
  if (file.byteOffset % 8 !== 0) file = Buffer.from(file);
  const arrays: Record<string, TypedArray> = {};
  for (const [name, { kind, length, offset }] of Object.entries(header.arrays)) {
    const Kind = ARRAY_KINDS[kind];
    if (offset + length * Kind.BYTES_PER_ELEMENT > file.length) throw new Error(`search image: ${name} is cut short`);
    arrays[name] = new Kind(file.buffer as ArrayBuffer, file.byteOffset + offset, length);
  }
  const strings: Record<string, string[]> = {};
  for (const [name, { count, bytes, offset }] of Object.entries(header.strings)) {
    if (offset + bytes > file.length) throw new Error(`search image: ${name} is cut short`);
    const list = count === 0 ? [] : file.toString('utf8', offset, offset + bytes).split(NUL);
    if (list.length !== count) throw new Error(`search image: ${name} has ${list.length} strings, not ${count}`);
    strings[name] = list;
  }
  return { image: { scalars: header.scalars, arrays, strings }, seq: header.seq };
}

/** SQLite options of the embedded index. */
export interface SqliteSearchIndexOptions {
  /**
   * Load the persisted engine image when the index opens (or another process's rebuild switches the
   * generation) and write one now and then; false: always build the engine from the rows. Default: true
   * for a database file, false in memory (a new connection could not read it anyway).
   */
  snapshot?: boolean;
  /** Changes written through this index before it writes a new image. Default 10,000 (0: never by count). */
  snapshotEvery?: number;
  /** Delay before a due image is written, in ms (0: at the end of the write that made it due). Default 1,000. */
  snapshotDelayMs?: number;
}

/** The embedded SearchIndex, with its image written on demand (tests, tools). */
export interface EmbeddedSearchIndex extends SearchIndex {
  /** Writes the engine image at the current sequence unless a stored one is as recent; whether it wrote. */
  persist(): boolean;
}

/** SearchIndex on SQLite (the database may be shared with other stores and other processes). */
export function sqliteSearchIndex(db: Database.Database, options: SqliteSearchIndexOptions = {}): EmbeddedSearchIndex {
  const useImage = options.snapshot ?? !db.memory;
  const imageEvery = options.snapshotEvery ?? 10_000;
  const imageDelay = options.snapshotDelayMs ?? 1_000;
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    ${SCHEMA('search_documents')};
    CREATE TABLE IF NOT EXISTS search_checkpoints (projection TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  `);
  const live = documentStatements(db, 'search_documents');
  const selectDoc = db.prepare<[string], string>('SELECT doc FROM search_documents WHERE id = ? AND doc IS NOT NULL').pluck();
  const selectRows = db.prepare<[number], Row>('SELECT seq, id, doc, terms FROM search_documents WHERE seq > ? ORDER BY seq');
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  const selectGeneration = db.prepare<[], number>("SELECT value FROM search_meta WHERE key = 'generation'").pluck();
  const setGeneration = db.prepare("INSERT INTO search_meta (key, value) VALUES ('generation', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  const selectCheckpoint = db.prepare<[string], number>('SELECT position FROM search_checkpoints WHERE projection = ?').pluck();
  const setCheckpoint = db.prepare(
    'INSERT INTO search_checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
  );
  const generationOf = () => selectGeneration.get() ?? 0;
  const checkpointOf = (projection: string) => selectCheckpoint.get(projection) ?? 0;
  reanalyze(db, () => setGeneration.run(generationOf() + 1));

  // Parsed documents of recent hits (LRU): a results page reads twenty, and popular products come back in
  // page after page. Every change the engine applies forgets its product's entry; a new generation all.
  const hitDocuments = new LruMap<string, ProductSearchDocument>(20_000);
  const documentOf = (id: string): ProductSearchDocument | null => {
    const cached = hitDocuments.get(id);
    if (cached) return cached;
    const json = selectDoc.get(id);
    if (!json) return null;
    const doc = JSON.parse(json) as ProductSearchDocument;
    hitDocuments.set(id, doc);
    return doc;
  };
  const forget = (changes: Change[]) => {
    for (const change of changes) hitDocuments.delete('removed' in change ? change.removed : change.doc.id);
  };

  // What this process has applied to its engine: the table generation and the last change sequence.
  let engine = new Engine();
  let generation = -1;
  let lastSeq = 0;
  let lastDataVersion = -1;
  // The newest image this process knows is stored (loaded or written), and a due write.
  let imageGeneration = -1;
  let imageSeq = 0;
  let imageTimer: NodeJS.Timeout | undefined;
  let imageWrittenAt = 0;

  // The image file of a database file (none in memory), and the id of the image in place.
  const imageBase = db.memory ? null : `${db.name}-search-image`;
  const imagePathOf = (id: number) => `${imageBase}-${id}`;
  const selectMeta = db.prepare<[string], number>('SELECT value FROM search_meta WHERE key = ?').pluck();
  const setMeta = db.prepare('INSERT INTO search_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  /** The recorded image (id 0: none) and the table's current generation and last sequence. */
  const imageStamp = db.transaction(() => ({
    id: selectMeta.get('image') ?? 0,
    imageGeneration: selectMeta.get('image_generation') ?? -1,
    seq: selectMeta.get('image_seq') ?? 0,
    generation: generationOf(),
    maxSeq: live.maxSeq(),
  }));

  /** The recorded image of this generation, if there is a usable one. */
  function loadImage(current: number): { engine: Engine; seq: number } | null {
    if (!imageBase) return null;
    // Twice: a newer image may be recorded (and the one read here removed) between the look and the read.
    for (let attempt = 0; attempt < 2; attempt++) {
      const stamp = imageStamp();
      if (stamp.id === 0 || stamp.generation !== current || stamp.imageGeneration !== current) return null;
      const found = readImageFile(imagePathOf(stamp.id), stamp);
      if (!found) continue;
      if (found.seq > stamp.maxSeq) return null;
      return { engine: Engine.load(found.image), seq: found.seq };
    }
    return null;
  }

  /** Records a written image as the one in place, unless the generation moved on meanwhile. */
  const recordImage = db.transaction((id: number, imageGeneration: number, seq: number): boolean => {
    if (generationOf() !== imageGeneration) return false;
    // Another process recorded a more recent image of this generation meanwhile: keep it.
    if (selectMeta.get('image') && selectMeta.get('image_generation') === imageGeneration && (selectMeta.get('image_seq') ?? 0) > seq) return false;
    setMeta.run('image', id);
    setMeta.run('image_generation', imageGeneration);
    setMeta.run('image_seq', seq);
    return true;
  });

  /**
   * Removes the image files other than the recorded one, and the temporary files of writers that died mid-write
   * (`<image>.<pid>.<id>.tmp` whose process is gone); never the temporary file of an image being written.
   */
  function removeImagesBut(keep: number): void {
    const prefix = `${basename(imageBase!)}-`;
    for (const name of readdirSync(dirname(imageBase!))) {
      if (!name.startsWith(prefix) || name === basename(imagePathOf(keep))) continue;
      if (name.endsWith('.tmp') && processAlive(Number(/\.(\d+)\.\d+\.tmp$/.exec(name)?.[1]))) continue;
      rmSync(join(dirname(imageBase!), name), { force: true });
    }
  }

  /** The image to write of the engine as it is now (after catching up), or null when a stored one is as recent. */
  function nextImage(): { id: number; stamp: { generation: number; seq: number; id: number } } | null {
    if (imageTimer) clearTimeout(imageTimer);
    imageTimer = undefined;
    if (!db.open || !imageBase) return null;
    sync();
    if (imageGeneration === generation && imageSeq >= lastSeq) return null;
    const stored = imageStamp();
    // Another process recorded an image as recent as this engine: nothing to add.
    if (stored.id !== 0 && stored.imageGeneration === generation && stored.seq >= lastSeq) {
      imageGeneration = generation;
      imageSeq = stored.seq;
      return null;
    }
    const id = 1 + Math.floor(Math.random() * 2 ** 48);
    return { id, stamp: { generation, seq: lastSeq, id } };
  }

  /** Records a written image and removes the others; from now on this process counts changes from it. */
  function imageWritten(written: boolean, stamp: { generation: number; seq: number; id: number }): boolean {
    const recorded = written && db.open && recordImage.immediate(stamp.id, stamp.generation, stamp.seq);
    if (db.open) removeImagesBut(recorded ? stamp.id : (selectMeta.get('image') ?? 0));
    imageGeneration = stamp.generation;
    imageSeq = stamp.seq;
    imageWrittenAt = Date.now();
    return recorded;
  }

  /** Writes the image of the engine as it is now (after catching up), on this thread; whether it wrote one. */
  function persist(): boolean {
    const next = nextImage();
    if (!next) return false;
    return imageWritten(writeImageFile(imagePathOf(next.id), engine.image(), next.stamp), next.stamp);
  }

  /** The image being written in a worker thread, if any. */
  let writing: Promise<unknown> | null = null;

  /** persist, with the file written in a worker thread (the due images of a serving process). */
  function persistInBackground(): void {
    if (writing) return; // the next one is due after more changes
    const next = nextImage();
    if (!next) return;
    writing = writeImageFileInBackground(imagePathOf(next.id), engine.image(), next.stamp)
      .then(
        (written) => imageWritten(written, next.stamp),
        () => imageWritten(false, next.stamp), // the image is an optimisation: the rows remain the truth
      )
      .catch(() => undefined) // a busy or closed database: left for the next time one is due
      .finally(() => {
        writing = null;
      });
  }

  /** After this process wrote changes: an image is due `snapshotEvery` changes after the last one (or the generation's start). */
  function imageDue(): void {
    if (!useImage || imageEvery <= 0 || imageTimer) return;
    if (imageGeneration === generation && lastSeq - imageSeq < imageEvery) return;
    if (imageDelay === 0) {
      persist();
      return;
    }
    // At most one image a minute from the changes of one process (an image at 1M products is ~0.5 GB).
    const delay = Math.max(imageDelay, imageWrittenAt + IMAGE_INTERVAL_MS - Date.now());
    imageTimer = setTimeout(() => {
      imageTimer = undefined;
      try {
        persistInBackground();
      } catch {
        // The image is an optimisation: a busy or closed database leaves it for the next time it is due.
      }
    }, delay);
    imageTimer.unref();
  }

  /** Applies the changes other connections committed since the last look (all of them after a rebuild). */
  function catchUp(): void {
    lastDataVersion = dataVersion.get()!;
    const current = generationOf();
    if (current !== generation) {
      engine = new Engine();
      generation = current;
      lastSeq = 0;
      hitDocuments.clear();
      // Without an image of this generation, an image is due once `snapshotEvery` rows are applied.
      imageGeneration = current;
      imageSeq = 0;
      const image = useImage ? loadImageSafely(current) : null;
      if (image) {
        engine = image.engine;
        lastSeq = image.seq;
        imageSeq = image.seq;
      }
    }
    let applied = 0;
    for (const row of selectRows.iterate(lastSeq)) {
      hitDocuments.delete(row.id);
      if (row.doc === null || row.terms === null) engine.remove(row.id);
      else engine.put(JSON.parse(row.doc) as ProductSearchDocument, row.terms);
      lastSeq = row.seq;
      applied++;
    }
    engine.compactIfNeeded();
    // A long replay (a start without a recent image): spare the next start from it.
    if (applied >= imageEvery) imageDue();
  }

  function loadImageSafely(current: number): { engine: Engine; seq: number } | null {
    try {
      return loadImage(current);
    } catch {
      // A damaged or unreadable image: the rows are the truth, and the engine is built from them.
      return null;
    }
  }

  const sync = () => {
    if (dataVersion.get() !== lastDataVersion) catchUp();
  };

  /** The index generation when this connection last read each projection's checkpoint (see `commit`). */
  const readGeneration = new Map<string, number>();

  const writeLive = db.transaction((docs: ProductSearchDocument[], removals: string[], move?: { projection: string; from: number; to: number }) => {
    if (move) {
      const actual = checkpointOf(move.projection);
      const expected = readGeneration.get(move.projection);
      // A writer that read its checkpoint before a rebuild's swap must not write into the new index.
      if (actual !== move.from || (expected !== undefined && expected !== generationOf())) throw new CheckpointMoved(move.projection, move.from, actual);
    }
    const before = live.maxSeq();
    const caughtUp = before === lastSeq && generationOf() === generation;
    const { changes, seq } = live.write(docs, removals, before);
    if (move) setCheckpoint.run(move.projection, move.to);
    return { changes, seq, caughtUp };
  });

  function write(docs: ProductSearchDocument[], removals: string[], move?: { projection: string; from: number; to: number }): void {
    const { changes, seq, caughtUp } = writeLive.immediate(docs, removals, move);
    if (caughtUp) {
      forget(changes);
      applyChanges(engine, changes);
      lastSeq = seq;
    } else {
      catchUp();
    }
    if (changes.length > 0) imageDue();
  }

  catchUp();

  return {
    async search(query) {
      const normalized = normalizeSearchQuery(query);
      sync();
      const current = engine;
      const planOf = (q: string) => {
        const plan = planQuery(q, normalized.synonyms);
        return withTypos(plan, current.corrections(plan));
      };
      const plan = planOf(normalized.q);
      const result = current.search(normalized, plan);
      const terms = highlightTerms(plan);
      const from = (normalized.page - 1) * normalized.size;
      const hits = result.top.slice(from).flatMap((slot) => {
        const doc = documentOf(current.idOf(slot));
        return doc ? [toSearchHit(doc, terms)] : [];
      });
      const page: SearchResult = { total: result.total, page: normalized.page, size: normalized.size, hits, facets: result.facets };
      if (result.total > 0 || plan.clauses.length === 0) return page;
      const advice = await zeroResultAdvice(plan, {
        clauseMatches: async (clause) => current.matchesAny({ clauses: [clause], head: [] }),
        correction: async (word, distance) => current.typoCandidates(word, distance)[0]?.term ?? null,
        finds: async (q) => {
          const candidate = planOf(q);
          return candidate.clauses.length > 0 && current.matchesAny(candidate);
        },
      });
      return { ...page, ...advice };
    },

    async suggest(query) {
      const { q, size } = normalizeSuggestQuery(query);
      const prefix = suggestKey(q);
      if (prefix === '') return [];
      sync();
      return engine.suggester.suggest(prefix, size);
    },

    async get(id) {
      const json = selectDoc.get(id);
      return json ? (JSON.parse(json) as ProductSearchDocument) : null;
    },

    async count() {
      sync();
      return engine.size;
    },

    async upsert(docs) {
      write(docs, []);
    },

    async remove(ids) {
      write([], ids);
    },

    async checkpoint(projection) {
      // The generation first: a swap between the two reads then fails the next commit (never the reverse).
      readGeneration.set(projection, generationOf());
      return checkpointOf(projection);
    },

    async commit(projection, upserts, removals, from, to) {
      write(upserts, removals, { projection, from, to });
    },

    async beginRebuild(): Promise<SearchIndexRebuild> {
      db.exec(`DROP TABLE IF EXISTS search_documents_next; ${SCHEMA('search_documents_next')}`);
      const next = documentStatements(db, 'search_documents_next');
      const nextEngine = new Engine();
      let nextSeq = 0;
      const writeNext = db.transaction((docs: ProductSearchDocument[], removals: string[]) => next.write(docs, removals, nextSeq));
      const fill = (docs: ProductSearchDocument[], removals: string[]) => {
        const { changes, seq } = writeNext.immediate(docs, removals);
        nextSeq = seq;
        applyChanges(nextEngine, changes);
      };
      const swap = db.transaction((checkpoint?: { projection: string; position: number }) => {
        db.exec('DROP TABLE search_documents; ALTER TABLE search_documents_next RENAME TO search_documents; DELETE FROM search_checkpoints');
        if (checkpoint) setCheckpoint.run(checkpoint.projection, checkpoint.position);
        setGeneration.run(generationOf() + 1);
      });
      return {
        async upsert(docs) {
          fill(docs, []);
        },
        async remove(ids) {
          fill([], ids);
        },
        async commit(checkpoint) {
          swap.immediate(checkpoint);
          hitDocuments.clear();
          engine = nextEngine;
          generation = generationOf();
          lastSeq = nextSeq;
          lastDataVersion = -1;
          imageGeneration = generation;
          imageSeq = 0;
          imageDue();
        },
        async abort() {
          db.exec('DROP TABLE IF EXISTS search_documents_next');
        },
      };
    },

    async ping() {
      db.prepare('SELECT 1').get();
    },

    persist,

    async close() {
      await writing;
      // The image of what this process holds, unless a stored one is as recent (a restart then loads it).
      if (useImage && db.open && (imageTimer !== undefined || imageGeneration !== generation || imageSeq < lastSeq)) {
        try {
          persist();
        } catch {
          // Leave it: the next start reads the rows after the stored image (or all of them).
        }
      }
      if (imageTimer) clearTimeout(imageTimer);
      db.close();
    },
  };
}

/** Whether a process with this id runs on this machine (a pid that cannot be read counts as running). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
