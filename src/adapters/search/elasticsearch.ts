import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect as tlsConnect, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import { Client, errors, type estypes } from '@elastic/elasticsearch';

type ClientOptions = NonNullable<ConstructorParameters<typeof Client>[0]>;
import productsIndex from '../../../infra/elasticsearch/products-index.json' with { type: 'json' };
import {
  ATTRIBUTE_SEPARATOR,
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
import { documentHeads, documentTerms, FIELD_WEIGHTS, RANKING, SEARCH_FIELDS, toSearchHit } from '../../search/text.js';
import { highlightTerms, MAX_TYPO_EXPANSIONS, planQuery, withTypos, zeroResultAdvice, type PlanClause, type QueryPlan, type TypoCandidate } from '../../search/query.js';
import { entryPhrase, suggestionEntries, suggestKey } from '../../search/suggest.js';
import { EngineUnavailableError, translateErrors } from '../../kernel/errors.js';

/**
 * SearchIndex on Elasticsearch. Each index follows infra/elasticsearch/products-index.json and is served
 * through an alias; a rebuild fills a new index and swaps the alias in one atomic action. Text fields
 * hold the words of src/search/text.ts (whitespace-analyzed), so matching equals the embedded engine's;
 * relevance is combined_fields (BM25F) with the same field weights, multiplied as RANKING says by a
 * function_score (heads of the category name and title, stock, sales). Writes carry the document revision
 * as an external version, so an older revision never overwrites a newer one. Projection checkpoints
 * live in the index itself (documents with a `checkpoint` field), so a swap moves them with the data.
 * Elasticsearch has no transaction: `commit` writes the documents, then moves the checkpoint with a
 * compare-and-set. A crash between the two leaves the documents written and the checkpoint behind; the
 * batch is then replayed and, writes being idempotent by revision, leaves the same index (the contract
 * test "replays a batch whose documents were written but not its checkpoint").
 */

const { settings, mappings } = productsIndex.template as unknown as {
  settings: estypes.IndicesIndexSettings;
  mappings: estypes.MappingTypeMapping;
};

/** How to reach Elasticsearch: ELASTICSEARCH_URL and its security settings. */
export interface ElasticsearchSettings {
  /** ELASTICSEARCH_URL; user and password in it (https://user:pass@host:9200) are sent as basic auth. */
  url: string;
  /** ELASTICSEARCH_API_KEY: the API key's base64 `encoded` value, sent as `Authorization: ApiKey …`. */
  apiKey?: string;
  /** ELASTICSEARCH_CA_FILE: PEM file of the CA that signed the cluster's HTTP certificate (8.x/9.x generate one: config/certs/http_ca.crt). */
  caFile?: string;
  /**
   * ELASTICSEARCH_CA_FINGERPRINT: SHA-256 fingerprint of that CA instead of the file (as Elasticsearch prints it
   * at first start); the CA is then read from the node's chain at start and verified against it (`caFromFingerprint`).
   */
  caFingerprint?: string;
}

const normalFingerprint = (fingerprint: string) => fingerprint.replace(/:/g, '').toLowerCase();

/**
 * The CA certificate (PEM) with this SHA-256 fingerprint, taken from the chain the node at `url` presents.
 * The fingerprint is a hash of the certificate itself, so the certificate found is the one configured;
 * the client then verifies the node's chain and host name against it as against a CA file. (The client's
 * own `caFingerprint` alone needs `rejectUnauthorized: false`, which checks neither the chain's
 * signatures nor the host name: it is kept only as a second check.)
 */
export async function caFromFingerprint(url: string, fingerprint: string, timeoutMs = 10_000): Promise<string> {
  const target = new URL(url);
  if (target.protocol !== 'https:') throw new Error('ELASTICSEARCH_CA_FINGERPRINT needs an https:// ELASTICSEARCH_URL');
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const chain = await new Promise<PeerCertificate[]>((resolve, reject) => {
    const socket = tlsConnect({ host, port: Number(target.port || 443), rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) }, () => {
      const found: PeerCertificate[] = [];
      let certificate: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (certificate && Object.keys(certificate).length > 0 && !found.includes(certificate)) {
        found.push(certificate);
        certificate = certificate.issuerCertificate;
      }
      socket.end();
      resolve(found);
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS answer from ${target.host} within ${timeoutMs} ms`)));
    socket.once('error', reject);
  });
  const ca = chain.find((certificate) => normalFingerprint(certificate.fingerprint256) === normalFingerprint(fingerprint));
  if (!ca) throw new Error(`no certificate of ${target.host}'s chain has the fingerprint ELASTICSEARCH_CA_FINGERPRINT`);
  return new X509Certificate(ca.raw).toString();
}

/** The client options for these settings (a CA fingerprint must first be resolved to its certificate: `ca`). */
export function elasticsearchClientOptions(settings: ElasticsearchSettings, resolved: { ca?: string } = {}): ClientOptions {
  const ca = settings.caFile ? readFileSync(settings.caFile, 'utf8') : resolved.ca;
  return {
    node: settings.url,
    ...(settings.apiKey ? { auth: { apiKey: settings.apiKey } } : {}),
    ...(ca ? { tls: { ca } } : {}),
    ...(settings.caFingerprint ? { caFingerprint: settings.caFingerprint } : {}),
  };
}

/** The client for ELASTICSEARCH_URL and its security settings, as the runtime builds it. */
export async function elasticsearchClient(settings: ElasticsearchSettings, overrides: Pick<ClientOptions, 'maxRetries'> = {}): Promise<Client> {
  const ca = settings.caFingerprint && !settings.caFile ? await caFromFingerprint(settings.url, settings.caFingerprint) : undefined;
  return new Client({ ...elasticsearchClientOptions(settings, ca ? { ca } : {}), ...overrides });
}

/** A ConnectionError from a TLS handshake the client refused (an untrusted CA, a wrong host name): configuration, not an outage. */
const CERTIFICATE_FAILURE = /certificate|altnames/i;

/**
 * Whether an @elastic/elasticsearch error means the cluster is away or cannot serve right now: no connection
 * (ConnectionError, save a refused certificate), no answer within the request timeout (TimeoutError), every node
 * marked dead (NoLivingConnectionsError), or an answer of 502, 503 or 504 (a proxy without a node behind it, no
 * master, shards unavailable) or 429 (rejected execution, circuit breakers). Other answers (400, 404, 409…) are not.
 */
export function isElasticsearchUnavailable(error: unknown): boolean {
  if (error instanceof EngineUnavailableError) return true;
  if (error instanceof errors.ConnectionError) return !CERTIFICATE_FAILURE.test(error.message);
  if (error instanceof errors.TimeoutError || error instanceof errors.NoLivingConnectionsError) return true;
  return error instanceof errors.ResponseError && [429, 502, 503, 504].includes(error.statusCode ?? 0);
}

/** `error` as EngineUnavailableError when Elasticsearch is away (isElasticsearchUnavailable), else unchanged; longer after a 429. */
export function elasticsearchError(error: unknown): unknown {
  if (error instanceof EngineUnavailableError || !isElasticsearchUnavailable(error)) return error;
  const overloaded = error instanceof errors.ResponseError && error.statusCode === 429;
  return new EngineUnavailableError('elasticsearch', overloaded ? 5 : 2, { cause: error });
}

export interface ElasticsearchSearchIndexOptions {
  /** The alias queries and writes go through; indices are named `<alias>-<suffix>`. */
  alias?: string;
}

/**
 * How a product is stored: the document plus its words (and its Latin words together, for the typo
 * candidates of the term suggester), the heads of its category name and title, attribute pair keys and
 * suggestion entries.
 */
interface IndexedProduct extends ProductSearchDocument {
  terms: Record<string, string>;
  categoryHeads: string[];
  titleHeads: string[];
  attributePairs: string[];
  suggestEntries: string[];
}

interface CheckpointSource {
  checkpoint: { projection: string; position: number };
}

interface Bucket {
  key: string;
  doc_count: number;
}

interface Facets {
  values: { buckets: Array<Bucket & { name?: { buckets: Bucket[] } }> };
}

interface Aggregations {
  brand: Facets;
  category: Facets;
  pairs: Facets;
  price: { buckets: { buckets: Array<{ doc_count: number }> } };
  [attribute: `attribute${number}`]: Facets;
}

const HIT_FIELDS = ['id', 'title', 'brand', 'categoryId', 'minPrice', 'maxPrice', 'currency', 'inStock', 'image'];
const STORED_ONLY = ['terms', 'categoryHeads', 'titleHeads', 'attributePairs', 'suggestEntries'];
/** Words the typo rule may expand to (the embedded engine's LATIN_TERM). */
const LATIN_TERM = /^[a-z]{3,40}$/;
const LISTED: estypes.QueryDslQueryContainer = { term: { status: 'listed' } };
const BULK_CHUNK = 1000;
const RANKED: estypes.AggregationsAggregateOrder = [{ _count: 'desc' }, { _key: 'asc' }];

const pairKey = (name: string, value: string) => `${name}${ATTRIBUTE_SEPARATOR}${value}`;
const checkpointId = (projection: string) => `~checkpoint~${projection}`;
/** Escapes a literal for Lucene's regular expression syntax (terms aggregation include/exclude). */
const regexLiteral = (text: string) => text.replace(/[.?+*|{}[\]()"\\#@&<>~]/g, '\\$&');

function toIndexed(doc: ProductSearchDocument): IndexedProduct {
  const words = documentTerms(doc);
  const heads = documentHeads(doc);
  const latin = new Set(SEARCH_FIELDS.flatMap((field) => words[field]).filter((word) => LATIN_TERM.test(word)));
  return {
    ...doc,
    terms: { ...Object.fromEntries(SEARCH_FIELDS.map((field) => [field, words[field].join(' ')])), latin: [...latin].join(' ') },
    categoryHeads: heads.category,
    titleHeads: heads.title,
    attributePairs: Object.entries(doc.attributes).flatMap(([name, values]) => values.map((value) => pairKey(name, value))),
    suggestEntries: suggestionEntries(doc),
  };
}

const SORTS: Record<NormalizedSearchQuery['sort'], estypes.SortCombinations[]> = {
  relevance: [{ _score: { order: 'desc' } }, { id: { order: 'asc' } }],
  price_asc: [{ minPrice: { order: 'asc' } }, { id: { order: 'asc' } }],
  price_desc: [{ minPrice: { order: 'desc' } }, { id: { order: 'asc' } }],
  sales: [{ salesCount: { order: 'desc' } }, { id: { order: 'asc' } }],
  newest: [{ listedAt: { order: 'desc', missing: '_last' } }, { id: { order: 'asc' } }],
};

/**
 * The search request: filters every facet respects go in the query; the faceted dimensions' filters go
 * in post_filter, and each facet aggregation applies all of them except its own (multi-select).
 */
/** A clause of the plan: its best alternative (dis_max), each all of its words in the BM25F fields, times its boost. */
function clauseQuery(clause: PlanClause): estypes.QueryDslQueryContainer {
  return {
    dis_max: {
      tie_breaker: 0,
      queries: clause.alternatives.map((alternative) => ({
        combined_fields: {
          query: alternative.terms.join(' '),
          fields: SEARCH_FIELDS.map((field) => `terms.${field}^${FIELD_WEIGHTS[field]}`),
          operator: 'and' as const,
          boost: alternative.boost,
        },
      })),
    },
  };
}

/** Listed products matching the plan's clauses (filters aside): the probe of the zero-result advice. */
const matchingListed = (clauses: PlanClause[]): estypes.QueryDslQueryContainer => ({ bool: { filter: [LISTED, ...clauses.map(clauseQuery)] } });

function searchRequest(query: NormalizedSearchQuery, plan: QueryPlan): Omit<estypes.SearchRequest, 'index'> {
  const head = plan.head;
  const keyed = plan.clauses.length > 0;
  const always: estypes.QueryDslQueryContainer[] = [LISTED];
  if (query.frontendCategoryIds?.length) always.push({ terms: { frontendCategoryIds: query.frontendCategoryIds } });
  if (query.inStock !== undefined) always.push({ term: { inStock: query.inStock } });

  const faceted = new Map<string, estypes.QueryDslQueryContainer>();
  if (query.brandIds?.length) faceted.set('brand', { terms: { 'brand.id': query.brandIds } });
  if (query.categoryIds?.length) faceted.set('category', { terms: { categoryIds: query.categoryIds } });
  if (query.minPrice !== undefined || query.maxPrice !== undefined) {
    faceted.set('price', { range: { minPrice: { gte: query.minPrice, lte: query.maxPrice } } });
  }
  const filteredNames = Object.keys(query.attributes).filter((name) => query.attributes[name]!.length > 0);
  for (const name of filteredNames) {
    faceted.set(`attribute:${name}`, { terms: { attributePairs: query.attributes[name]!.map((value) => pairKey(name, value)) } });
  }
  const except = (dimension?: string): estypes.QueryDslQueryContainer => ({
    bool: { filter: [...faceted].filter(([key]) => key !== dimension).map(([, clause]) => clause) },
  });
  const ranked = (field: string, size: number, extra: Partial<estypes.AggregationsTermsAggregation> = {}) => ({
    terms: { field, size, order: RANKED, ...extra },
  });

  const aggs: Record<string, estypes.AggregationsAggregationContainer> = {
    brand: {
      filter: except('brand'),
      aggs: { values: { ...ranked('brand.id', FACET_LIMITS.values), aggs: { name: { terms: { field: 'brand.name', size: 1 } } } } },
    },
    category: { filter: except('category'), aggs: { values: ranked('categoryIds', FACET_LIMITS.values) } },
    price: {
      filter: except('price'),
      aggs: { buckets: { range: { field: 'minPrice', ranges: PRICE_BUCKETS.map(({ from, to }) => (to === null ? { from } : { from, to })) } } },
    },
    pairs: {
      filter: except(),
      aggs: {
        values: ranked(
          'attributePairs',
          FACET_LIMITS.attributePairs,
          filteredNames.length > 0 ? { exclude: `(${filteredNames.map(regexLiteral).join('|')})${ATTRIBUTE_SEPARATOR}.*` } : {},
        ),
      },
    },
  };
  filteredNames.forEach((name, i) => {
    aggs[`attribute${i}`] = {
      filter: except(`attribute:${name}`),
      aggs: { values: ranked('attributePairs', FACET_LIMITS.values, { include: `${regexLiteral(name)}${ATTRIBUTE_SEPARATOR}.*` }) },
    };
  });

  const keyword: estypes.QueryDslQueryContainer[] =
    keyed
      ? [
          {
            function_score: {
              // Every clause must match; the score is the sum of the clauses' (bool must sums them).
              query: { bool: { must: plan.clauses.map(clauseQuery) } },
              // RANKING: the score times the sum of these (a function of weight alone returns its weight).
              functions: [
                { weight: 1 },
                { filter: { terms: { categoryHeads: head } }, weight: RANKING.categoryHead },
                { filter: { terms: { titleHeads: head } }, weight: RANKING.titleHead },
                { filter: { term: { inStock: true } }, weight: RANKING.inStock },
                { field_value_factor: { field: 'salesCount', modifier: 'log1p', missing: 0 }, weight: RANKING.sales },
              ],
              score_mode: 'sum',
              boost_mode: 'multiply',
            },
          },
        ]
      : [];
  return {
    query: { bool: { filter: always, must: keyword } },
    post_filter: except(),
    aggs,
    sort: SORTS[query.sort === 'relevance' && !keyed ? 'sales' : query.sort],
    from: (query.page - 1) * query.size,
    size: query.size,
    track_total_hits: true,
    _source: HIT_FIELDS,
  };
}

function facetsOf(query: NormalizedSearchQuery, aggregations: Aggregations): SearchResult['facets'] {
  const counts = (facet: Facets, strip = 0): FacetCount[] =>
    facet.values.buckets.map((bucket) => ({ value: bucket.key.slice(strip), count: bucket.doc_count }));
  const attributes = groupAttributePairs(counts(aggregations.pairs));
  Object.keys(query.attributes)
    .filter((name) => query.attributes[name]!.length > 0)
    .forEach((name, i) => {
      attributes[name] = counts(aggregations[`attribute${i}`]!, name.length + ATTRIBUTE_SEPARATOR.length);
    });
  return {
    brand: aggregations.brand.values.buckets.map((bucket) => ({
      value: bucket.key,
      count: bucket.doc_count,
      label: bucket.name?.buckets[0]?.key ?? bucket.key,
    })),
    category: counts(aggregations.category),
    price: aggregations.price.buckets.buckets
      .map((bucket, i) => ({ ...PRICE_BUCKETS[i]!, count: bucket.doc_count }))
      .filter((bucket) => bucket.count > 0),
    attributes,
  };
}

/** Every method (and a rebuild's) throws EngineUnavailableError when the cluster cannot serve (elasticsearchError). */
export function elasticsearchSearchIndex(client: Client, options: ElasticsearchSearchIndexOptions = {}): SearchIndex {
  const alias = options.alias ?? 'bazaar-products';

  let ready: Promise<void> | undefined;
  /** Creates the first index behind the alias unless it exists (concurrent starters agree on its name). */
  const ensureAlias = () =>
    (ready ??= (async () => {
      if (await client.indices.existsAlias({ name: alias })) {
        // An index made by an earlier release lacks the fields added since (strict mapping would refuse
        // the documents): add them. A mapping update may add fields, never change one.
        await client.indices.putMapping({ index: alias, properties: mappings.properties });
        return;
      }
      try {
        await client.indices.create({ index: `${alias}-initial`, settings, mappings, aliases: { [alias]: {} } });
      } catch (error) {
        if ((error as { body?: { error?: { type?: string } } }).body?.error?.type !== 'resource_already_exists_exception') throw error;
      }
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    }));

  /** Indexes and deletes in chunks; version conflicts (an older revision) and missing deletions are no-ops. */
  async function bulk(index: string, docs: ProductSearchDocument[], removals: string[], refresh: estypes.Refresh): Promise<void> {
    const entries: Array<Array<estypes.BulkOperationContainer | IndexedProduct>> = [
      ...docs.map((doc) => [{ index: { _index: index, _id: doc.id, version: doc.revision, version_type: 'external' as const } }, toIndexed(doc)]),
      ...removals.map((id) => [{ delete: { _index: index, _id: id } }]),
    ];
    for (let start = 0; start < entries.length; start += BULK_CHUNK) {
      const last = start + BULK_CHUNK >= entries.length;
      const response = await client.bulk<IndexedProduct>({ operations: entries.slice(start, start + BULK_CHUNK).flat(), refresh: last ? refresh : false });
      if (!response.errors) continue;
      const failed = response.items.flatMap((item) => Object.values(item)).filter((result) => result.error && result.status !== 409 && result.status !== 404);
      if (failed.length === 0) continue;
      const message = `Elasticsearch bulk write: ${failed.length} operations failed, first: ${JSON.stringify(failed[0]!.error)}`;
      // Items refused by a busy or unavailable shard: the whole chunk may be sent again (external versions make it idempotent).
      if (failed.every((result) => result.status === 429 || result.status === 503)) throw new EngineUnavailableError('elasticsearch', 5, { cause: new Error(message) });
      throw new Error(message);
    }
  }

  async function readCheckpoint(index: string, projection: string) {
    const response = await client.get<CheckpointSource>({ index, id: checkpointId(projection) }, { ignore: [404] });
    // `index`: the index behind the alias that answered.
    return response.found
      ? { position: response._source!.checkpoint.position, seqNo: response._seq_no, primaryTerm: response._primary_term, index: response._index }
      : { position: 0, index: response._index };
  }

  /** The index behind the alias when this client last read each projection's checkpoint (see `commit`). */
  const readIndex = new Map<string, string>();

  /**
   * Candidates of Latin words (term suggester on `terms.latin`, Damerau-Levenshtein, sorted by frequency):
   * `missing` asks only for words the index does not hold (the typo rule), `always` for any (corrections).
   */
  async function termCandidates(words: Array<{ word: string; typed: string; distance: number }>, mode: 'missing' | 'always', size: number): Promise<Map<string, TypoCandidate[]>> {
    const found = new Map<string, TypoCandidate[]>();
    if (words.length === 0) return found;
    // `missing`: the analyzed word decides whether the index holds it; candidates are compared with the word as typed.
    const held = mode === 'missing' ? await heldWords(words.map(({ word }) => word)) : new Set<string>();
    words = words.filter(({ word }) => !held.has(word));
    if (words.length === 0) return found;
    const suggest = Object.fromEntries(
      words.map(({ typed, distance }, i) => [
        `w${i}`,
        {
          text: typed,
          term: { field: 'terms.latin', analyzer: 'whitespace', suggest_mode: 'always' as const, max_edits: distance, prefix_length: 0, min_word_length: 1, sort: 'frequency' as const, string_distance: 'damerau_levenshtein' as const, size },
        },
      ]),
    );
    const response = await client.search({ index: alias, size: 0, suggest });
    words.forEach(({ word }, i) => {
      const entry = (response.suggest?.[`w${i}`] ?? [])[0] as { options?: Array<{ text: string; freq?: number; score: number }> } | undefined;
      const options = (entry?.options ?? []).filter((option) => option.text !== word);
      if (options.length > 0) found.set(word, options.map((option) => ({ term: option.text, distance: 0, frequency: option.freq ?? 0 })));
    });
    return found;
  }

  /** Which of these words some document holds in any field (the typo rule expands only the others). */
  async function heldWords(words: string[]): Promise<Set<string>> {
    const response = await client.search({
      index: alias,
      size: 0,
      aggs: Object.fromEntries(words.map((word, i) => [`w${i}`, { filter: { multi_match: { query: word, fields: SEARCH_FIELDS.map((field) => `terms.${field}`) } } }])),
    });
    const aggregations = (response.aggregations ?? {}) as Record<string, { doc_count: number }>;
    return new Set(words.filter((_, i) => (aggregations[`w${i}`]?.doc_count ?? 0) > 0));
  }

  const planOf = async (q: string, synonyms: string[][] | undefined) => {
    const plan = planQuery(q, synonyms);
    const typos = plan.clauses.flatMap((clause) => (clause.typo ? [clause.typo] : []));
    return withTypos(plan, await termCandidates(typos, 'missing', MAX_TYPO_EXPANSIONS));
  };
  const anyListed = async (query: estypes.QueryDslQueryContainer) => (await client.count({ index: alias, query })).count > 0;

  return translateErrors<SearchIndex>({
    async search(query) {
      const normalized = normalizeSearchQuery(query);
      await ensureAlias();
      const plan = await planOf(normalized.q, normalized.synonyms);
      const terms = highlightTerms(plan);
      const response = await client.search<ProductSearchDocument, Aggregations>({ index: alias, ...searchRequest(normalized, plan) });
      const total = response.hits.total;
      const page: SearchResult = {
        total: typeof total === 'number' ? total : (total?.value ?? 0),
        page: normalized.page,
        size: normalized.size,
        hits: response.hits.hits.map((hit) => toSearchHit(hit._source!, terms)),
        facets: facetsOf(normalized, response.aggregations!),
      };
      if (page.total > 0 || plan.clauses.length === 0) return page;
      const advice = await zeroResultAdvice(plan, {
        clauseMatches: (clause) => anyListed(matchingListed([clause])),
        correction: async (word, distance) => (await termCandidates([{ word, typed: word, distance }], 'always', 1)).get(word)?.[0]?.term ?? null,
        finds: async (q) => {
          const candidate = await planOf(q, normalized.synonyms);
          return candidate.clauses.length > 0 && anyListed(matchingListed(candidate.clauses));
        },
      });
      return { ...page, ...advice };
    },

    async suggest(query) {
      const { q, size } = normalizeSuggestQuery(query);
      const prefix = suggestKey(q);
      if (prefix === '') return [];
      await ensureAlias();
      // A phrase has up to three keys that may all start with the prefix: ask for three buckets per answer.
      const response = await client.search<unknown, { entries: { buckets: Array<Bucket & { sales: { value: number } }> } }>({
        index: alias,
        size: 0,
        query: { bool: { filter: [LISTED, { prefix: { suggestEntries: prefix } }] } },
        aggs: {
          entries: {
            terms: { field: 'suggestEntries', include: `${regexLiteral(prefix)}.*`, size: size * 3, order: [{ sales: 'desc' }, { _count: 'desc' }, { _key: 'asc' }] },
            aggs: { sales: { sum: { field: 'salesCount' } } },
          },
        },
      });
      const seen = new Set<string>();
      const suggestions: Suggestion[] = [];
      for (const bucket of response.aggregations!.entries.buckets) {
        const text = entryPhrase(bucket.key);
        if (seen.has(text)) continue;
        seen.add(text);
        suggestions.push({ text, products: bucket.doc_count, sales: bucket.sales.value });
      }
      return suggestions.slice(0, size);
    },

    async get(id) {
      await ensureAlias();
      const response = await client.get<ProductSearchDocument>({ index: alias, id, _source_excludes: STORED_ONLY }, { ignore: [404] });
      return response.found && response._source?.revision !== undefined ? response._source : null;
    },

    async count() {
      await ensureAlias();
      return (await client.count({ index: alias, query: { exists: { field: 'revision' } } })).count;
    },

    async upsert(docs) {
      await ensureAlias();
      await bulk(alias, docs, [], 'wait_for');
    },

    async remove(ids) {
      await ensureAlias();
      await bulk(alias, [], ids, 'wait_for');
    },

    async checkpoint(projection) {
      await ensureAlias();
      const stored = await readCheckpoint(alias, projection);
      readIndex.set(projection, stored.index);
      return stored.position;
    },

    async commit(projection, upserts, removals, from, to) {
      await ensureAlias();
      const stored = await readCheckpoint(alias, projection);
      // A writer that read its checkpoint before a rebuild's alias swap must not write into the new index.
      const expected = readIndex.get(projection);
      if (stored.position !== from || (expected !== undefined && expected !== stored.index)) throw new CheckpointMoved(projection, from, stored.position);
      await bulk(alias, upserts, removals, false);
      try {
        await client.index({
          index: alias,
          id: checkpointId(projection),
          document: { checkpoint: { projection, position: to } } satisfies CheckpointSource,
          refresh: 'wait_for',
          ...(stored.seqNo === undefined ? { op_type: 'create' as const } : { if_seq_no: stored.seqNo, if_primary_term: stored.primaryTerm }),
        });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 409) throw error;
        throw new CheckpointMoved(projection, from, (await readCheckpoint(alias, projection)).position);
      }
    },

    async beginRebuild(): Promise<SearchIndexRebuild> {
      await ensureAlias();
      // An index of ours the alias does not point to is what an interrupted rebuild left behind: drop it first
      // (one rebuild at a time). The pattern also matches other aliases' indices that start with ours: skip those.
      const ours = new RegExp(`^${alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]+$`);
      const existing = await client.indices.get({ index: `${alias}-*` });
      const leftovers = Object.entries(existing)
        .filter(([name, state]) => ours.test(name) && !(state.aliases && alias in state.aliases))
        .map(([name]) => name);
      if (leftovers.length > 0) await client.indices.delete({ index: leftovers });
      const index = `${alias}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      await client.indices.create({ index, settings: { ...settings, refresh_interval: '-1' }, mappings });
      return translateErrors<SearchIndexRebuild>({
        upsert: (docs) => bulk(index, docs, [], false),
        remove: (ids) => bulk(index, [], ids, false),
        async commit(checkpoint) {
          if (checkpoint) {
            const document: CheckpointSource = { checkpoint: { projection: checkpoint.projection, position: checkpoint.position } };
            await client.index({ index, id: checkpointId(checkpoint.projection), document });
          }
          await client.indices.putSettings({ index, settings: { refresh_interval: settings.refresh_interval ?? '1s' } });
          await client.indices.refresh({ index });
          const previous = Object.keys(await client.indices.getAlias({ name: alias }));
          await client.indices.updateAliases({
            actions: [...previous.map((old) => ({ remove: { index: old, alias } })), { add: { index, alias } }],
          });
          if (previous.length > 0) await client.indices.delete({ index: previous });
        },
        async abort() {
          await client.indices.delete({ index, ignore_unavailable: true });
        },
      }, elasticsearchError);
    },

    async ping() {
      if (!(await client.ping())) throw new Error('Elasticsearch did not answer the ping');
    },

    async close() {
      await client.close();
    },
  }, elasticsearchError);
}
