/**
 * Search benchmark (issue: search read side). Generates a deterministic catalog of products with 1–4
 * SKUs each, then measures:
 *   1. the embedded SearchIndex (src/adapters/search/sqlite.ts) over the whole catalog: bulk build
 *      rate, reload from SQLite, price-update latency, and query latency p50/p99 per query class;
 *   2. side by side on the first `compare` products: the same adapter, MiniSearch and Orama, fed the
 *      same words (src/search/text.ts) and asked the same queries with the same multi-select facets:
 *      build time, memory and latency, with a check that every engine finds the same number of hits.
 *
 *   npx tsx bench/search.ts [--skus 1000000] [--compare 100000] [--queries 300] [--seed 7]
 */
import Database from 'better-sqlite3';
import MiniSearch from 'minisearch';
import { create, insertMultiple, search as oramaSearch, type Orama } from '@orama/orama';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { sqliteSearchIndex } from '../src/adapters/search/sqlite.js';
import {
  ATTRIBUTE_SEPARATOR,
  byCountThenValue,
  FACET_LIMITS,
  PRICE_BUCKETS,
  type FacetCount,
  type ProductSearchDocument,
  type SearchIndex,
  type SearchQuery,
} from '../src/ports/search-index.js';
import { documentTerms, FIELD_WEIGHTS, queryTerms } from '../src/search/text.js';

