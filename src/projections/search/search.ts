import type { RecordedEvent } from '../../ports/event-store.js';
import type { KeyValue } from '../../ports/key-value.js';
import { CheckpointMoved, type ViewDocument, type ViewRebuild, type ViewStore, type ViewWrite } from '../../ports/view-store.js';
import type { ProductSearchDocument, SearchIndex, SearchIndexRebuild } from '../../ports/search-index.js';
import type { ProjectionRebuild, ProjectionTarget } from '../../kernel/projection-runner.js';
import { loadSearchDocument } from './document.js';
import { markProductsChanged } from './product-cache.js';
import { affectedBy, searchState, SEARCH_CATEGORIES, SEARCH_FRONTEND, SEARCH_PRODUCTS, type FrontendEntry } from './state.js';

export const SEARCH_PROJECTION = 'search';
/** Documents per index write when one event touches many products (a category move). */
const WRITE_CHUNK = 500;

/**
 * The search projection: one SearchIndex document per product. Documents are derived from events only,
 * through the projection's own state (./state.ts, in the ViewStore), never from the `catalog` view, so
 * they do not depend on how far another projection has got, and a rebuild gives exactly what
 * incremental updates gave (./document.ts).
 *
 * A batch runs in two steps: the state and its checkpoint (ViewStore.commit, atomic), then the documents
 * and theirs (SearchIndex.commit: documents first, then the checkpoint, idempotent rather than atomic on
 * Elasticsearch); the projection's checkpoint is the lower of the two. After a crash between or within
 * them, the replay skips the events the state already holds (positions at or below its checkpoint) and
 * writes the documents again; index writes are idempotent by revision.
 *
 * It also marks each product whose product or inventory events it applies as changed, for the
 * product-detail cache (./product-cache.ts).
 *
 * A rebuild fills a new generation of the state and a new index beside the live ones, then switches the
 * state and then the index. Between the two switches the live writer sees its index behind the new state
 * and writes its batches' documents again, as after a crash between the two commits; the index's switch
 * then moves its checkpoint back to the rebuild's, and the live writer replays from there.
 */
export function searchProjectionTarget(deps: { views: ViewStore; index: SearchIndex; kv: KeyValue }): ProjectionTarget {
  const { views, index, kv } = deps;
  let indexed = false;
  const ensureIndexes = async () => {
    if (indexed) return;
    for (const [collection, list] of Object.entries(searchState.indexes ?? {})) for (const fields of list) await views.ensureIndex(collection, fields);
    indexed = true;
  };

  const checkpoints = async () => {
    const [state, documents] = await Promise.all([views.checkpoint(SEARCH_PROJECTION), index.checkpoint(SEARCH_PROJECTION)]);
    return { state, documents };
  };

  return {
    name: SEARCH_PROJECTION,

    async checkpoint() {
      await ensureIndexes();
      const { state, documents } = await checkpoints();
      return Math.min(state, documents);
    },

    async apply(events, from) {
      const at = await checkpoints();
      const actual = Math.min(at.state, at.documents);
      if (actual !== from) throw new CheckpointMoved(SEARCH_PROJECTION, from, actual);
      const to = events[events.length - 1]!.position;
      const entries = new Entries(views);

      if (to > at.state) {
        const writes = await entries.evolve(events.filter((event) => event.position > at.state));
        await views.commit(SEARCH_PROJECTION, writes, at.state, to);
      }

      const { products, changed, viaCategories } = await affectedProducts(events, entries);
      await markProductsChanged(kv, changed);

      // A product whose entry kept its position (a stock count moved, in stock before and after) keeps its
      // document; unless the index is behind the state (a crash between the two commits): then the documents
      // of this batch's products may never have been written, whatever this batch changed in their entries.
      const indexBehind = at.documents < at.state;
      const ids = [...products].filter((id) => indexBehind || viaCategories.has(id) || !entries.keptPosition(SEARCH_PRODUCTS, id));
      for (let start = 0; ; start += WRITE_CHUNK) {
        const docs: ProductSearchDocument[] = [];
        for (const id of ids.slice(start, start + WRITE_CHUNK)) {
          const doc = await loadSearchDocument(id, entries.read);
          if (doc) docs.push(doc);
        }
        const last = start + WRITE_CHUNK >= ids.length;
        if (last && to > at.documents) {
          await index.commit(SEARCH_PROJECTION, docs, [], at.documents, to);
          break;
        }
        if (docs.length > 0) await index.upsert(docs);
        if (last) break;
      }
    },

    async reset() {
      const rebuild = await index.beginRebuild();
      await rebuild.commit({ projection: SEARCH_PROJECTION, position: 0 });
      await views.reset(SEARCH_PROJECTION, searchState.collections);
    },

    async beginRebuild() {
      await ensureIndexes();
      const state = await views.beginRebuild(SEARCH_PROJECTION, searchState.collections);
      const documents = await index.beginRebuild().catch(async (error: unknown) => {
        await state.abort();
        throw error;
      });
      return searchRebuild(state, documents);
    },
  };
}

