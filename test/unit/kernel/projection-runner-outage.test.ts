import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectionRunner } from '../../../src/kernel/projection-runner.js';
import { viewProjectionTarget, type ViewProjection } from '../../../src/kernel/view-projection.js';
import { EngineUnavailableError } from '../../../src/kernel/errors.js';
import type { ViewStore } from '../../../src/ports/view-store.js';
import { sqliteEventStore } from '../../../src/adapters/eventstore/sqlite.js';
import { sqliteViewStore } from '../../../src/adapters/viewstore/sqlite.js';

/** The projection runner across an engine outage: it keeps trying until the engine is back. */

const counter: ViewProjection = {
  name: 'counter',
  collections: ['totals'],
  route: () => [{ collection: 'totals', id: 'all' }],
  evolve: (doc) => ({ count: ((doc?.count as number | undefined) ?? 0) + 1 }),
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('ProjectionRunner during an engine outage', () => {
  it('keeps resubscribing while reading its checkpoint fails, and applies every event once when the engine is back', async () => {
    const store = sqliteEventStore(new Database(':memory:'));
    const views = sqliteViewStore(new Database(':memory:'));
    for (let i = 0; i < 40; i++) await store.append(`s-${i % 3}`, [{ type: 'N', data: {} }], 'any');
    // The engine goes away at the first commit and stays away for the next 4 checkpoint reads: before, the
    // runner tried once more after retryDelayMs and gave up for good when that attempt failed too.
    let down = false;
    let failedReads = 0;
    const outage: ViewStore = {
      ...views,
      async checkpoint(projection) {
        if (down && failedReads++ < 4) throw new EngineUnavailableError('test');
        if (failedReads >= 4) down = false;
        return views.checkpoint(projection);
      },
      async commit(...args) {
        if (!down && failedReads === 0) {
          down = true;
          throw new EngineUnavailableError('test');
        }
        return views.commit(...args);
      },
    };
    const errors: unknown[] = [];
    const runner = new ProjectionRunner(store, [viewProjectionTarget(counter, outage)], { batchSize: 10, retryDelayMs: 5, onError: (_, error) => errors.push(error) });
    cleanups.push(() => runner.stop());
    await runner.run('counter');
    expect(await runner.waitFor(await store.headPosition(), 5000)).toBe(true);
    expect(await views.get('totals', 'all')).toEqual({ count: 40 });
    expect(errors.length).toBe(5); // the commit, then each failed checkpoint read
    expect(errors.every((error) => error instanceof EngineUnavailableError)).toBe(true);
    const [status] = await runner.status();
    expect(status?.error).toBeUndefined();
  });

  it('stops retrying once released or stopped', async () => {
    const store = sqliteEventStore(new Database(':memory:'));
    const views = sqliteViewStore(new Database(':memory:'));
    await store.append('s', [{ type: 'N', data: {} }], 'any');
    let reads = 0;
    let started = false;
    const away: ViewStore = {
      ...views,
      async checkpoint(projection) {
        if (started) {
          reads++;
          throw new EngineUnavailableError('test');
        }
        return views.checkpoint(projection);
      },
      async commit() {
        started = true;
        throw new EngineUnavailableError('test');
      },
    };
    const runner = new ProjectionRunner(store, [viewProjectionTarget(counter, away)], { retryDelayMs: 5, onError: () => undefined });
    await runner.run('counter');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(reads).toBeGreaterThan(1);
    await runner.release('counter');
    const afterRelease = reads;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(reads).toBeLessThanOrEqual(afterRelease + 1); // at most an attempt already scheduled
    await runner.stop();
  });
});