export interface SearchBenchOptions {
  /** SKUs in the full catalog (products have 1–4 SKUs, 2.5 on average). */
  skus?: number;
  /** Products in the side-by-side comparison. */
  compare?: number;
  /** Measured queries per class (after a warm-up of a tenth as many). */
  queries?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface LatencyRow {
  engine: string;
  queryClass: string;
  p50: number;
  p99: number;
  meanHits: number;
}

export interface SearchBenchReport {
  products: number;
  skus: number;
  build: { seconds: number; productsPerSecond: number; reloadSeconds: number; dbMiB: number; memoryMiB: number };
  priceUpdateMs: { p50: number; p99: number };
  latency: LatencyRow[];
  comparison: {
    products: number;
    engines: Array<{ engine: string; buildSeconds: number; memoryMiB: number | null }>;
    latency: LatencyRow[];
    /** Queries whose hit count differs from the embedded adapter's, per engine. */
    mismatches: Record<string, number>;
  };
  markdown: string;
}

// ---------------------------------------------------------------------------------------------------
// Catalog generation

export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Domain {
  name: string;
  nouns: string[];
  english: string[];
  adjectives: string[];
  attributes: Record<string, string[]>;
  /** Typical price range, yuan. */
  price: [number, number];
}

const COLORS = ['黑色', '白色', '灰色', '红色', '蓝色', '绿色', '粉色', '金色', '银色', '紫色', '米色', '卡其色', '藏青色', '雅川青', '星空黑'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL', '3XL'];

const DOMAINS: Domain[] = [
  { name: '手机通讯', nouns: ['手机', '智能手机', '5G手机', '老人机', '手机壳', '钢化膜', '充电器', '数据线', '充电宝', '自拍杆'], english: ['phone', 'smartphone', 'case', 'charger', 'cable'], adjectives: ['旗舰', '拍照', '长续航', '快充', '全网通', '曲面屏', '折叠屏'], attributes: { 颜色: COLORS, 存储容量: ['64GB', '128GB', '256GB', '512GB', '1TB'], 网络制式: ['5G', '4G'] }, price: [20, 12000] },
  { name: '电脑办公', nouns: ['笔记本电脑', '游戏本', '台式机', '显示器', '键盘', '鼠标', '打印机', '平板电脑', '路由器', '移动硬盘'], english: ['laptop', 'notebook', 'monitor', 'keyboard', 'mouse', 'tablet', 'router'], adjectives: ['轻薄', '高性能', '电竞', '商务', '办公', '机械', '无线', '高刷'], attributes: { 颜色: COLORS, 内存容量: ['8GB', '16GB', '32GB', '64GB'], 屏幕尺寸: ['13.3英寸', '14英寸', '15.6英寸', '16英寸', '27英寸'] }, price: [30, 20000] },
  { name: '数码影音', nouns: ['耳机', '蓝牙耳机', '音箱', '相机', '镜头', '智能手表', '手环', '麦克风', '投影仪', '游戏机'], english: ['headphones', 'earbuds', 'speaker', 'camera', 'lens', 'watch', 'projector'], adjectives: ['降噪', '无线', '高清', '便携', '运动', '防水', '专业', '入门'], attributes: { 颜色: COLORS, 连接方式: ['蓝牙', '有线', '2.4G无线'] }, price: [50, 30000] },
  { name: '家用电器', nouns: ['冰箱', '洗衣机', '空调', '电视', '热水器', '吸尘器', '扫地机器人', '空气净化器', '加湿器', '电风扇'], english: ['fridge', 'washer', 'vacuum', 'purifier', 'fan'], adjectives: ['变频', '节能', '静音', '大容量', '智能', '一级能效', '家用', '除菌'], attributes: { 颜色: COLORS, 能效等级: ['一级', '二级', '三级'], 容量: ['100L', '200L', '300L', '500L'] }, price: [100, 25000] },
  { name: '厨房用品', nouns: ['电饭煲', '炒锅', '不粘锅', '刀具', '保温杯', '水杯', '餐具', '咖啡机', '破壁机', '空气炸锅'], english: ['cooker', 'pan', 'knife', 'mug', 'bottle', 'coffee'], adjectives: ['不锈钢', '陶瓷', '家用', '大容量', '多功能', '防烫', '加厚', '便携'], attributes: { 颜色: COLORS, 材质: ['不锈钢', '陶瓷', '玻璃', '铸铁', '塑料'], 容量: ['300ml', '500ml', '1L', '3L', '5L'] }, price: [10, 3000] },
  { name: '男装', nouns: ['T恤', '衬衫', '夹克', '卫衣', '羽绒服', '牛仔裤', '休闲裤', '西装', '毛衣', '短裤'], english: ['shirt', 'jacket', 'hoodie', 'jeans', 'pants', 'sweater'], adjectives: ['男士', '纯棉', '修身', '宽松', '夏季', '冬季', '加绒', '商务', '休闲', '潮流'], attributes: { 颜色: COLORS, 尺码: SIZES, 面料: ['棉', '麻', '涤纶', '羊毛', '真丝'] }, price: [19, 2000] },
  { name: '女装', nouns: ['连衣裙', '半身裙', 'T恤', '衬衫', '针织衫', '风衣', '羽绒服', '阔腿裤', '牛仔裤', '外套'], english: ['dress', 'skirt', 'blouse', 'coat', 'cardigan'], adjectives: ['女士', '显瘦', '高腰', '法式', '韩版', '气质', '夏季', '复古', '碎花', '宽松'], attributes: { 颜色: COLORS, 尺码: SIZES, 面料: ['棉', '雪纺', '真丝', '羊毛', '涤纶'] }, price: [29, 3000] },
  { name: '鞋靴', nouns: ['运动鞋', '跑步鞋', '板鞋', '皮鞋', '靴子', '凉鞋', '拖鞋', '篮球鞋', '帆布鞋', '高跟鞋'], english: ['sneakers', 'shoes', 'boots', 'sandals', 'slippers'], adjectives: ['透气', '防滑', '轻便', '缓震', '真皮', '休闲', '男款', '女款', '百搭', '增高'], attributes: { 颜色: COLORS, 鞋码: ['36', '37', '38', '39', '40', '41', '42', '43', '44'] }, price: [29, 2500] },
  { name: '美妆护肤', nouns: ['面霜', '精华液', '面膜', '口红', '粉底液', '洗面奶', '防晒霜', '爽肤水', '眼霜', '香水'], english: ['serum', 'cream', 'lipstick', 'sunscreen', 'perfume'], adjectives: ['补水', '保湿', '美白', '抗皱', '控油', '温和', '持久', '敏感肌', '修护'], attributes: { 规格: ['30ml', '50ml', '100ml', '200ml'], 适用肤质: ['干性', '油性', '混合性', '敏感性', '任何肤质'] }, price: [19, 3000] },
  { name: '食品饮料', nouns: ['坚果', '零食', '茶叶', '咖啡', '牛奶', '饼干', '巧克力', '大米', '食用油', '白酒'], english: ['snack', 'tea', 'coffee', 'milk', 'chocolate', 'rice'], adjectives: ['进口', '礼盒', '有机', '无糖', '低脂', '原味', '整箱', '特产', '新鲜'], attributes: { 规格: ['250g', '500g', '1kg', '2.5kg', '5kg'], 产地: ['云南', '福建', '新疆', '东北', '进口'] }, price: [5, 1500] },
  { name: '母婴玩具', nouns: ['纸尿裤', '奶粉', '奶瓶', '婴儿车', '积木', '玩具车', '毛绒玩具', '拼图', '童装', '儿童书包'], english: ['diapers', 'formula', 'stroller', 'blocks', 'toy', 'puzzle'], adjectives: ['儿童', '婴儿', '益智', '安全', '宝宝', '新生儿', '早教', '男孩', '女孩'], attributes: { 适用年龄: ['0-1岁', '1-3岁', '3-6岁', '6岁以上'], 颜色: COLORS }, price: [9, 5000] },
  { name: '运动户外', nouns: ['瑜伽垫', '哑铃', '跑步机', '帐篷', '登山包', '自行车', '泳衣', '球拍', '冲锋衣', '睡袋'], english: ['yoga', 'dumbbell', 'tent', 'backpack', 'bike', 'racket'], adjectives: ['户外', '专业', '防水', '加厚', '轻量', '折叠', '健身', '速干', '耐磨'], attributes: { 颜色: COLORS, 尺码: SIZES }, price: [15, 8000] },
  { name: '家居家装', nouns: ['沙发', '床垫', '衣柜', '书桌', '椅子', '台灯', '窗帘', '地毯', '四件套', '枕头'], english: ['sofa', 'mattress', 'desk', 'chair', 'lamp', 'pillow'], adjectives: ['实木', '北欧', '简约', '现代', '加厚', '乳胶', '可折叠', '卧室', '客厅'], attributes: { 颜色: COLORS, 材质: ['实木', '布艺', '真皮', '金属', '乳胶'] }, price: [20, 20000] },
  { name: '图书音像', nouns: ['小说', '武侠小说', '教材', '绘本', '漫画', '词典', '传记', '散文', '童书', '经管'], english: ['novel', 'book', 'comics', 'dictionary', 'textbook'], adjectives: ['全集', '精装', '平装', '典藏版', '畅销', '经典', '正版', '套装', '新版'], attributes: { 装帧: ['精装', '平装', '线装'], 语言: ['中文', '英文', '中英对照'] }, price: [9, 800] },
  { name: '汽车用品', nouns: ['行车记录仪', '车载充电器', '座垫', '脚垫', '机油', '轮胎', '车衣', '香薰', '洗车液', '安全座椅'], english: ['dashcam', 'tire', 'oil', 'seat', 'mat'], adjectives: ['通用', '高清', '四季', '全包围', '专车专用', '耐磨', '防滑', '大众', '丰田'], attributes: { 颜色: COLORS, 适用车型: ['轿车', 'SUV', 'MPV', '通用'] }, price: [15, 6000] },
  { name: '宠物生活', nouns: ['猫粮', '狗粮', '猫砂', '宠物窝', '牵引绳', '猫抓板', '宠物零食', '猫罐头', '宠物玩具', '饮水机'], english: ['catfood', 'dogfood', 'litter', 'leash', 'treats'], adjectives: ['成猫', '幼猫', '成犬', '幼犬', '天然', '无谷', '除臭', '冻干', '小型犬'], attributes: { 规格: ['1.5kg', '2kg', '5kg', '10kg'], 适用宠物: ['猫', '狗', '通用'] }, price: [9, 1500] },
];

const COMMON_ADJECTIVES = ['新款', '2024新款', '官方', '旗舰店', '正品', '热卖', '爆款', '限量', '包邮', '高端', '简约', '时尚', '经典', '升级款', '智能', '迷你', 'new', 'official', 'premium', 'classic', 'limited', 'pro'];
const SELLING_POINTS = ['品质保证', '七天无理由退换', '顺丰包邮', '官方正品', '支持以旧换新', '全国联保', '假一赔十', '极速发货', '售后无忧', '限时特惠', '赠运费险', '可开发票'];
const SERIES = ['Pro', 'Max', 'Plus', 'Ultra', 'Lite', 'Air', 'Mini', 'SE', 'Neo', 'Turbo'];
const SYLLABLES_ZH = ['华', '美', '康', '乐', '优', '雅', '悦', '星', '宝', '思', '达', '博', '森', '源', '汇', '金', '盛', '润', '欧', '德', '凯', '威', '朗', '普', '佳', '鑫', '泰', '联', '科', '迪'];
const SYLLABLES_EN = ['Ka', 'Lu', 'Mi', 'No', 'Ve', 'Zen', 'Ori', 'Ax', 'Tri', 'Sol', 'Vi', 'Ro', 'Qu', 'El', 'Ny', 'Pax', 'Lo', 'Tek', 'Mo', 'Ar'];

interface Catalog {
  brands: Array<{ id: string; name: string; domains: number[] }>;
  /** Leaf categories: id, path of ids from the root, domain and the nouns it favours. */
  leaves: Array<{ id: string; path: string[]; domain: number; nouns: string[]; frontend: string[] }>;
}

export const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
/** Zipf-like: low indexes far more often. */
const skewed = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() ** 2.5 * list.length)]!;

