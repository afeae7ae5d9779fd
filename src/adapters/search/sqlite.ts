import type Database from 'better-sqlite3';
import {
  ATTRIBUTE_SEPARATOR,
  byCountThenValue,
  CheckpointMoved,
  FACET_LIMITS,
  groupAttributePairs,
  normalizeSearchQuery,
  PRICE_BUCKETS,
  type FacetCount,
  type NormalizedSearchQuery,
  type ProductSearchDocument,
  type SearchIndex,
  type SearchIndexRebuild,
  type SearchResult,
} from '../../ports/search-index.js';
import { documentTerms, FIELD_WEIGHTS, queryTerms, SEARCH_FIELDS, toSearchHit } from '../../search/text.js';
import { LruMap } from '../../kernel/lru-map.js';

/**
 * Embedded SearchIndex: SQLite keeps the documents, their pre-tokenized words and the checkpoints
 * (durable, transactional, shared by processes); queries run on an in-memory engine (inverted index
 * and typed-array columns) loaded from it and kept in step with its change sequence. FTS5 was measured
 * and not taken: its bm25() ranking of a broad keyword alone costs more than a whole keyword + filter +
 * facet query here (bench/search-results.md).
 */

const K1 = 1.2;
const B = 0.75;

/** Value dimensions of filters and facets; each attribute name gets its own after these. */
const BRAND = 0;
const CATEGORY = 1;
const FRONTEND = 2;

/** A document's words as stored: one line per field of SEARCH_FIELDS, words separated by spaces. */
function encodeTerms(doc: ProductSearchDocument): string {
  const terms = documentTerms(doc);
  return SEARCH_FIELDS.map((field) => terms[field].join(' ')).join('\n');
}

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

