import { z } from '@hono/zod-openapi';
import { SEARCH_LIMITS, SEARCH_SORTS, SUGGEST_LIMITS, type SearchQuery } from '../../ports/search-index.js';
import { COLLECTION_SORTS } from '../../domain/catalog/home-page.js';
import { PRODUCT_STATUSES } from '../../domain/catalog/product.js';
import { IdSchema } from '../../commands/catalog/schemas.js';
import { MoneySchema } from '../openapi.js';

export const tags = ['Search and listing'];

// ---- GET /products/search ------------------------------------------------------------------------

const ATTRIBUTE_PREFIX = 'attr.';
const MAX_VALUES = SEARCH_LIMITS.maxFilterValues;

const asArray = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
/** Repeated parameters and comma lists alike: `brand=a&brand=b` = `brand=a,b`. */
const commaList = (value: unknown) =>
  value === undefined ? undefined : asArray(value).flatMap((item) => (typeof item === 'string' ? item.split(',') : [item])).map((item) => (typeof item === 'string' ? item.trim() : item)).filter((item) => item !== '');
const blankToUndefined = (value: unknown) => (value === '' ? undefined : value);

const IdList = (what: string) =>
  z
    .preprocess(commaList, z.array(z.string().max(64, 'at most 64 characters')).max(MAX_VALUES, `at most ${MAX_VALUES} values`))
    .optional()
    .openapi({ description: `${what}; several (any of them): repeat the parameter or separate ids with commas` });

const wholeNumber = (message: string) => z.coerce.number({ error: message }).int(message);

const MinorUnits = (description: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole, non-negative number of minor units (fen)')
    .transform(Number)
    .optional()
    .openapi({ description, example: '9900' });

const KNOWN = ['q', 'category', 'frontendCategory', 'brand', 'minPrice', 'maxPrice', 'inStock', 'sort', 'page', 'size', 'explain'];

export const SearchQuerySchema = z
  .looseObject({
    q: z.string().trim().max(SEARCH_LIMITS.maxQueryLength, `at most ${SEARCH_LIMITS.maxQueryLength} characters`).optional().openapi({
      description:
        'keywords, Chinese or English; a product matches when its title, brand, attribute values, category names, SKU codes or description hold every word (武侠小说 finds 金庸武侠小说全集); case, full-width letters, accents and English plurals are folded (PHONES, ｐｈｏｎｅ and phone are one word); Latin words are also read as pinyin (shouji, sj → 手机), words of 5+ letters no product holds tolerate a typo (2 from 9 letters: iphnoe → iPhone), and the admins\' synonym groups apply (tee ↔ t-shirt)',
      example: '武侠小说',
    }),
    category: IdList('backend category ids; a category also finds the products of its sub-categories'),
    frontendCategory: IdList('frontend (storefront) category ids; a category also finds the products of its sub-categories'),
    brand: IdList('brand ids'),
    minPrice: MinorUnits('lowest price (inclusive), integer minor units (fen); compared with the lowest SKU price'),
    maxPrice: MinorUnits('highest price (inclusive), integer minor units (fen); compared with the lowest SKU price'),
    inStock: z.enum(['true', 'false']).optional().openapi({ description: 'true: only products with a SKU available; false: only sold-out ones' }),
    sort: z.enum(SEARCH_SORTS).default('relevance').openapi({
      description:
        'relevance (BM25F over title, keywords, description, raised when the query head names the product category or heads its title, and by stock and sales; without q: like sales), price_asc / price_desc (lowest SKU price), sales, newest (first listed); ties by id',
    }),
    page: z.preprocess(blankToUndefined, wholeNumber('must be a whole number').min(1, 'must be ≥ 1').default(1)).openapi({ description: '1-based; page × size ≤ 10000' }),
    size: z
      .preprocess(blankToUndefined, wholeNumber('must be a whole number').min(1, 'must be ≥ 1').max(SEARCH_LIMITS.maxSize, `must be ≤ ${SEARCH_LIMITS.maxSize}`).default(SEARCH_LIMITS.defaultSize))
      .openapi({ description: `hits per page, 1-${SEARCH_LIMITS.maxSize}, default ${SEARCH_LIMITS.defaultSize}` }),
    explain: z.enum(['true', 'false']).optional().openapi({ description: 'admins: each hit carries `explain`, the parts of its personalized score (403 for others)' }),
  })
  .superRefine((value, ctx) => {
    if (value.minPrice !== undefined && value.maxPrice !== undefined && value.minPrice > value.maxPrice) {
      ctx.addIssue({ code: 'custom', path: ['minPrice'], message: 'must not be greater than maxPrice' });
    }
    if (value.page * value.size > SEARCH_LIMITS.maxWindow) {
      ctx.addIssue({ code: 'custom', path: ['page'], message: `page × size must not exceed ${SEARCH_LIMITS.maxWindow}; narrow the search instead` });
    }
    let attributes = 0;
    for (const [key, raw] of Object.entries(value)) {
      if (KNOWN.includes(key)) continue;
      if (!key.startsWith(ATTRIBUTE_PREFIX)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'unknown parameter (filter attributes with attr.<name>=<value>)' });
        continue;
      }
      const name = key.slice(ATTRIBUTE_PREFIX.length);
      const values = asArray(raw);
      if (++attributes > SEARCH_LIMITS.maxAttributeFilters) ctx.addIssue({ code: 'custom', path: [key], message: `at most ${SEARCH_LIMITS.maxAttributeFilters} attributes at once` });
      if (name.length === 0 || name.length > 50) ctx.addIssue({ code: 'custom', path: [key], message: 'attr.<name>: a name of 1-50 characters' });
      if (values.length > MAX_VALUES) ctx.addIssue({ code: 'custom', path: [key], message: `at most ${MAX_VALUES} values` });
      if (values.some((item) => typeof item !== 'string' || item.length === 0 || item.length > 200)) ctx.addIssue({ code: 'custom', path: [key], message: 'each value: 1-200 characters' });
    }
  });