/** ~200 brands and 16 domains × 5 groups × 6 leaves (576 backend categories), 64 frontend categories. */
function catalogShape(random: () => number): Catalog {
  const names = new Set<string>();
  const brands: Catalog['brands'] = [];
  while (brands.length < 200) {
    const name =
      brands.length % 2 === 0
        ? pick(random, SYLLABLES_ZH) + pick(random, SYLLABLES_ZH)
        : pick(random, SYLLABLES_EN) + pick(random, SYLLABLES_EN).toLowerCase() + (random() < 0.3 ? pick(random, SYLLABLES_EN).toLowerCase() : '');
    if (names.has(name)) continue;
    names.add(name);
    const home = brands.length % DOMAINS.length;
    brands.push({ id: `brand-${brands.length}`, name, domains: random() < 0.3 ? [home, Math.floor(random() * DOMAINS.length)] : [home] });
  }
  const leaves: Catalog['leaves'] = [];
  DOMAINS.forEach((domain, d) => {
    for (let g = 0; g < 5; g++) {
      for (let l = 0; l < 6; l++) {
        const nouns = [domain.nouns[(g * 2 + l) % domain.nouns.length]!, domain.nouns[(g * 3 + l * 7 + 1) % domain.nouns.length]!];
        leaves.push({
          id: `cat-${d}-${g}-${l}`,
          path: [`cat-${d}`, `cat-${d}-${g}`, `cat-${d}-${g}-${l}`],
          domain: d,
          nouns,
          frontend: [`front-${d}-${g % 4}`, ...(l === 0 ? [`front-hot-${g}`] : [])],
        });
      }
    }
  });
  return { brands, leaves };
}