/** The state and the index rebuilt beside the live ones (see searchProjectionTarget). */
function searchRebuild(state: ViewRebuild, documents: SearchIndexRebuild): ProjectionRebuild {
  return {
    checkpoint: () => state.checkpoint(),
    async apply(events, from) {
      const entries = new Entries(state);
      const writes = await entries.evolve(events);
      const { products, viaCategories } = await affectedProducts(events, entries);
      const ids = [...products].filter((id) => viaCategories.has(id) || !entries.keptPosition(SEARCH_PRODUCTS, id));
      for (let start = 0; start < ids.length; start += WRITE_CHUNK) {
        const docs: ProductSearchDocument[] = [];
        for (const id of ids.slice(start, start + WRITE_CHUNK)) {
          const doc = await loadSearchDocument(id, entries.read);
          if (doc) docs.push(doc);
        }
        if (docs.length > 0) await documents.upsert(docs);
      }
      await state.commit(writes, from, events[events.length - 1]!.position);
    },
    async switch() {
      const position = await state.checkpoint();
      await state.switch();
      await documents.commit({ projection: SEARCH_PROJECTION, position });
    },
    async abort() {
      await Promise.all([state.abort(), documents.abort()]);
    },
  };
}

/** The state entries one batch reads and writes, cached for the batch. */
class Entries {
  private readonly cache = new Map<string, ViewDocument | null>();
  /** Positions of the entries `evolve` changed, as they were before the batch. */
  private readonly positionsBefore = new Map<string, number>();

  constructor(private readonly views: Pick<ViewStore, 'get' | 'find'>) {}

  read = async <T extends Record<string, unknown>>(collection: string, id: string): Promise<T | null> => {
    const cacheKey = `${collection}\u0000${id}`;
    if (!this.cache.has(cacheKey)) this.cache.set(cacheKey, await this.views.get(collection, id));
    return this.cache.get(cacheKey) as T | null;
  };

  /** Whether the batch folded events into the entry without moving its position. */
  keptPosition(collection: string, id: string): boolean {
    const cacheKey = `${collection}\u0000${id}`;
    const before = this.positionsBefore.get(cacheKey);
    return before !== undefined && before === (this.cache.get(cacheKey) as { position?: number } | null | undefined)?.position;
  }

  remember(collection: string, doc: ViewDocument & { id: string }): void {
    this.cache.set(`${collection}\u0000${doc.id}`, doc);
  }

  /** Folds the events into the state; returns the entries that changed. */
  async evolve(events: RecordedEvent[]): Promise<ViewWrite[]> {
    const changed = new Map<string, ViewWrite>();
    for (const event of events) {
      for (const key of searchState.route(event)) {
        const doc = await this.read(key.collection, key.id);
        const next = searchState.evolve(doc, event, key);
        if (next === doc) continue;
        const cacheKey = `${key.collection}\u0000${key.id}`;
        if (doc && !this.positionsBefore.has(cacheKey)) this.positionsBefore.set(cacheKey, (doc as { position: number }).position);
        this.cache.set(cacheKey, next);
        changed.set(cacheKey, { collection: key.collection, id: key.id, doc: next });
      }
    }
    return [...changed.values()];
  }

  /** Every entry of a collection with `field` equal to `value`. */
  async *where<T extends ViewDocument & { id: string }>(collection: string, field: string, value: string): AsyncGenerator<T> {
    let cursor: string | null = null;
    do {
      const page: { items: T[]; nextCursor: string | null } = await this.views.find<T>(collection, { where: { [field]: value }, limit: 500, cursor });
      for (const item of page.items) {
        this.remember(collection, item);
        yield item;
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
}

/**
 * The products whose documents the batch may change, from the state after the batch: the products of
 * product and inventory events (with the position of their latest one, for the cache), and every
 * product below a moved category, a (re)mapped backend category or a moved frontend category. Each
 * document is rebuilt from the final state, so one lookup per batch finds every change.
 */
async function affectedProducts(events: RecordedEvent[], entries: Entries): Promise<{ products: Set<string>; changed: Map<string, number>; viaCategories: Set<string> }> {
  const changed = new Map<string, number>();
  const categories = new Set<string>();
  const frontends = new Set<string>();
  for (const event of events) {
    const affected = affectedBy(event);
    for (const id of affected.products) changed.set(id, Math.max(changed.get(id) ?? 0, event.position));
    for (const id of affected.categories) categories.add(id);
    for (const id of affected.frontends) frontends.add(id);
  }

  // A moved frontend category changes the products of the backend categories mapped to it and to its descendants.
  const seenFrontends = new Set<string>();
  const frontendQueue = [...frontends];
  while (frontendQueue.length > 0) {
    const id = frontendQueue.shift()!;
    if (seenFrontends.has(id)) continue;
    seenFrontends.add(id);
    const frontend = await entries.read<FrontendEntry>(SEARCH_FRONTEND, id);
    for (const backendId of frontend?.backendIds ?? []) categories.add(backendId);
    for await (const child of entries.where<FrontendEntry>(SEARCH_FRONTEND, 'parentId', id)) frontendQueue.push(child.id);
  }

  const products = new Set(changed.keys());
  const viaCategories = new Set<string>();
  const seenCategories = new Set<string>();
  const categoryQueue = [...categories];
  while (categoryQueue.length > 0) {
    const id = categoryQueue.shift()!;
    if (seenCategories.has(id)) continue;
    seenCategories.add(id);
    for await (const product of entries.where(SEARCH_PRODUCTS, 'categoryId', id)) {
      products.add(product.id);
      viaCategories.add(product.id);
    }
    for await (const child of entries.where(SEARCH_CATEGORIES, 'parentId', id)) categoryQueue.push(child.id);
  }
  return { products, changed, viaCategories };
}
