import type { RecordedEvent } from '../../ports/event-store.js';
import type { ViewDocument, ViewStore, ViewWrite } from '../../ports/view-store.js';
import type { ProjectionRebuild, ProjectionTarget } from '../../kernel/projection-runner.js';
import type { ProductEvent } from '../../domain/catalog/product.js';
import type { OrderEvent } from '../../domain/orders/order.js';
import {
  addPopularity,
  addSignal,
  applyChoice,
  attributeKey,
  emptyProfile,
  SHOPPER_STREAM_PREFIX,
  SIGNAL_EVENT_KINDS,
  type AffinityProfile,
  type ProductFacts,
  type ShopperEvent,
  type SignalKind,
} from '../../domain/personalization/profile.js';

/** Per-user affinity profiles (docs/search-and-listing.md, Personalization). */
export const SHOPPER_PROFILES = 'shopper_profiles';
/** Per product: the facts ranking uses (leaf category, brand, attribute values) and its popularity. */
export const SHOPPER_PRODUCTS = 'shopper_products';
/** Orders placed and not yet paid or cancelled: a purchase counts once paid. */
export const SHOPPER_ORDERS = 'shopper_orders';
export const PERSONALIZATION_PROJECTION = 'personalization';
export const PERSONALIZATION_COLLECTIONS = [SHOPPER_PROFILES, SHOPPER_PRODUCTS, SHOPPER_ORDERS];
const COLLECTIONS = PERSONALIZATION_COLLECTIONS;

export type ProfileDoc = AffinityProfile & { [key: string]: unknown; id: string; updatedAt: string; position: number };
export type ProductFactsDoc = ProductFacts & { [key: string]: unknown; id: string; popularity: number; popularityAsOf: string | null };
type OrderLinesDoc = { [key: string]: unknown; id: string; userId: string; lines: Array<{ productId: string; quantity: number }> };

type Read = (collection: string, id: string) => Promise<ViewDocument | null>;

/**
 * The `personalization` projection. Unlike a ViewProjection it reads other documents of its own while
 * folding (a paid order's products' facts, a signal's product), so it is a ProjectionTarget of its own:
 * the facts are folded from product events in log order, never read from the catalog view, so a rebuild
 * equals the incremental result.
 */
export function personalizationProjectionTarget(views: ViewStore): ProjectionTarget {
  return {
    name: PERSONALIZATION_PROJECTION,
    checkpoint: () => views.checkpoint(PERSONALIZATION_PROJECTION),
    apply: (events, from) => applyEvents(events, (collection, id) => views.get(collection, id), (writes, to) => views.commit(PERSONALIZATION_PROJECTION, writes, from, to)),
    reset: () => views.reset(PERSONALIZATION_PROJECTION, COLLECTIONS),
    async beginRebuild(): Promise<ProjectionRebuild> {
      const rebuild = await views.beginRebuild(PERSONALIZATION_PROJECTION, COLLECTIONS);
      return {
        checkpoint: () => rebuild.checkpoint(),
        apply: (events, from) => applyEvents(events, (collection, id) => rebuild.get(collection, id), (writes, to) => rebuild.commit(writes, from, to)),
        switch: () => rebuild.switch(),
        abort: () => rebuild.abort(),
      };
    },
  };
}

/** Folds a batch with each document read at most once, then commits the changed ones with the checkpoint. */
export async function applyEvents(events: RecordedEvent[], read: Read, commit: (writes: ViewWrite[], to: number) => Promise<void>): Promise<void> {
  const docs = new Map<string, { collection: string; id: string; doc: ViewDocument | null; changed: boolean }>();
  const entry = async (collection: string, id: string) => {
    const key = `${collection}\u0000${id}`;
    let found = docs.get(key);
    if (!found) docs.set(key, (found = { collection, id, doc: await read(collection, id), changed: false }));
    return found;
  };
  const context: FoldContext = {
    get: async (collection, id) => (await entry(collection, id)).doc,
    set: async (collection, id, doc) => {
      const found = await entry(collection, id);
      found.doc = doc;
      found.changed = true;
    },
  };
  for (const event of events) await fold(context, event);
  const writes = [...docs.values()].filter((doc) => doc.changed).map(({ collection, id, doc }) => ({ collection, id, doc }));
  await commit(writes, events[events.length - 1]!.position);
}

export interface FoldContext {
  get(collection: string, id: string): Promise<ViewDocument | null>;
  set(collection: string, id: string, doc: ViewDocument | null): Promise<void>;
}

/** One event into the documents it changes. */
export async function fold(context: FoldContext, event: RecordedEvent): Promise<void> {
  if (event.streamId.startsWith('product-')) return foldProduct(context, event as unknown as ProductEvent & RecordedEvent);
  if (event.streamId.startsWith('order-')) return foldOrder(context, event as unknown as OrderEvent & RecordedEvent);
  if (event.streamId.startsWith(SHOPPER_STREAM_PREFIX)) return foldShopper(context, event as unknown as ShopperEvent & RecordedEvent);
}