/** Deterministic products, in batches; product n is the same whatever the batch size. */
export function* generateProducts(seed: number, skuTarget: number, batch = 2000): Generator<ProductSearchDocument[]> {
  const shapeRandom = prng(seed);
  const { brands, leaves } = catalogShape(shapeRandom);
  const brandsOf = DOMAINS.map((_, d) => brands.filter((brand) => brand.domains.includes(d)));
  const random = prng(seed * 7919 + 1);
  const start = Date.parse('2022-01-01T00:00:00Z');
  const span = Date.parse('2025-01-01T00:00:00Z') - start;
  let skus = 0;
  let n = 0;
  let docs: ProductSearchDocument[] = [];
  while (skus < skuTarget) {
    const leaf = pick(random, leaves);
    const domain = DOMAINS[leaf.domain]!;
    const brand = skewed(random, brandsOf[leaf.domain]!);
    const noun = random() < 0.7 ? pick(random, leaf.nouns) : pick(random, domain.nouns);
    const attributes: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(domain.attributes)) {
      if (random() < 0.85) attributes[name] = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => skewed(random, values)))];
    }
    const model = `${String.fromCharCode(65 + Math.floor(random() * 26))}${Math.floor(random() * 90) + 1}`;
    const parts = [
      brand.name,
      random() < 0.6 ? `${model}${random() < 0.4 ? ` ${pick(random, SERIES)}` : ''}` : '',
      skewed(random, COMMON_ADJECTIVES),
      // Chinese titles run words together: adjectives and noun often share one chunk.
      pick(random, domain.adjectives) + (random() < 0.5 ? pick(random, domain.adjectives) : '') + noun,
      random() < 0.3 ? pick(random, domain.english) : '',
      Object.values(attributes).flat().slice(0, 2).join(' '),
    ];
    const description = Array.from({ length: 8 + Math.floor(random() * 10) }, () => {
      const roll = random();
      return roll < 0.3 ? pick(random, SELLING_POINTS) : roll < 0.6 ? pick(random, domain.adjectives) : roll < 0.8 ? pick(random, domain.nouns) : pick(random, COMMON_ADJECTIVES);
    }).join('，');
    const skuCount = 1 + Math.floor(random() * 4);
    const base = domain.price[0] * (domain.price[1] / domain.price[0]) ** (random() ** 1.5);
    const prices = Array.from({ length: skuCount }, () => Math.round(base * (1 + random() * 0.3)) * 100);
    const roll = random();
    const listedAt = new Date(start + Math.floor(random() * span)).toISOString();
    docs.push({
      id: `prod-${String(n).padStart(8, '0')}`,
      title: parts.filter(Boolean).join(' '),
      description,
      brand: { id: brand.id, name: brand.name },
      categoryId: leaf.id,
      categoryIds: leaf.path,
      frontendCategoryIds: leaf.frontend,
      attributes,
      minPrice: Math.min(...prices),
      maxPrice: Math.max(...prices),
      currency: 'CNY',
      inStock: random() < 0.9,
      salesCount: Math.floor(random() ** 4 * 100_000),
      listedAt: roll < 0.98 ? listedAt : null,
      image: `https://img.example/${n}.jpg`,
      status: roll < 0.95 ? 'listed' : roll < 0.98 ? 'delisted' : 'draft',
      revision: 1,
    });
    skus += skuCount;
    n++;
    if (docs.length === batch) {
      yield docs;
      docs = [];
    }
  }
  if (docs.length > 0) yield docs;
}

// ---------------------------------------------------------------------------------------------------
// Queries

export interface BenchQuery {
  queryClass: string;
  query: SearchQuery;
}

const BROAD_WORDS = ['新款', '官方', '手机', '男士', '夏季', '无线', '家用', '儿童', '加厚', 'pro', '智能', '便携', '黑色', '女士 连衣裙', '运动鞋'];

/**
 * Three classes, drawn from sampled listed products so that they find something:
 * selective (brand + product word, category filter), broad (a common word, stock and price filters),
 * browse (no keyword: category filter, best sellers). All ask for every facet.
 */
