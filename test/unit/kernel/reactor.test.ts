import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectionRunner } from '../../../src/kernel/projection-runner.js';
import { reactorTarget, type Reactor } from '../../../src/kernel/reactor.js';
import type { ViewStore } from '../../../src/ports/view-store.js';
import { sqliteEventStore } from '../../../src/adapters/eventstore/sqlite.js';
import { sqliteViewStore } from '../../../src/adapters/viewstore/sqlite.js';

const runners: ProjectionRunner[] = [];
afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.stop();
});

describe('reactorTarget', () => {
  it('reacts to the events it handles, at least once, resuming after its checkpoint', async () => {
    const store = sqliteEventStore(new Database(':memory:'));
    const views = sqliteViewStore(new Database(':memory:'));
    const seen: number[] = [];
    const reactor: Reactor = {
      name: 'echo',
      handles: (event) => event.type === 'Ping',
      async react(event) {
        seen.push((event.data as { n: number }).n);
        // the effect is an idempotent command keyed by the cause
        await store.append(`pong-${(event.data as { n: number }).n}`, [{ type: 'Pong', data: {} }], 'any');
      },
    };
    for (let n = 1; n <= 5; n++) await store.append('pings', [{ type: n % 2 ? 'Ping' : 'Other', data: { n } }], 'any');

    let failNext = true;
    const flakyViews: ViewStore = {
      ...views,
      async commit(...args) {
        if (failNext) {
          failNext = false; // the process dies after reacting, before its checkpoint moved
          throw new Error('crash');
        }
        return views.commit(...args);
      },
    };
    const runner = new ProjectionRunner(store, [reactorTarget(reactor, flakyViews)], { retryDelayMs: 5, onError: () => undefined });
    runners.push(runner);
    await runner.start();
    expect(await runner.waitFor(await store.headPosition(), 5000)).toBe(true);
    // Replayed once after the crash: at least once, so each Ping was reacted to once or twice.
    expect([...new Set(seen)].sort()).toEqual([1, 3, 5]);
    expect(seen.length).toBe(6);
    const pongs = (await store.readAll()).filter((event) => event.type === 'Pong').map((event) => event.streamId);
    expect(new Set(pongs)).toEqual(new Set(['pong-1', 'pong-3', 'pong-5']));
    const before = seen.length;
    await store.append('pings', [{ type: 'Ping', data: { n: 7 } }], 'any');
    expect(await runner.waitFor(await store.headPosition(), 5000)).toBe(true);
    expect(seen.slice(before)).toEqual([7]);
  });

  it('is paced: appends made while it rests come in one batch, and read-your-writes does not wait for it', async () => {
    const store = sqliteEventStore(new Database(':memory:'));
    const views = sqliteViewStore(new Database(':memory:'));
    const batches: number[][] = [];
    let pending: number[] = [];
    const reactor: Reactor = {
      name: 'tally',
      handles: (event) => event.type === 'Ping',
      async react(event) {
        pending.push((event.data as { n: number }).n);
      },
    };
    const target = reactorTarget(reactor, views);
    const counted = {
      ...target,
      async apply(events: Parameters<typeof target.apply>[0], from: number) {
        await target.apply(events, from);
        batches.push(pending);
        pending = [];
      },
    };
    const runner = new ProjectionRunner(store, [counted], { reactorPaceMs: 200 });
    runners.push(runner);
    await runner.start();
    await store.append('pings', [{ type: 'Ping', data: { n: 1 } }], 'any');
    await runner.waitFor(await store.headPosition(), 5000, ['tally']);
    for (let n = 2; n <= 6; n++) {
      await store.append('pings', [{ type: 'Ping', data: { n } }], 'any');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const head = await store.headPosition();
    // The read models are caught up (there are none) while the reactor still rests…
    expect(runner.readModelNames).toEqual([]);
    expect(await runner.waitFor(head, 0, runner.readModelNames)).toBe(true);
    expect(runner.checkpoint('tally')).toBeLessThan(head);
    // …and once it wakes, the five appends arrive together.
    expect(await runner.waitFor(head, 5000, ['tally'])).toBe(true);
    expect(batches).toEqual([[1], [2, 3, 4, 5, 6]]);
  });
});