type TypedArray = Int32Array | Uint16Array | Uint8Array | Float32Array | Float64Array;

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

  private alive = new Uint8Array(1024);
  private listed = new Uint8Array(1024);
  private inStock = new Uint8Array(1024);
  private bucket = new Uint8Array(1024);
  private minPrice = new Float64Array(1024);
  private sales = new Float64Array(1024);
  private listedAt = new Float64Array(1024);
  private length = new Float32Array(1024);
  private textHash = new Float64Array(1024);
  private valueStart = new Int32Array(1024);
  private valueCount = new Uint16Array(1024);
  private categoryCount = new Uint16Array(1024);
  private frontendCount = new Uint16Array(1024);

  private readonly termIds = new Map<string, number>();
  private postingSlots: Int32Array[] = [];
  private postingWeights: Uint16Array[] = [];
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
  private queryStamp = 0;

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
    }
    this.listed[slot] = doc.status === 'listed' ? 1 : 0;
    this.inStock[slot] = doc.inStock ? 1 : 0;
    this.minPrice[slot] = doc.minPrice;
    this.bucket[slot] = priceBucket(doc.minPrice);
    this.sales[slot] = doc.salesCount;
    this.listedAt[slot] = doc.listedAt ? Date.parse(doc.listedAt) : -Infinity;
    this.brandNames.set(doc.brand.id, doc.brand.name);
    this.setValues(slot, doc);
  }

  remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot !== undefined) this.kill(slot);
  }

  /** Drops dead slots from the postings once they are a quarter of the live ones. */
  compactIfNeeded(): void {
    if (this.deadCount > Math.max(1000, this.liveCount / 4)) this.compact();
  }

  search(query: NormalizedSearchQuery, terms: string[]): EngineResult {
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

    const keyed = terms.length > 0;
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
    const candidates = keyed ? this.match(terms) : undefined;
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

  /** Listed slots holding every term, with their BM25F scores left in `this.score`. */
  private match(terms: string[]): Int32Array {
    const ids = terms.map((term) => this.termIds.get(term));
    if (ids.some((id) => id === undefined)) return new Int32Array(0);
    const order = (ids as number[]).sort((a, b) => this.postingLength[a]! - this.postingLength[b]!);
    const { listed, length } = this;
    const { stamp, matched, score } = this.scratch();
    const q = this.queryStamp;
    const norm = K1 * (1 - B);
    const normPerLength = (K1 * B * this.statDocs) / this.statLength;
    order.forEach((term, j) => {
      const slots = this.postingSlots[term]!;
      const weights = this.postingWeights[term]!;
      const n = this.postingLength[term]!;
      const idf = Math.log(1 + (this.statDocs - n + 0.5) / (n + 0.5)) * (K1 + 1);
      for (let i = 0; i < n; i++) {
        const slot = slots[i]!;
        if (j === 0) {
          if (listed[slot] === 0) continue;
          stamp[slot] = q;
          score[slot] = 0;
        } else if (stamp[slot] !== q || matched[slot] !== j) {
          continue;
        }
        const tf = weights[i]!;
        score[slot]! += (idf * tf) / (tf + norm + normPerLength * length[slot]!);
        matched[slot] = j + 1;
      }
    });
    const first = this.postingSlots[order[0]!]!;
    const found = new Int32Array(this.postingLength[order[0]!]!);
    let count = 0;
    for (let i = 0; i < found.length; i++) {
      const slot = first[i]!;
      if (stamp[slot] === q && matched[slot] === order.length) found[count++] = slot;
    }
    return found.subarray(0, count);
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
      this.queryStamp = 0;
    }
    if (++this.queryStamp === 0x7fffffff) {
      this.stamp.fill(0);
      this.queryStamp = 1;
    }
    return { stamp: this.stamp, matched: this.matched, score: this.score };
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
      this.textHash = grow(this.textHash, min);
      this.valueStart = grow(this.valueStart, min);
      this.valueCount = grow(this.valueCount, min);
      this.categoryCount = grow(this.categoryCount, min);
      this.frontendCount = grow(this.frontendCount, min);
    }
    this.ids[slot] = id;
    this.slotOf.set(id, slot);
    this.alive[slot] = 1;
    this.valueCount[slot] = 0;
    this.liveCount++;
    return slot;
  }

  private kill(slot: number): void {
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
    terms.split('\n').forEach((line, field) => {
      if (!line) return;
      const weight = FIELD_WEIGHTS[SEARCH_FIELDS[field]!];
      for (const term of line.split(' ')) {
        weights.set(term, (weights.get(term) ?? 0) + weight);
        length += weight;
      }
    });
    this.length[slot] = length;
    this.statDocs++;
    this.statLength += length;
    for (const [term, weight] of weights) {
      let id = this.termIds.get(term);
      if (id === undefined) {
        id = this.postingLength.length;
        this.termIds.set(term, id);
        this.postingSlots.push(new Int32Array(4));
        this.postingWeights.push(new Uint16Array(4));
        this.postingLength.push(0);
      }
      const n = this.postingLength[id]!;
      this.postingSlots[id] = grow(this.postingSlots[id]!, n + 1);
      this.postingWeights[id] = grow(this.postingWeights[id]!, n + 1);
      this.postingSlots[id]![n] = slot;
      this.postingWeights[id]![n] = Math.min(weight, 0xffff);
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
    this.statDocs = 0;
    this.statLength = 0;
    for (let slot = 0; slot < this.slotCount; slot++) {
      if (alive[slot]) {
        const start = this.valueStart[slot]!;
        pool.set(this.pool.subarray(start, start + this.valueCount[slot]!), poolLength);
        this.valueStart[slot] = poolLength;
        poolLength += this.valueCount[slot]!;
        this.statDocs++;
        this.statLength += this.length[slot]!;
      } else if (this.ids[slot] !== '') {
        this.ids[slot] = '';
        this.freeSlots.push(slot);
      }
    }
    this.pool = pool;
    this.poolLength = poolLength;
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

/** SearchIndex on SQLite (the database may be shared with other stores and other processes). */
export function sqliteSearchIndex(db: Database.Database): SearchIndex {
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

  /** Applies the changes other connections committed since the last look (all of them after a rebuild). */
  function catchUp(): void {
    lastDataVersion = dataVersion.get()!;
    const current = generationOf();
    if (current !== generation) {
      engine = new Engine();
      generation = current;
      lastSeq = 0;
      hitDocuments.clear();
    }
    for (const row of selectRows.iterate(lastSeq)) {
      hitDocuments.delete(row.id);
      if (row.doc === null || row.terms === null) engine.remove(row.id);
      else engine.put(JSON.parse(row.doc) as ProductSearchDocument, row.terms);
      lastSeq = row.seq;
    }
    engine.compactIfNeeded();
  }

  const sync = () => {
    if (dataVersion.get() !== lastDataVersion) catchUp();
  };

  const writeLive = db.transaction((docs: ProductSearchDocument[], removals: string[], move?: { projection: string; from: number; to: number }) => {
    if (move) {
      const actual = checkpointOf(move.projection);
      if (actual !== move.from) throw new CheckpointMoved(move.projection, move.from, actual);
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
  }

  catchUp();

  return {
    async search(query) {
      const normalized = normalizeSearchQuery(query);
      const terms = queryTerms(normalized.q);
      sync();
      const result = engine.search(normalized, terms);
      const from = (normalized.page - 1) * normalized.size;
      const hits = result.top.slice(from).flatMap((slot) => {
        const doc = documentOf(engine.idOf(slot));
        return doc ? [toSearchHit(doc, terms)] : [];
      });
      return { total: result.total, page: normalized.page, size: normalized.size, hits, facets: result.facets };
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
        },
        async abort() {
          db.exec('DROP TABLE IF EXISTS search_documents_next');
        },
      };
    },

    async ping() {
      db.prepare('SELECT 1').get();
    },

    async close() {
      db.close();
    },
  };
}