export function benchQueries(samples: ProductSearchDocument[], perClass: number, seed: number): BenchQuery[] {
  const random = prng(seed * 31 + 5);
  const queries: BenchQuery[] = [];
  for (let i = 0; i < perClass; i++) {
    const doc = pick(random, samples);
    const noun = DOMAINS.flatMap((domain) => domain.nouns).find((word) => doc.title.includes(word)) ?? queryTerms(doc.title).at(-1)!;
    queries.push({ queryClass: 'selective keyword + filter + facets', query: { q: `${doc.brand.name} ${noun}`, categoryIds: [doc.categoryIds[0]!] } });
    const low = pick(random, [0, 5_000, 10_000, 50_000]);
    queries.push({
      queryClass: 'broad keyword + filters + facets',
      query: { q: pick(random, BROAD_WORDS), inStock: true, minPrice: low, maxPrice: low + pick(random, [50_000, 200_000, 1_000_000]), sort: pick(random, ['relevance', 'sales'] as const) },
    });
    queries.push({ queryClass: 'browse: category + facets, by sales', query: { categoryIds: [doc.categoryIds[1]!], sort: 'sales' } });
  }
  return queries;
}

// ---------------------------------------------------------------------------------------------------
// Measurement helpers

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

export function memoryMiB(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return (usage.heapUsed + usage.arrayBuffers) / 2 ** 20;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** Runs the queries (after a warm-up), returning p50/p99 per class and each query's hit count. */
export async function measure(engine: string, queries: BenchQuery[], run: (query: SearchQuery) => Promise<number> | number) {
  gc();
  for (const { query } of queries.slice(0, Math.ceil(queries.length / 10))) await run(query);
  const byClass = new Map<string, { times: number[]; hits: number }>();
  const totals: number[] = [];
  for (const { queryClass, query } of queries) {
    const started = performance.now();
    const total = await run(query);
    const elapsed = performance.now() - started;
    totals.push(total);
    const entry = byClass.get(queryClass) ?? { times: [], hits: 0 };
    entry.times.push(elapsed);
    entry.hits += total;
    byClass.set(queryClass, entry);
  }
  const rows: LatencyRow[] = [...byClass].map(([queryClass, { times, hits }]) => {
    times.sort((a, b) => a - b);
    return { engine, queryClass, p50: round(percentile(times, 0.5), 2), p99: round(percentile(times, 0.99), 2), meanHits: Math.round(hits / times.length) };
  });
  return { rows, totals };
}

// ---------------------------------------------------------------------------------------------------
// The libraries, given the same words and the same facet semantics

/** What the libraries index: the embedded engine's words, space-joined, and the filterable fields. */
interface LibraryDoc {
  id: string;
  title: string;
  all: string;
  brandId: string;
  categoryIds: string[];
  frontendCategoryIds: string[];
  attributePairs: string[];
  minPrice: number;
  inStock: boolean;
  salesCount: number;
  listed: boolean;
}

function libraryDoc(doc: ProductSearchDocument): LibraryDoc {
  const terms = documentTerms(doc);
  return {
    id: doc.id,
    title: terms.title.join(' '),
    all: [...terms.title, ...terms.keywords, ...terms.description].join(' '),
    brandId: doc.brand.id,
    categoryIds: doc.categoryIds,
    frontendCategoryIds: doc.frontendCategoryIds,
    attributePairs: Object.entries(doc.attributes).flatMap(([name, values]) => values.map((value) => `${name}${ATTRIBUTE_SEPARATOR}${value}`)),
    minPrice: doc.minPrice,
    inStock: doc.inStock,
    salesCount: doc.salesCount,
    listed: doc.status === 'listed',
  };
}

type Dimension = 'brand' | 'category' | 'price';

/** The filters of a query as predicates per faceted dimension, plus those every facet respects. */
function predicates(query: SearchQuery) {
  const faceted: Partial<Record<Dimension, (doc: LibraryDoc) => boolean>> = {};
  if (query.brandIds?.length) faceted.brand = (doc) => query.brandIds!.includes(doc.brandId);
  if (query.categoryIds?.length) faceted.category = (doc) => doc.categoryIds.some((id) => query.categoryIds!.includes(id));
  if (query.minPrice !== undefined || query.maxPrice !== undefined) {
    faceted.price = (doc) => doc.minPrice >= (query.minPrice ?? -Infinity) && doc.minPrice <= (query.maxPrice ?? Infinity);
  }
  const always = (doc: LibraryDoc) => doc.listed && (query.inStock === undefined || doc.inStock === query.inStock);
  return { faceted, always };
}

const bucketOf = (price: number) => PRICE_BUCKETS.findLastIndex((bucket) => price >= bucket.from);

/** Multi-select facets and the top page over a library's keyword matches, in one pass as the adapter does. */
function facetedPage(docs: Iterable<{ doc: LibraryDoc; score: number }>, query: SearchQuery) {
  const { faceted, always } = predicates(query);
  const dims = Object.entries(faceted) as Array<[Dimension, (doc: LibraryDoc) => boolean]>;
  const brand = new Map<string, number>();
  const category = new Map<string, number>();
  const pairs = new Map<string, number>();
  const price = new Array<number>(PRICE_BUCKETS.length).fill(0);
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const hits: Array<{ doc: LibraryDoc; score: number }> = [];
  for (const entry of docs) {
    const { doc } = entry;
    if (!always(doc)) continue;
    const failed = dims.filter(([, test]) => !test(doc)).map(([dim]) => dim);
    if (failed.length > 1) continue;
    const only = failed[0];
    if (!only) {
      hits.push(entry);
      doc.attributePairs.forEach((pair) => bump(pairs, pair));
    }
    if (!only || only === 'brand') bump(brand, doc.brandId);
    if (!only || only === 'category') doc.categoryIds.forEach((id) => bump(category, id));
    if (!only || only === 'price') price[bucketOf(doc.minPrice)]!++;
  }
  const ranked = (map: Map<string, number>, size: number): FacetCount[] =>
    [...map].map(([value, count]) => ({ value, count })).sort(byCountThenValue).slice(0, size);
  const key = query.sort === 'sales' || !query.q ? (hit: { doc: LibraryDoc; score: number }) => hit.doc.salesCount : (hit: { score: number }) => hit.score;
  hits.sort((a, b) => key(b) - key(a) || (a.doc.id < b.doc.id ? -1 : 1));
  return {
    total: hits.length,
    top: hits.slice(0, query.size ?? 20),
    facets: { brand: ranked(brand, FACET_LIMITS.values), category: ranked(category, FACET_LIMITS.values), price, pairs: ranked(pairs, FACET_LIMITS.attributePairs) },
  };
}

function buildMiniSearch(docs: LibraryDoc[]) {
  const index = new MiniSearch<LibraryDoc>({
    fields: ['title', 'all'],
    storeFields: ['id'],
    tokenize: (text) => text.split(' '),
    processTerm: (term) => term,
    searchOptions: { combineWith: 'AND', boost: { title: FIELD_WEIGHTS.title } },
  });
  index.addAll(docs);
  const byId = new Map(docs.map((doc) => [doc.id, doc]));
  return (query: SearchQuery) => {
    const terms = queryTerms(query.q ?? '');
    const matches = terms.length > 0 ? index.search(terms.join(' ')).map((result) => ({ doc: byId.get(result.id as string)!, score: result.score })) : docs.map((doc) => ({ doc, score: 0 }));
    return facetedPage(matches, query).total;
  };
}

const oramaSchema = {
  id: 'string',
  title: 'string',
  all: 'string',
  brandId: 'enum',
  categoryIds: 'enum[]',
  frontendCategoryIds: 'enum[]',
  attributePairs: 'enum[]',
  minPrice: 'number',
  inStock: 'boolean',
  salesCount: 'number',
  listed: 'boolean',
} as const;

async function buildOrama(docs: LibraryDoc[]) {
  // Every word ends in '\u0001' so that Orama's prefix lookup matches whole words only.
  const db: Orama<typeof oramaSchema> = create({
    schema: oramaSchema,
    components: { tokenizer: { language: 'english', normalizationCache: new Map(), tokenize: (text: string) => (text ? text.split(' ').map((word) => `${word}\u0001`) : []) } },
  });
  await insertMultiple(db, docs, 5000);
  return async (query: SearchQuery) => {
    const terms = queryTerms(query.q ?? '');
    const { faceted } = predicates(query);
    const where = (except?: Dimension) => ({
      listed: true,
      ...(query.inStock !== undefined ? { inStock: query.inStock } : {}),
      ...(faceted.brand && except !== 'brand' ? { brandId: { in: query.brandIds! } } : {}),
      ...(faceted.category && except !== 'category' ? { categoryIds: { containsAny: query.categoryIds! } } : {}),
      ...(faceted.price && except !== 'price' ? { minPrice: { between: [query.minPrice ?? 0, query.maxPrice ?? Number.MAX_SAFE_INTEGER] as [number, number] } } : {}),
    });
    const keyword = terms.length > 0 ? { term: terms.join(' '), properties: ['title', 'all'] as ('title' | 'all')[], boost: { title: FIELD_WEIGHTS.title }, threshold: 0 } : {};
    const ranges = PRICE_BUCKETS.map(({ from, to }) => ({ from, to: (to ?? Number.MAX_SAFE_INTEGER) - 1 }));
    // Multi-select: the filtered query gives hits and the unfiltered dimensions' facets; each filtered
    // dimension asks again without its own filter, as an Orama application has to.
    const main = await oramaSearch(db, {
      ...keyword,
      where: where(),
      limit: query.size ?? 20,
      ...(query.sort === 'sales' || terms.length === 0 ? { sortBy: { property: 'salesCount', order: 'DESC' as const } } : {}),
      facets: {
        brandId: { limit: FACET_LIMITS.values },
        categoryIds: { limit: FACET_LIMITS.values },
        attributePairs: { limit: FACET_LIMITS.attributePairs },
        minPrice: { ranges },
      },
    });
    for (const dim of Object.keys(faceted) as Dimension[]) {
      const field = dim === 'brand' ? 'brandId' : dim === 'category' ? 'categoryIds' : 'minPrice';
      await oramaSearch(db, { ...keyword, where: where(dim), limit: 0, facets: { [field]: field === 'minPrice' ? { ranges } : { limit: FACET_LIMITS.values } } });
    }
    return main.count;
  };
}

const FTS5 = 'SQLite FTS5 (keyword only)';

/** The design the embedded adapter did not take: FTS5 over the same words, bm25 with the same weights. */
function buildFts5(path: string, docs: ProductSearchDocument[]) {
  const db = new Database(path);
  db.exec("CREATE VIRTUAL TABLE fts USING fts5(title, keywords, description, tokenize = 'unicode61')");
  const insert = db.prepare('INSERT INTO fts (rowid, title, keywords, description) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    docs.forEach((doc, i) => {
      if (doc.status !== 'listed') return;
      const terms = documentTerms(doc);
      insert.run(i + 1, terms.title.join(' '), terms.keywords.join(' '), terms.description.join(' '));
    });
  })();
  const top = db.prepare(`SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, ${FIELD_WEIGHTS.title}, ${FIELD_WEIGHTS.keywords}, ${FIELD_WEIGHTS.description}) LIMIT 20`);
  const count = db.prepare<[string], number>('SELECT count(*) FROM fts WHERE fts MATCH ?').pluck();
  return {
    run(query: SearchQuery) {
      const match = queryTerms(query.q ?? '').map((term) => `"${term}"`).join(' ');
      top.all(match);
      return count.get(match)!;
    },
    close: () => db.close(),
  };
}

