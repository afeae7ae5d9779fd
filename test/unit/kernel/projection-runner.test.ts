import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectionRunner } from '../../../src/kernel/projection-runner.js';
import { viewProjectionTarget, type ViewProjection } from '../../../src/kernel/view-projection.js';
import type { EventStore } from '../../../src/ports/event-store.js';
import type { ViewStore } from '../../../src/ports/view-store.js';
import { sqliteEventStore } from '../../../src/adapters/eventstore/sqlite.js';
import { sqliteViewStore } from '../../../src/adapters/viewstore/sqlite.js';

/** Counts events per stream and in total; a double-applied event would show. */
const tally: ViewProjection = {
  name: 'tally',
  collections: ['per_stream', 'totals'],
  route: (event) => [
    { collection: 'per_stream', id: event.streamId },
    { collection: 'totals', id: 'all' },
  ],
  evolve: (doc, event) => ({
    count: ((doc?.count as number | undefined) ?? 0) + 1,
    sum: ((doc?.sum as number | undefined) ?? 0) + (event.data as { n: number }).n,
    lastPosition: event.position,
  }),
};

async function digest(views: ViewStore): Promise<string> {
  const hash = createHash('sha256');
  for (const collection of tally.collections) {
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<ViewStore['find']>> = await views.find(collection, { limit: 100, cursor });
      hash.update(JSON.stringify(page.items));
      cursor = page.nextCursor;
    } while (cursor);
  }
  return hash.digest('hex');
}

