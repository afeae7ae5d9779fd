import { describe, expect, it } from 'vitest';
import {
  addSignal,
  applyChoice,
  bounded,
  emptyProfile,
  HALF_LIFE_DAYS,
  isActive,
  PROFILE_LIMITS,
  productAffinity,
  SIGNAL_WEIGHTS,
  strengthWord,
  weightAt,
  type ProductFacts,
} from '../../../src/domain/personalization/profile.js';
import { fold, SHOPPER_PROFILES, SHOPPER_PRODUCTS, type FoldContext, type ProfileDoc } from '../../../src/projections/personalization/affinity.js';
import type { RecordedEvent } from '../../../src/ports/event-store.js';
import type { ViewDocument } from '../../../src/ports/view-store.js';

const DAY = 86_400_000;
const t0 = Date.UTC(2024, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const book = (category: string, brand = 'pub', attributes: string[] = []): ProductFacts => ({ categoryId: category, brandId: brand, attributes });

describe('affinity decay', () => {
  it('halves a weight every half-life, at read time and when a newer signal arrives', () => {
    const profile = addSignal(emptyProfile('u'), book('wuxia'), 'purchase', iso(t0));
    expect(profile.categories.wuxia).toBe(SIGNAL_WEIGHTS.purchase);
    expect(weightAt(profile, profile.categories.wuxia!, t0 + HALF_LIFE_DAYS * DAY)).toBeCloseTo(SIGNAL_WEIGHTS.purchase / 2, 9);
    const later = addSignal(profile, book('romance'), 'view', iso(t0 + 2 * HALF_LIFE_DAYS * DAY));
    expect(later.categories.wuxia).toBeCloseTo(SIGNAL_WEIGHTS.purchase / 4, 5);
    expect(later.categories.romance).toBe(SIGNAL_WEIGHTS.view);
    expect(later.asOf).toBe(iso(t0 + 2 * HALF_LIFE_DAYS * DAY));
  });

  it('adds an older signal already decayed, so the fold does not depend on which stream came first', () => {
    const a = addSignal(addSignal(emptyProfile('u'), book('x'), 'view', iso(t0)), book('y'), 'cart', iso(t0 + 10 * DAY));
    const b = addSignal(addSignal(emptyProfile('u'), book('y'), 'cart', iso(t0 + 10 * DAY)), book('x'), 'view', iso(t0));
    expect(b.categories.x).toBeCloseTo(a.categories.x!, 5);
    expect(b.categories.y).toBeCloseTo(a.categories.y!, 5);
    expect(b.asOf).toBe(a.asOf);
  });

  it('forgets what decayed below the minimum weight; an old profile is no longer active', () => {
    const profile = addSignal(emptyProfile('u'), book('wuxia'), 'view', iso(t0));
    expect(isActive(profile, t0)).toBe(true);
    expect(isActive(profile, t0 + 10 * HALF_LIFE_DAYS * DAY)).toBe(false);
    const much = addSignal(profile, book('romance'), 'view', iso(t0 + 10 * HALF_LIFE_DAYS * DAY));
    expect(much.categories.wuxia).toBeUndefined();
  });
});

describe('affinity bounds', () => {
  it('keeps the top N per dimension whatever the history', () => {
    let profile = emptyProfile('u');
    for (let i = 0; i < 200; i++) profile = addSignal(profile, book(`c${i}`, `b${i}`, [`a=${i}`, `b=${i}`]), i % 10 === 0 ? 'purchase' : 'view', iso(t0 + i * 60_000));
    expect(Object.keys(profile.categories)).toHaveLength(PROFILE_LIMITS.categories);
    expect(Object.keys(profile.brands)).toHaveLength(PROFILE_LIMITS.brands);
    expect(Object.keys(profile.attributes)).toHaveLength(PROFILE_LIMITS.attributes);
    // The purchases (heavier) survive the many later views.
    expect(profile.categories.c0).toBeDefined();
    expect(profile.categories.c190).toBeDefined();
    expect(profile.signals).toBe(200);
  });

  it('breaks ties by key so a fold is deterministic', () => {
    expect(Object.keys(bounded({ b: 1, a: 1, c: 1 }, 2))).toEqual(['a', 'b']);
  });
});

describe('affinity, strength and choices', () => {
  it('a product matching category, brand and an attribute value scores higher than a partial match; unknown scores 0', () => {
    let profile = emptyProfile('u');
    for (let i = 0; i < 3; i++) profile = addSignal(profile, book('wuxia', 'sanlian', ['装帧=精装']), 'purchase', iso(t0));
    const full = productAffinity(profile, book('wuxia', 'sanlian', ['装帧=精装']), t0);
    const category = productAffinity(profile, book('wuxia', 'other'), t0);
    expect(full).toBeGreaterThan(category);
    expect(category).toBeGreaterThan(0);
    expect(full).toBeLessThanOrEqual(1);
    expect(productAffinity(profile, book('phones', 'huawei'), t0)).toBe(0);
    expect(strengthWord(0.8)).toBe('strong');
    expect(strengthWord(0.4)).toBe('medium');
    expect(strengthWord(0.1)).toBe('weak');
  });

  it('off: signals are ignored; clear: empty but the setting is kept', () => {
    const on = addSignal(emptyProfile('u'), book('wuxia'), 'cart', iso(t0));
    const off = applyChoice(on, 'PersonalizationDisabled', iso(t0));
    expect(addSignal(off, book('romance'), 'purchase', iso(t0))).toBe(off);
    expect(isActive(off, t0)).toBe(false);
    const cleared = applyChoice(off, 'PersonalizationCleared', iso(t0 + 1));
    expect(cleared).toMatchObject({ enabled: false, categories: {}, brands: {}, attributes: {}, signals: 0, clearedAt: iso(t0 + 1) });
  });
});

describe('the personalization projection', () => {
  let position = 0;
  const event = (streamId: string, type: string, data: Record<string, unknown>): RecordedEvent =>
    ({ id: `e${++position}`, streamId, revision: 0, position, type, data, metadata: {}, recordedAt: iso(t0) }) as RecordedEvent;
  const history = [
    event('product-p1', 'ProductCreated', { productId: 'p1', category: { id: 'wuxia', name: '武侠' }, brand: { id: 'sanlian', name: '三联' }, keyAttributes: {}, generalAttributes: { 装帧: '精装' }, at: iso(t0) }),
    event('product-p2', 'ProductCreated', { productId: 'p2', category: { id: 'romance', name: '言情' }, brand: { id: 'nanhai', name: '南海' }, keyAttributes: {}, generalAttributes: {}, at: iso(t0) }),
    event('order-o1', 'OrderPlaced', { orderId: 'o1', userId: 'u1', items: [{ productId: 'p1', quantity: 2 }], at: iso(t0 + DAY) }),
    event('order-o2', 'OrderPlaced', { orderId: 'o2', userId: 'u1', items: [{ productId: 'p2', quantity: 1 }], at: iso(t0 + DAY) }),
    event('order-o2', 'OrderCancelled', { orderId: 'o2', reason: 'customer', at: iso(t0 + DAY) }),
    event('order-o1', 'OrderPaid', { orderId: 'o1', payOrderId: 'po', paymentId: 'pay', at: iso(t0 + DAY) }),
    event('shopper-u2', 'ShopperProductViewed', { userId: 'u2', productId: 'p2', at: iso(t0 + 2 * DAY) }),
    event('shopper-u2', 'ShopperProductViewed', { userId: 'u2', productId: 'unknown', at: iso(t0 + 2 * DAY) }),
    event('shopper-u3', 'ShopperCartItemAdded', { userId: 'u3', productId: 'p2', skuId: 's', at: iso(t0 + 2 * DAY) }),
    event('shopper-u3', 'PersonalizationCleared', { userId: 'u3', at: iso(t0 + 3 * DAY) }),
    event('shopper-u3', 'ShopperProductViewed', { userId: 'u3', productId: 'p1', at: iso(t0 + 4 * DAY) }),
  ];

  async function replay(events: RecordedEvent[], batches: number[]): Promise<Map<string, ViewDocument | null>> {
    const store = new Map<string, ViewDocument | null>();
    let at = 0;
    for (const size of [...batches, events.length]) {
      const batch = events.slice(at, at + size);
      at += batch.length;
      const staged = new Map(store);
      const context: FoldContext = { get: async (collection, id) => staged.get(`${collection}/${id}`) ?? null, set: async (collection, id, doc) => void staged.set(`${collection}/${id}`, doc) };
      for (const item of batch) await fold(context, item);
      for (const [key, doc] of staged) store.set(key, doc);
    }
    return store;
  }

  it('counts a purchase once paid (not a cancelled order), ignores unknown products, and honours a clear', async () => {
    const docs = await replay(history, []);
    const u1 = docs.get(`${SHOPPER_PROFILES}/u1`) as ProfileDoc;
    expect(u1.categories).toEqual({ wuxia: SIGNAL_WEIGHTS.purchase }); // one order line is one purchase, whatever its quantity
    expect(u1.attributes).toEqual({ '装帧=精装': SIGNAL_WEIGHTS.purchase });
    expect((docs.get(`${SHOPPER_PRODUCTS}/p1`) as { popularity: number }).popularity).toBe(2);
    expect((docs.get(`${SHOPPER_PROFILES}/u2`) as ProfileDoc).signals).toBe(1);
    const u3 = docs.get(`${SHOPPER_PROFILES}/u3`) as ProfileDoc;
    expect(u3.categories).toEqual({ wuxia: SIGNAL_WEIGHTS.view });
    expect(u3.clearedAt).toBe(iso(t0 + 3 * DAY));
  });

  it('gives the same documents however the events are batched (rebuild = incremental)', async () => {
    const whole = await replay(history, []);
    for (const batches of [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [3, 4], [5, 1, 2]]) expect(await replay(history, batches)).toEqual(whole);
  });
});