// ---------------------------------------------------------------------------------------------------
// The run

/** The embedded adapter on a file, with the SQLite settings Bazaar runs with (WAL, synchronous=NORMAL). */
function openEmbedded(path: string): SearchIndex {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return sqliteSearchIndex(db);
}

/** Bulk-loads the catalog through a rebuild (as a projection rebuild would), keeping a sample of listed products. */
export async function buildAdapter(path: string, seed: number, skus: number, log: (line: string) => void) {
  const index = openEmbedded(path);
  const rebuild = await index.beginRebuild();
  const random = prng(seed * 17 + 3);
  const samples: ProductSearchDocument[] = [];
  let listed = 0;
  let products = 0;
  const started = performance.now();
  for (const batch of generateProducts(seed, skus)) {
    await rebuild.upsert(batch);
    products += batch.length;
    for (const doc of batch) {
      if (doc.status !== 'listed') continue;
      listed++;
      if (samples.length < 2000) samples.push(doc);
      else if (random() < 2000 / listed) samples[Math.floor(random() * 2000)] = doc;
    }
    if (products % 100_000 < batch.length) log(`  indexed ${products.toLocaleString('en')} products (${round((performance.now() - started) / 1000)} s)`);
  }
  await rebuild.commit();
  return { index, products, samples, seconds: (performance.now() - started) / 1000 };
}