export const SEARCH_DESCRIPTION = `Only listed products are found. Filters combine with AND; the values of one filter with OR.

**Attributes:** \`attr.<name>=<value>\`, e.g. \`attr.颜色=红色&attr.颜色=蓝色&attr.尺码=M\` (repeat the parameter for several values of one attribute; values are not split at commas, as they may hold them). Unknown parameters are refused (400).

**Facets** count the products matching every filter except the facet's own dimension (multi-select): \`brand\` and \`category\` list \`{ value: id, label: name, count }\` (a category counts the products below it too), \`price\` lists fixed buckets \`{ from, to, count }\` on the lowest SKU price with \`from\` inclusive, \`to\` exclusive (null: no upper bound), both as Money, empty buckets omitted; \`attributes\` maps names to \`{ value, count }\`.

**Hits:** \`minPrice\` / \`maxPrice\` are the lowest and highest SKU price (Money); \`highlight\` is the HTML-escaped title with the matched words in \`<em>…</em>\` (null without q).

Send \`X-Min-Position\` (from a command) to wait until the index holds that change.`;

/** The query for the SearchIndex port from validated parameters. */
export function toSearchQuery(params: z.infer<typeof SearchQuerySchema>): SearchQuery {
  const attributes: Record<string, string[]> = {};
  for (const [key, raw] of Object.entries(params)) {
    if (!KNOWN.includes(key) && key.startsWith(ATTRIBUTE_PREFIX)) attributes[key.slice(ATTRIBUTE_PREFIX.length)] = asArray(raw) as string[];
  }
  return {
    q: params.q,
    categoryIds: params.category,
    frontendCategoryIds: params.frontendCategory,
    brandIds: params.brand,
    minPrice: params.minPrice,
    maxPrice: params.maxPrice,
    attributes,
    inStock: params.inStock === undefined ? undefined : params.inStock === 'true',
    sort: params.sort,
    page: params.page,
    size: params.size,
  };
}