export function factsOf(data: { category: { id: string }; brand: { id: string }; keyAttributes?: Record<string, string>; generalAttributes?: Record<string, string> }): ProductFacts {
  const attributes = Object.entries({ ...data.keyAttributes, ...data.generalAttributes }).map(([name, value]) => attributeKey(name, value));
  return { categoryId: data.category.id, brandId: data.brand.id, attributes };
}

async function foldProduct(context: FoldContext, event: ProductEvent & RecordedEvent): Promise<void> {
  if (event.type === 'ProductCreated') {
    const doc: ProductFactsDoc = { id: event.data.productId, ...factsOf(event.data), popularity: 0, popularityAsOf: null };
    await context.set(SHOPPER_PRODUCTS, doc.id, doc);
  } else if (event.type === 'ProductInfoEdited' && event.data.changes.generalAttributes) {
    // Key attributes are fixed at creation; general ones can be edited.
    const doc = (await context.get(SHOPPER_PRODUCTS, event.data.productId)) as ProductFactsDoc | null;
    if (!doc) return;
    const general = Object.entries(event.data.changes.generalAttributes).map(([name, value]) => attributeKey(name, value));
    const names = new Set(Object.keys(event.data.changes.generalAttributes));
    const keep = doc.attributes.filter((value) => !names.has(value.slice(0, value.indexOf('='))));
    await context.set(SHOPPER_PRODUCTS, doc.id, { ...doc, attributes: [...new Set([...keep, ...general])] });
  }
}

async function foldOrder(context: FoldContext, event: OrderEvent & RecordedEvent): Promise<void> {
  switch (event.type) {
    case 'OrderPlaced': {
      const doc: OrderLinesDoc = { id: event.data.orderId, userId: event.data.userId, lines: event.data.items.map((item) => ({ productId: item.productId, quantity: item.quantity })) };
      return context.set(SHOPPER_ORDERS, doc.id, doc);
    }
    case 'OrderCancelled':
      return context.set(SHOPPER_ORDERS, event.data.orderId, null);
    case 'OrderPaid': {
      const order = (await context.get(SHOPPER_ORDERS, event.data.orderId)) as OrderLinesDoc | null;
      if (!order) return;
      for (const line of order.lines) {
        const facts = (await context.get(SHOPPER_PRODUCTS, line.productId)) as ProductFactsDoc | null;
        if (!facts) continue;
        await signal(context, order.userId, facts, 'purchase', event.data.at, event.position);
        const popular = addPopularity(facts.popularity, facts.popularityAsOf, line.quantity, event.data.at);
        await context.set(SHOPPER_PRODUCTS, facts.id, { ...(await context.get(SHOPPER_PRODUCTS, facts.id)), popularity: popular.count, popularityAsOf: popular.asOf });
      }
      return context.set(SHOPPER_ORDERS, event.data.orderId, null);
    }
    default:
      return;
  }
}

async function foldShopper(context: FoldContext, event: ShopperEvent & RecordedEvent): Promise<void> {
  const { userId, at } = event.data;
  const kind = SIGNAL_EVENT_KINDS[event.type];
  if (kind) {
    const facts = (await context.get(SHOPPER_PRODUCTS, (event.data as { productId: string }).productId)) as ProductFactsDoc | null;
    if (facts) await signal(context, userId, facts, kind, at, event.position);
    return;
  }
  if (event.type === 'PersonalizationCleared' || event.type === 'PersonalizationDisabled' || event.type === 'PersonalizationEnabled') {
    const profile = ((await context.get(SHOPPER_PROFILES, userId)) as ProfileDoc | null) ?? emptyProfile(userId);
    await context.set(SHOPPER_PROFILES, userId, toDoc(applyChoice(profile, event.type, at), at, event.position));
  }
}

async function signal(context: FoldContext, userId: string, facts: ProductFacts, kind: SignalKind, at: string, position: number): Promise<void> {
  const profile = ((await context.get(SHOPPER_PROFILES, userId)) as ProfileDoc | null) ?? emptyProfile(userId);
  if (!profile.enabled) return;
  await context.set(SHOPPER_PROFILES, userId, toDoc(addSignal(profile, facts, kind, at), at, position));
}

function toDoc(profile: AffinityProfile, at: string, position: number): ProfileDoc {
  const { userId, enabled, asOf, categories, brands, attributes, signals, clearedAt } = profile;
  return { id: userId, userId, enabled, asOf, categories, brands, attributes, signals, clearedAt, updatedAt: at, position };
}