/** Latency of `upsert` for batches of 20 price changes (after a warm-up), as the projection writes them. */
async function priceUpdates(index: SearchIndex, samples: ProductSearchDocument[]) {
  const times: number[] = [];
  for (let batch = 0; batch < 110; batch++) {
    const docs = samples.slice((batch * 20) % samples.length, ((batch * 20) % samples.length) + 20);
    const started = performance.now();
    await index.upsert(docs.map((doc) => ({ ...doc, minPrice: doc.minPrice + 100, revision: 2 + batch })));
    if (batch >= 10) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: round(percentile(times, 0.5), 2), p99: round(percentile(times, 0.99), 2) };
}

export async function runSearchBench(options: SearchBenchOptions = {}): Promise<SearchBenchReport> {
  const { skus = 1_000_000, compare = 100_000, queries: perClass = 300, seed = 7, log = console.log } = options;
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-search-bench-'));
  try {
    // 1. The embedded adapter over the whole catalog.
    log(`generating and indexing ${skus.toLocaleString('en')} SKUs …`);
    const before = memoryMiB();
    const full = await buildAdapter(join(dir, 'full.db'), seed, skus, log);
    const memory = memoryMiB() - before;
    const { samples } = full;
    const queries = benchQueries(samples, perClass, seed);
    const measured = await measure('embedded (SQLite + in-memory)', queries, async (query) => (await full.index.search(query)).total);
    const updates = await priceUpdates(full.index, samples);
    await full.index.close();
    const reloadStarted = performance.now();
    const reopened = openEmbedded(join(dir, 'full.db'));
    const reloadSeconds = (performance.now() - reloadStarted) / 1000;
    await reopened.close();
    const dbMiB = statSync(join(dir, 'full.db')).size / 2 ** 20;

    // 2. Side by side on the first `compare` products.
    log(`comparing on ${compare.toLocaleString('en')} products …`);
    const subset: ProductSearchDocument[] = [];
    for (const batch of generateProducts(seed, Number.MAX_SAFE_INTEGER)) {
      subset.push(...batch.slice(0, compare - subset.length));
      if (subset.length >= compare) break;
    }
    const subsetQueries = benchQueries(
      subset.filter((doc) => doc.status === 'listed'),
      Math.max(50, Math.floor(perClass / 3)),
      seed + 1,
    );
    const engines: SearchBenchReport['comparison']['engines'] = [];
    const latency: LatencyRow[] = [];
    const totals = new Map<string, number[]>();
    const compareEngine = async (engine: string, build: () => Promise<(query: SearchQuery) => Promise<number> | number>) => {
      const start = memoryMiB();
      const started = performance.now();
      const run = await build();
      const buildSeconds = (performance.now() - started) / 1000;
      engines.push({ engine, buildSeconds: round(buildSeconds), memoryMiB: round(memoryMiB() - start) });
      const result = await measure(engine, subsetQueries, run);
      latency.push(...result.rows);
      totals.set(engine, result.totals);
      log(`  ${engine}: built in ${round(buildSeconds)} s`);
    };
    let small: SearchIndex | undefined;
    await compareEngine('embedded', async () => {
      small = openEmbedded(join(dir, 'small.db'));
      await small.upsert(subset);
      return async (query) => (await small!.search(query)).total;
    });
    await small!.close();
    small = undefined;
    // The libraries keep what they filter and facet on in memory, so their documents count as theirs.
    await compareEngine('MiniSearch 7', async () => buildMiniSearch(subset.map(libraryDoc)));
    await compareEngine('Orama 3', async () => buildOrama(subset.map(libraryDoc)));
    // FTS5 for reference: the keyword part alone (bm25 top 20 and the count), no filters and no facets.
    const fts5Started = performance.now();
    const fts5 = buildFts5(join(dir, 'fts5.db'), subset);
    engines.push({ engine: FTS5, buildSeconds: round((performance.now() - fts5Started) / 1000), memoryMiB: null });
    latency.push(...(await measure(FTS5, subsetQueries.filter(({ query }) => query.q), fts5.run)).rows);
    fts5.close();
    const reference = totals.get('embedded')!;
    const mismatches = Object.fromEntries(
      [...totals].filter(([engine]) => engine !== 'embedded').map(([engine, list]) => [engine, list.filter((total, i) => total !== reference[i]).length]),
    );

    const report: Omit<SearchBenchReport, 'markdown'> = {
      products: full.products,
      skus,
      build: {
        seconds: round(full.seconds),
        productsPerSecond: Math.round(full.products / full.seconds),
        reloadSeconds: round(reloadSeconds),
        dbMiB: Math.round(dbMiB),
        memoryMiB: Math.round(memory),
      },
      priceUpdateMs: updates,
      latency: measured.rows,
      comparison: { products: subset.length, engines, latency, mismatches },
    };
    return { ...report, markdown: markdown(report) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function markdown(report: Omit<SearchBenchReport, 'markdown'>): string {
  const { build, comparison } = report;
  const table = (rows: LatencyRow[]) => [
    '| engine | query class | p50 ms | p99 ms | mean hits |',
    '|---|---|---:|---:|---:|',
    ...rows.map((row) => `| ${row.engine} | ${row.queryClass} | ${row.p50} | ${row.p99} | ${row.meanHits.toLocaleString('en')} |`),
  ];
  return [
    `### Embedded SearchIndex, ${report.products.toLocaleString('en')} products (${report.skus.toLocaleString('en')} SKUs)`,
    '',
    '| build (bulk, incl. tokenizing and SQLite) | rate | reload from SQLite | SQLite file | memory (heap + array buffers) | price update, 20 docs p50 / p99 |',
    '|---:|---:|---:|---:|---:|---:|',
    `| ${build.seconds} s | ${build.productsPerSecond.toLocaleString('en')} products/s | ${build.reloadSeconds} s | ${build.dbMiB} MiB | ${build.memoryMiB} MiB | ${report.priceUpdateMs.p50} / ${report.priceUpdateMs.p99} ms |`,
    '',
    ...table(report.latency),
    '',
    `### Side by side, ${comparison.products.toLocaleString('en')} products, same words and facet semantics`,
    '',
    '| engine | build | memory (heap + array buffers) | queries with a different hit count |',
    '|---|---:|---:|---:|',
    ...comparison.engines.map(
      (engine) => `| ${engine.engine} | ${engine.buildSeconds} s | ${engine.memoryMiB === null ? 'in SQLite' : `${engine.memoryMiB} MiB`} | ${comparison.mismatches[engine.engine] ?? '—'} |`,
    ),
    '',
    `${FTS5} answers the keyword queries only (bm25 top 20 and the count, listed products only, no filters or facets): a lower bound of an FTS5 design.`,
    '',
    ...table(comparison.latency),
  ].join('\n');
}

function argument(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await runSearchBench({ skus: argument('skus'), compare: argument('compare'), queries: argument('queries'), seed: argument('seed') });
  console.log(`\n${report.markdown}`);
}
