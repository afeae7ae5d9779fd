import type { RecordedEvent } from '../ports/event-store.js';
import type { ViewDocument, ViewStore, ViewWrite } from '../ports/view-store.js';
import type { ProjectionRebuild, ProjectionTarget } from './projection-runner.js';

export interface DocumentKey {
  collection: string;
  id: string;
}

/**
 * A projection into ViewStore documents: `route` names the documents an event touches and the pure
 * `evolve` computes each one's next version (null deletes it). Time comes from the event, never the clock,
 * so a rebuild gives exactly what incremental updates gave.
 */
export interface ViewProjection {
  name: string;
  collections: string[];
  /** Fields queries filter or sort on, per collection. */
  indexes?: Record<string, string[][]>;
  route(event: RecordedEvent): DocumentKey[];
  evolve(doc: ViewDocument | null, event: RecordedEvent, key: DocumentKey): ViewDocument | null;
}

export function viewProjectionTarget(projection: ViewProjection, views: ViewStore): ProjectionTarget {
  let indexed = false;
  const ensureIndexes = async () => {
    if (indexed) return;
    for (const [collection, indexes] of Object.entries(projection.indexes ?? {})) {
      for (const fields of indexes) await views.ensureIndex(collection, fields);
    }
    indexed = true;
  };

  return {
    name: projection.name,
    async checkpoint() {
      await ensureIndexes();
      return views.checkpoint(projection.name);
    },
    apply: (events, from) => applyEvents(projection, events, (collection, id) => views.get(collection, id), (writes, to) => views.commit(projection.name, writes, from, to)),
    reset: () => views.reset(projection.name, projection.collections),
    async beginRebuild(): Promise<ProjectionRebuild> {
      await ensureIndexes(); // declared before the new generation copies them
      const rebuild = await views.beginRebuild(projection.name, projection.collections);
      return {
        checkpoint: () => rebuild.checkpoint(),
        apply: (events, from) => applyEvents(projection, events, (collection, id) => rebuild.get(collection, id), (writes, to) => rebuild.commit(writes, from, to)),
        switch: () => rebuild.switch(),
        abort: () => rebuild.abort(),
      };
    },
  };
}

/** Folds the events into the documents they route to (read once per batch) and commits the changed ones. */
async function applyEvents(
  projection: ViewProjection,
  events: RecordedEvent[],
  read: (collection: string, id: string) => Promise<ViewDocument | null>,
  commit: (writes: ViewWrite[], to: number) => Promise<void>,
): Promise<void> {
  const docs = new Map<string, { key: DocumentKey; doc: ViewDocument | null; changed: boolean }>();
  for (const event of events) {
    for (const key of projection.route(event)) {
      const cacheKey = `${key.collection}\u0000${key.id}`;
      let entry = docs.get(cacheKey);
      if (!entry) {
        entry = { key, doc: await read(key.collection, key.id), changed: false };
        docs.set(cacheKey, entry);
      }
      const next = projection.evolve(entry.doc, event, key);
      if (next !== entry.doc) {
        entry.doc = next;
        entry.changed = true;
      }
    }
  }
  const writes: ViewWrite[] = [...docs.values()]
    .filter((entry) => entry.changed)
    .map((entry) => ({ collection: entry.key.collection, id: entry.key.id, doc: entry.doc }));
  await commit(writes, events[events.length - 1]!.position);
}