async function appendMany(store: EventStore, count: number, offset = 0) {
  for (let i = 0; i < count; i++) await store.append(`s-${(i + offset) % 7}`, [{ type: 'N', data: { n: i + offset } }], 'any');
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function setup() {
  const store = sqliteEventStore(new Database(':memory:'));
  const views = sqliteViewStore(new Database(':memory:'));
  const runner = new ProjectionRunner(store, [viewProjectionTarget(tally, views)], { batchSize: 50, retryDelayMs: 10 });
  cleanups.push(() => runner.stop());
  return { store, views, runner };
}

describe('ProjectionRunner', () => {
  it('applies every event once, incrementally, and a rebuild gives the identical read model', async () => {
    const { store, views, runner } = setup();
    await appendMany(store, 120);
    await runner.start();
    await appendMany(store, 80, 120);
    expect(await runner.waitFor(await store.headPosition(), 5000)).toBe(true);
    expect(await views.get('totals', 'all')).toMatchObject({ count: 200, sum: (199 * 200) / 2 });
    const incremental = await digest(views);

    await runner.rebuild('tally');
    expect(await digest(views)).toBe(incremental);
  });

  it('writes documents and checkpoint atomically: a failure mid-commit leaves neither, and the retry applies once', async () => {
    const { store, views } = setup();
    await appendMany(store, 30);
    let failures = 1;
    const flaky: ViewStore = {
      ...views,
      async commit(projection, writes, from, to) {
        if (failures-- > 0) {
          // A write that fails inside the transaction, after the first documents were written.
          const poisoned = { get bad(): never { throw new Error('disk full'); } };
          return views.commit(projection, [...writes, { collection: 'totals', id: 'poison', doc: poisoned }], from, to);
        }
        return views.commit(projection, writes, from, to);
      },
    };
    const runner = new ProjectionRunner(store, [viewProjectionTarget(tally, flaky)], { retryDelayMs: 10, onError: () => undefined });
    cleanups.push(() => runner.stop());
    await runner.start();
    expect(await runner.waitFor(await store.headPosition(), 5000)).toBe(true);
    expect(await views.get('totals', 'all')).toMatchObject({ count: 30 });
    expect(await views.get('totals', 'poison')).toBeNull();
  });

  it('resumes from its checkpoint after a crash: the restarted runner equals a full rebuild', async () => {
    const { store, views } = setup();
    await appendMany(store, 100);
    let batches = 0;
    const crashing: ViewStore = {
      ...views,
      async commit(...args) {
        if (++batches > 2) throw new Error('process killed');
        return views.commit(...args);
      },
    };
    const first = new ProjectionRunner(store, [viewProjectionTarget(tally, crashing)], { batchSize: 10, retryDelayMs: 60_000, onError: () => undefined });
    await first.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.stop();
    expect(await views.checkpoint('tally')).toBeLessThan(await store.headPosition());

    const restarted = new ProjectionRunner(store, [viewProjectionTarget(tally, views)], { batchSize: 10 });
    cleanups.push(() => restarted.stop());
    await restarted.start();
    expect(await restarted.waitFor(await store.headPosition(), 5000)).toBe(true);
    const resumed = await digest(views);
    await restarted.rebuild('tally');
    expect(await digest(views)).toBe(resumed);
    expect(await views.get('totals', 'all')).toMatchObject({ count: 100 });
  });

  it('two runners on one read model (two processes) never apply an event twice', async () => {
    const { store, views } = setup();
    const runners = [0, 1].map(() => new ProjectionRunner(store, [viewProjectionTarget(tally, views)], { batchSize: 5, retryDelayMs: 5 }));
    for (const runner of runners) cleanups.push(() => runner.stop());
    await Promise.all(runners.map((runner) => runner.start()));
    await appendMany(store, 150);
    const head = await store.headPosition();
    await Promise.all(runners.map((runner) => runner.waitFor(head, 10_000)));
    expect(await views.get('totals', 'all')).toMatchObject({ count: 150, lastPosition: head });
  });

  it('reports what it applies (onApplied), and a runner that does not run a projection follows it (follow)', async () => {
    const { store, views, runner } = setup();
    const reported: Array<[string, number]> = [];
    runner.onApplied((name, checkpoint) => reported.push([name, checkpoint]));
    await runner.start();
    await appendMany(store, 10);
    const head = await store.headPosition();
    expect(await runner.waitFor(head, 5000)).toBe(true);
    expect(reported.at(-1)).toEqual(['tally', head]);

    // another thread's runner over the same read model, not running the projection: it waits until told
    const follower = new ProjectionRunner(store, [viewProjectionTarget(tally, views)]);
    const waiting = follower.waitFor(head, 5000);
    follower.follow('tally', head - 1);
    expect(follower.checkpoint('tally')).toBe(head - 1);
    follower.follow('tally', head);
    expect(await waiting).toBe(true);
    follower.follow('tally', head - 5); // never backwards
    expect(follower.checkpoint('tally')).toBe(head);
  });

  it('waitFor answers true once applied and false when it cannot catch up in time; status shows lag', async () => {
    const { store, runner } = setup();
    await runner.start();
    const { position } = await store.append('s-x', [{ type: 'N', data: { n: 1 } }], 'no_stream');
    expect(await runner.waitFor(position, 2000)).toBe(true);
    await runner.stop();
    const later = await store.append('s-x', [{ type: 'N', data: { n: 2 } }], 0);
    expect(await runner.waitFor(later.position, 50)).toBe(false);
    const [status] = await runner.status();
    expect(status).toMatchObject({ name: 'tally', lag: 1, rebuilding: false });
    expect(status!.lagSeconds).toBeGreaterThanOrEqual(0);
  });

  it('status counts lag in events, not positions, on an engine whose positions are sparse', async () => {
    const { store, views } = setup();
    const sparse: EventStore = { ...store, countEvents: undefined, headPosition: async () => (await store.headPosition()) * 4096, readAll: async (options = {}) => (await store.readAll({ ...options, after: Math.floor((options.after ?? 0) / 4096) })).map((event) => ({ ...event, position: event.position * 4096 })) };
    const runner = new ProjectionRunner(sparse, [viewProjectionTarget(tally, views)]);
    await appendMany(store, 3);
    const [status] = await runner.status();
    expect(status).toMatchObject({ checkpoint: 0, lag: 3 });
    expect(status!.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(status!.lagSeconds).toBeLessThan(60);
  });
});