// ---- Responses -----------------------------------------------------------------------------------

const Ref = z.object({ id: z.string(), name: z.string() });

export const ProductCardSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    brand: Ref,
    category: Ref.openapi({ description: 'the backend leaf category' }),
    minPrice: MoneySchema.openapi({ description: 'lowest SKU price' }),
    maxPrice: MoneySchema.openapi({ description: 'highest SKU price' }),
    inStock: z.boolean().openapi({ description: 'some SKU has units available' }),
    image: z.string().nullable(),
  })
  .openapi('ProductCard');

const LabelledCount = z.object({ value: z.string().openapi({ description: 'id, as the filter takes it' }), label: z.string(), count: z.number().int() });

export const SearchResultSchema = z
  .object({
    total: z.number().int(),
    page: z.number().int(),
    size: z.number().int(),
    hits: z.array(
      ProductCardSchema.extend({
        highlight: z.string().nullable().openapi({ example: '金庸<em>武侠</em><em>小说</em>全集' }),
        explain: z
          .object({
            plainRank: z.number().int().openapi({ description: '1-based position in the plain (unpersonalized) order' }),
            text: z.number().openapi({ description: 'text relevance from the plain rank: 1 / log2(plainRank + 1)' }),
            affinity: z.number().openapi({ description: "0–1: the shopper's liking of the hit's category, brand and attribute values" }),
            popularity: z.number().openapi({ description: '0–1: recent paid order lines of the product' }),
            final: z.number().openapi({ description: 'text + 1 × affinity + 0.2 × popularity (text alone when no hit of the window has affinity)' }),
          })
          .optional()
          .openapi({ description: 'with explain=true (admins) only' }),
      }),
    ),
    facets: z.object({
      brand: z.array(LabelledCount),
      category: z.array(LabelledCount),
      price: z.array(z.object({ from: MoneySchema, to: MoneySchema.nullable().openapi({ description: 'exclusive; null: no upper bound' }), count: z.number().int() })),
      attributes: z.record(z.string(), z.array(z.object({ value: z.string(), count: z.number().int() }))),
    }),
    unmatchedWords: z.array(z.string()).openapi({ description: 'with a keyword and no hit: the query\'s words (as analyzed) that no listed product holds in any form; else empty', example: ['草莓'] }),
    didYouMean: z.string().nullable().openapi({ description: 'with a keyword and no hit: the closest query that finds listed products (unmatched words corrected or dropped, then words kept while they still find something); else null', example: '手机' }),
  })
  .openapi('SearchResult');

export const SuggestQuerySchema = z.object({
  q: z.string().max(SUGGEST_LIMITS.maxPrefixLength, `at most ${SUGGEST_LIMITS.maxPrefixLength} characters`).openapi({ description: 'what the shopper has typed: Chinese, Latin, pinyin or pinyin initials (武侠, wuxia, wx)', example: 'wuxia' }),
  size: z.coerce.number().int().min(1).max(SUGGEST_LIMITS.maxSize).optional().openapi({ description: `completions wanted (default ${SUGGEST_LIMITS.defaultSize})` }),
});

export const SuggestResultSchema = z
  .object({
    items: z.array(
      z.object({
        text: z.string().openapi({ description: 'a phrase of listed products\' titles, a brand or a category name, in lower case', example: '武侠小说' }),
        products: z.number().int().openapi({ description: 'listed products holding it' }),
        sales: z.number().openapi({ description: 'their sales' }),
      }),
    ),
  })
  .openapi('SuggestResult');

