/**
 * A shopper's affinity profile (docs/search-and-listing.md, Personalization): time-decayed weights over
 * backend leaf categories, brands and attribute values, folded from what the shopper bought (paid
 * orders), added to a cart, opened and clicked in search results. Pure: time comes from the events.
 *
 * Weights are kept relative to `asOf` (the newest signal's time): a new signal first decays every weight
 * to its own time (half-life HALF_LIFE_DAYS), then adds its weight to the product's category, brand and
 * attribute values. Each dimension keeps its top PROFILE_LIMITS entries; weights that decayed below
 * MIN_WEIGHT are dropped.
 */

export const SHOPPER_STREAM_PREFIX = 'shopper-';
export const shopperStream = (userId: string): string => `${SHOPPER_STREAM_PREFIX}${userId}`;

export const SIGNAL_KINDS = ['view', 'click', 'cart', 'purchase'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** What one signal adds (before decay): buying says more than opening a page. */
export const SIGNAL_WEIGHTS: Record<SignalKind, number> = { view: 1, click: 1.5, cart: 3, purchase: 5 };

export const HALF_LIFE_DAYS = 30;
const HALF_LIFE_MS = HALF_LIFE_DAYS * 86_400_000;
export const PROFILE_LIMITS = { categories: 20, brands: 20, attributes: 30 } as const;
export const MIN_WEIGHT = 0.05;
/** Weight at which an entry's strength is one half (strength = w / (w + STRENGTH_HALF)). */
export const STRENGTH_HALF = 4;

/** Events of the `shopper-<userId>` stream (the signals that are not events elsewhere, and the shopper's choices). */
export type ShopperEvent =
  | { type: 'ShopperProductViewed'; data: { userId: string; productId: string; at: string } }
  | { type: 'ShopperSearchResultClicked'; data: { userId: string; productId: string; query: string; rank: number; at: string } }
  | { type: 'ShopperCartItemAdded'; data: { userId: string; productId: string; skuId: string; at: string } }
  /** The shopper emptied the profile: everything recorded before stops counting (also on a replay). */
  | { type: 'PersonalizationCleared'; data: { userId: string; at: string } }
  | { type: 'PersonalizationDisabled'; data: { userId: string; at: string } }
  | { type: 'PersonalizationEnabled'; data: { userId: string; at: string } };

export const SIGNAL_EVENT_KINDS: Record<string, SignalKind> = {
  ShopperProductViewed: 'view',
  ShopperSearchResultClicked: 'click',
  ShopperCartItemAdded: 'cart',
};

/** What ranking needs to know of a product: its leaf category, brand and attribute values (`name=value`). */
export interface ProductFacts {
  categoryId: string;
  brandId: string;
  attributes: string[];
}

export type Dimension = 'categories' | 'brands' | 'attributes';
export const DIMENSIONS: Dimension[] = ['categories', 'brands', 'attributes'];

export interface AffinityProfile {
  userId: string;
  enabled: boolean;
  /** ISO time the weights are relative to (the newest signal's), null while empty. */
  asOf: string | null;
  categories: Record<string, number>;
  brands: Record<string, number>;
  attributes: Record<string, number>;
  /** Signals folded since the last clear. */
  signals: number;
  clearedAt: string | null;
}

export const emptyProfile = (userId: string, enabled = true): AffinityProfile => ({
  userId,
  enabled,
  asOf: null,
  categories: {},
  brands: {},
  attributes: {},
  signals: 0,
  clearedAt: null,
});

export const attributeKey = (name: string, value: string): string => `${name}=${value}`;

/** 2^(−Δt / half-life); 1 for Δt ≤ 0. */
export function decayFactor(fromMs: number, toMs: number): number {
  return toMs <= fromMs ? 1 : Math.pow(2, -(toMs - fromMs) / HALF_LIFE_MS);
}

/** Adds a signal of `kind` on a product with `facts` at `at`; unchanged while personalization is off. */
export function addSignal(profile: AffinityProfile, facts: ProductFacts, kind: SignalKind, at: string): AffinityProfile {
  if (!profile.enabled) return profile;
  const time = Date.parse(at);
  const asOf = profile.asOf === null ? time : Date.parse(profile.asOf);
  // A signal older than asOf (streams interleave) is added already decayed; a newer one decays the rest.
  const scale = time >= asOf ? 1 : decayFactor(time, asOf);
  const shift = time > asOf ? decayFactor(asOf, time) : 1;
  const weight = SIGNAL_WEIGHTS[kind] * scale; // an order line is one purchase whatever its quantity
  const next: AffinityProfile = {
    ...profile,
    asOf: new Date(Math.max(time, asOf)).toISOString(),
    categories: scaled(profile.categories, shift),
    brands: scaled(profile.brands, shift),
    attributes: scaled(profile.attributes, shift),
    signals: profile.signals + 1,
  };
  add(next.categories, facts.categoryId, weight);
  add(next.brands, facts.brandId, weight);
  for (const value of new Set(facts.attributes)) add(next.attributes, value, weight);
  next.categories = bounded(next.categories, PROFILE_LIMITS.categories);
  next.brands = bounded(next.brands, PROFILE_LIMITS.brands);
  next.attributes = bounded(next.attributes, PROFILE_LIMITS.attributes);
  return next;
}

/** The shopper's choices: clear empties the profile (keeping enabled), disable/enable switch it. */
export function applyChoice(profile: AffinityProfile, type: 'PersonalizationCleared' | 'PersonalizationDisabled' | 'PersonalizationEnabled', at: string): AffinityProfile {
  if (type === 'PersonalizationCleared') return { ...emptyProfile(profile.userId, profile.enabled), clearedAt: at };
  return { ...profile, enabled: type === 'PersonalizationEnabled' };
}

function scaled(weights: Record<string, number>, factor: number): Record<string, number> {
  if (factor === 1) return { ...weights };
  const out: Record<string, number> = {};
  for (const [key, weight] of Object.entries(weights)) out[key] = weight * factor;
  return out;
}

function add(weights: Record<string, number>, key: string, weight: number): void {
  if (key) weights[key] = (weights[key] ?? 0) + weight;
}

/** Drops weights below MIN_WEIGHT and keeps the `limit` heaviest (ties by key, so folds are deterministic). */
export function bounded(weights: Record<string, number>, limit: number): Record<string, number> {
  const entries = Object.entries(weights).filter(([, weight]) => weight >= MIN_WEIGHT);
  if (entries.length > limit) {
    entries.sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0));
    entries.length = limit;
  }
  return Object.fromEntries(entries.map(([key, weight]) => [key, round(weight)]));
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

