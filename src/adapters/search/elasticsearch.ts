import type { Client, estypes } from '@elastic/elasticsearch';
import productsIndex from '../../../infra/elasticsearch/products-index.json' with { type: 'json' };
import {
  ATTRIBUTE_SEPARATOR,
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

/**
 * SearchIndex on Elasticsearch. Each index follows infra/elasticsearch/products-index.json and is served
 * through an alias; a rebuild fills a new index and swaps the alias in one atomic action. Text fields
 * hold the words of src/search/text.ts (whitespace-analyzed), so matching equals the embedded engine's;
 * relevance is combined_fields (BM25F) with the same field weights. Writes carry the document revision
 * as an external version, so an older revision never overwrites a newer one. Projection checkpoints
 * live in the index itself (documents with a `checkpoint` field), so a swap moves them with the data.
 */

const { settings, mappings } = productsIndex.template as unknown as {
  settings: estypes.IndicesIndexSettings;
  mappings: estypes.MappingTypeMapping;
};

export interface ElasticsearchSearchIndexOptions {
  /** The alias queries and writes go through; indices are named `<alias>-<suffix>`. */
  alias?: string;
}

/** How a product is stored: the document plus its words and attribute pair keys. */
interface IndexedProduct extends ProductSearchDocument {
  terms: Record<string, string>;
  attributePairs: string[];
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
const STORED_ONLY = ['terms', 'attributePairs'];
const BULK_CHUNK = 1000;
const RANKED: estypes.AggregationsAggregateOrder = [{ _count: 'desc' }, { _key: 'asc' }];

const pairKey = (name: string, value: string) => `${name}${ATTRIBUTE_SEPARATOR}${value}`;
const checkpointId = (projection: string) => `~checkpoint~${projection}`;
/** Escapes a literal for Lucene's regular expression syntax (terms aggregation include/exclude). */
const regexLiteral = (text: string) => text.replace(/[.?+*|{}[\]()"\\#@&<>~]/g, '\\$&');

function toIndexed(doc: ProductSearchDocument): IndexedProduct {
  const words = documentTerms(doc);
  return {
    ...doc,
    terms: Object.fromEntries(SEARCH_FIELDS.map((field) => [field, words[field].join(' ')])),
    attributePairs: Object.entries(doc.attributes).flatMap(([name, values]) => values.map((value) => pairKey(name, value))),
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
function searchRequest(query: NormalizedSearchQuery, terms: string[]): Omit<estypes.SearchRequest, 'index'> {
  const always: estypes.QueryDslQueryContainer[] = [{ term: { status: 'listed' } }];
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
    terms.length > 0
      ? [{ combined_fields: { query: terms.join(' '), fields: SEARCH_FIELDS.map((field) => `terms.${field}^${FIELD_WEIGHTS[field]}`), operator: 'and' } }]
      : [];
  return {
    query: { bool: { filter: always, must: keyword } },
    post_filter: except(),
    aggs,
    sort: SORTS[query.sort === 'relevance' && terms.length === 0 ? 'sales' : query.sort],
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

export function elasticsearchSearchIndex(client: Client, options: ElasticsearchSearchIndexOptions = {}): SearchIndex {
  const alias = options.alias ?? 'bazaar-products';

  let ready: Promise<void> | undefined;
  /** Creates the first index behind the alias unless it exists (concurrent starters agree on its name). */
  const ensureAlias = () =>
    (ready ??= (async () => {
      if (await client.indices.existsAlias({ name: alias })) return;
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
      if (failed.length > 0) throw new Error(`Elasticsearch bulk write: ${failed.length} operations failed, first: ${JSON.stringify(failed[0]!.error)}`);
    }
  }

  async function readCheckpoint(index: string, projection: string) {
    const response = await client.get<CheckpointSource>({ index, id: checkpointId(projection) }, { ignore: [404] });
    return response.found
      ? { position: response._source!.checkpoint.position, seqNo: response._seq_no, primaryTerm: response._primary_term }
      : { position: 0 };
  }

  return {
    async search(query) {
      const normalized = normalizeSearchQuery(query);
      const terms = queryTerms(normalized.q);
      await ensureAlias();
      const response = await client.search<ProductSearchDocument, Aggregations>({ index: alias, ...searchRequest(normalized, terms) });
      const total = response.hits.total;
      return {
        total: typeof total === 'number' ? total : (total?.value ?? 0),
        page: normalized.page,
        size: normalized.size,
        hits: response.hits.hits.map((hit) => toSearchHit(hit._source!, terms)),
        facets: facetsOf(normalized, response.aggregations!),
      };
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
      return (await readCheckpoint(alias, projection)).position;
    },

    async commit(projection, upserts, removals, from, to) {
      await ensureAlias();
      const stored = await readCheckpoint(alias, projection);
      if (stored.position !== from) throw new CheckpointMoved(projection, from, stored.position);
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
      const index = `${alias}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      await client.indices.create({ index, settings: { ...settings, refresh_interval: '-1' }, mappings });
      return {
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
      };
    },

    async ping() {
      if (!(await client.ping())) throw new Error('Elasticsearch did not answer the ping');
    },

    async close() {
      await client.close();
    },
  };
}