export const ProductDetailSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    brand: Ref,
    category: Ref,
    images: z.array(z.string()),
    attributes: z.record(z.string(), z.string()).openapi({ description: 'key and general attributes' }),
    status: z.enum(PRODUCT_STATUSES).openapi({ description: 'always listed here' }),
    skus: z.array(
      z.object({
        id: z.string(),
        skuCode: z.string(),
        salesAttributes: z.record(z.string(), z.string()),
        price: MoneySchema,
        available: z.number().int().openapi({ description: 'units on hand − reserved' }),
      }),
    ),
  })
  .openapi('ProductDetail');

interface Node {
  id: string;
  name: string;
  children: Node[];
}
export const FrontendCategoryNodeSchema: z.ZodType<Node> = z
  .object({ id: z.string(), name: z.string(), children: z.array(z.lazy(() => FrontendCategoryNodeSchema)).openapi({ description: 'sub-categories, same shape' }) })
  .openapi('FrontendCategoryNode');
export const FrontendCategoryTreeSchema = z.object({ items: z.array(FrontendCategoryNodeSchema).openapi({ description: 'the roots, in creation order' }) }).openapi('FrontendCategoryTree');

// ---- Home page -----------------------------------------------------------------------------------

const Link = z
  .string()
  .trim()
  .max(500, 'at most 500 characters')
  .refine((value) => value.startsWith('/') || URL.canParse(value), 'a URL or an app path starting with /');

const BannerSchema = z
  .object({
    imageUrl: z.url('an http(s) URL').max(500).refine((value) => /^https?:\/\//.test(value), 'an http(s) URL'),
    linkUrl: Link.optional().openapi({ description: 'where a tap leads: a URL or an app path such as /products/{id}' }),
    title: z.string().trim().min(1).max(100).optional(),
  })
  .strict()
  .openapi('Banner');

const ManualCollection = z
  .object({
    title: z.string().trim().min(1).max(100),
    kind: z.literal('manual'),
    productIds: z.array(IdSchema).min(1).max(50, 'at most 50 products').openapi({ description: 'shown in this order; products not listed at the moment are skipped' }),
  })
  .strict();

const RuleCollection = z
  .object({
    title: z.string().trim().min(1).max(100),
    kind: z.literal('rule'),
    rule: z
      .object({
        frontendCategoryId: IdSchema.optional(),
        categoryId: IdSchema.optional().openapi({ description: 'a backend category; give at most one of the two (neither: the whole store)' }),
        sort: z.enum(COLLECTION_SORTS),
        limit: z.number().int('must be a whole number').min(1).max(50, 'at most 50'),
      })
      .strict()
      .refine((rule) => rule.frontendCategoryId === undefined || rule.categoryId === undefined, { message: 'give frontendCategoryId or categoryId, not both', path: ['categoryId'] }),
  })
  .strict();

export const HomePageBody = z
  .object({
    banners: z.array(BannerSchema).max(20, 'at most 20 banners'),
    featuredFrontendCategoryIds: z
      .array(IdSchema)
      .max(50, 'at most 50')
      .refine((ids) => new Set(ids).size === ids.length, 'an id appears twice'),
    collections: z.array(z.discriminatedUnion('kind', [ManualCollection, RuleCollection])).max(20, 'at most 20 collections'),
  })
  .strict()
  .openapi('HomePageContent');

export const HomePageDefinitionSchema = HomePageBody.extend({
  version: z.number().int().openapi({ description: 'also sent as ETag' }),
  publishedAt: z.string(),
}).openapi('HomePageDefinition');

export const HomePagePublishedSchema = z.object({ version: z.number().int(), position: z.string() }).openapi('HomePagePublished');

export const HomePageSchema = z
  .object({
    banners: z.array(BannerSchema),
    featuredCategories: z.array(Ref).openapi({ description: 'frontend categories, with their names' }),
    collections: z.array(z.object({ title: z.string(), kind: z.enum(['manual', 'rule']), products: z.array(ProductCardSchema) })),
    publishedAt: z.string().nullable().openapi({ description: 'null until an admin publishes the page' }),
  })
  .openapi('HomePage');