/** A weight decayed from the profile's asOf to `nowMs`. */
export function weightAt(profile: AffinityProfile, weight: number, nowMs: number): number {
  return profile.asOf === null ? 0 : weight * decayFactor(Date.parse(profile.asOf), nowMs);
}

/** 0..1: how sure we are of a liking, saturating (4 → 0.5, 12 → 0.75). */
export function strength(weight: number): number {
  return weight <= 0 ? 0 : weight / (weight + STRENGTH_HALF);
}

export type StrengthWord = 'strong' | 'medium' | 'weak';
export function strengthWord(value: number): StrengthWord {
  return value >= 0.6 ? 'strong' : value >= 0.3 ? 'medium' : 'weak';
}

/** Whether the profile can change a ranking at `nowMs`: on, and some weight still above MIN_WEIGHT. */
export function isActive(profile: AffinityProfile | null, nowMs: number): profile is AffinityProfile {
  if (!profile || !profile.enabled || profile.asOf === null) return false;
  const factor = decayFactor(Date.parse(profile.asOf), nowMs);
  return DIMENSIONS.some((dimension) => Object.values(profile[dimension]).some((weight) => weight * factor >= MIN_WEIGHT));
}

/** Share of each dimension in a product's affinity (a product's attribute part is its best value). */
export const AFFINITY_MIX = { categories: 0.5, brands: 0.3, attributes: 0.2 } as const;

/** 0..1: how much this shopper likes a product with these facts, at `nowMs`. */
export function productAffinity(profile: AffinityProfile, facts: ProductFacts, nowMs: number): number {
  if (profile.asOf === null) return 0;
  const factor = decayFactor(Date.parse(profile.asOf), nowMs);
  const category = strength((profile.categories[facts.categoryId] ?? 0) * factor);
  const brand = strength((profile.brands[facts.brandId] ?? 0) * factor);
  let attribute = 0;
  for (const value of facts.attributes) attribute = Math.max(attribute, strength((profile.attributes[value] ?? 0) * factor));
  return AFFINITY_MIX.categories * category + AFFINITY_MIX.brands * brand + AFFINITY_MIX.attributes * attribute;
}

/** Popularity prior 0..1 from a product's decayed count of paid order lines (10 → 0.5). */
export const POPULARITY_HALF = 10;
export function popularity(count: number, asOf: string | null, nowMs: number): number {
  if (asOf === null || count <= 0) return 0;
  const decayed = count * decayFactor(Date.parse(asOf), nowMs);
  return decayed / (decayed + POPULARITY_HALF);
}

/** Adds `units` to a decayed count kept relative to `asOf`. */
export function addPopularity(count: number, asOf: string | null, units: number, at: string): { count: number; asOf: string } {
  const time = Date.parse(at);
  const from = asOf === null ? time : Date.parse(asOf);
  if (time >= from) return { count: round(count * decayFactor(from, time) + units), asOf: new Date(time).toISOString() };
  return { count: round(count + units * decayFactor(time, from)), asOf: new Date(from).toISOString() };
}
