import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CommandHandler } from '../../../src/kernel/command-handler.js';
import type { Decider } from '../../../src/kernel/decider.js';
import { ConcurrencyError, InvalidStateTransition, VersionConflict } from '../../../src/kernel/errors.js';
import type { EventStore } from '../../../src/ports/event-store.js';
import { sqliteEventStore } from '../../../src/adapters/eventstore/sqlite.js';

type CounterEvent = { type: 'Added'; data: { by: number } };
type CounterCommand = { type: 'Add'; by: number } | { type: 'SetTo'; value: number };
const counter: Decider<CounterCommand, CounterEvent, { total: number }> = {
  initialState: () => ({ total: 0 }),
  evolve: (state, event) => ({ total: state.total + event.data.by }),
  decide: (command, state) => {
    if (command.type === 'Add') {
      if (command.by <= 0) throw new InvalidStateTransition(String(state.total), 'add nothing');
      return [{ type: 'Added', data: { by: command.by } }];
    }
    return command.value === state.total ? [] : [{ type: 'Added', data: { by: command.value - state.total } }];
  },
};

const newStore = () => sqliteEventStore(new Database(':memory:'));

/** Wraps a store, counting events handed out by readStream. */
function counting(store: EventStore) {
  const stats = { eventsRead: 0 };
  const wrapped: EventStore = {
    ...store,
    async readStream(streamId, options) {
      const events = await store.readStream(streamId, options);
      stats.eventsRead += events.length;
      return events;
    },
  };
  return { store: wrapped, stats };
}

describe('CommandHandler', () => {
  it('prepares a stream named by a new id without reading it; an existing one fails its append and is left whole', async () => {
    const inner = newStore();
    let reads = 0;
    const store: EventStore = { ...inner, readStream: async (...args) => (reads++, inner.readStream(...args)) };
    const handler = new CommandHandler(store, counter);

    const fresh = await handler.prepare('counter-new', { type: 'Add', by: 2 }, { assumeNew: true });
    expect(reads).toBe(0);
    expect(fresh.append.expected).toBe('no_stream');
    const [appended] = await store.appendAll([fresh.append]);
    expect(fresh.committed(appended!).state).toEqual({ total: 2 });

    await store.append('counter-old', [{ type: 'Added', data: { by: 5 } }], 'no_stream');
    const wrong = await handler.prepare('counter-old', { type: 'Add', by: 1 }, { assumeNew: true });
    await expect(store.appendAll([wrong.append])).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await inner.readStream('counter-old')).map((event) => event.data)).toEqual([{ by: 5 }]);
    expect((await handler.load('counter-old')).state).toEqual({ total: 5 });
  });

  it('creates a stream with no_stream, then appends at the revision it read', async () => {
    const handler = new CommandHandler(newStore(), counter);
    const first = await handler.handle('c-1', { type: 'Add', by: 2 });
    const second = await handler.handle('c-1', { type: 'Add', by: 3 });
    expect([first.revision, second.revision]).toEqual([0, 1]);
    expect(second.state.total).toBe(5);
    expect(second.position).toBeGreaterThan(first.position);
  });

  it('appends nothing when the outcome already holds, and answers the current position', async () => {
    const store = newStore();
    const handler = new CommandHandler(store, counter);
    const done = await handler.handle('c-1', { type: 'SetTo', value: 7 });
    const again = await handler.handle('c-1', { type: 'SetTo', value: 7 });
    expect(again.events).toEqual([]);
    expect(again.position).toBe(done.position);
    expect(await store.readStream('c-1')).toHaveLength(1);
  });

  it('appends nothing when the decider refuses', async () => {
    const store = newStore();
    const handler = new CommandHandler(store, counter);
    await expect(handler.handle('c-1', { type: 'Add', by: 0 })).rejects.toBeInstanceOf(InvalidStateTransition);
    expect(await store.headPosition()).toBe(0);
  });

  it('retries on a concurrent append and decides again on the newer state', async () => {
    const store = newStore();
    let interfered = false;
    const racing: EventStore = {
      ...store,
      async append(streamId, events, expected) {
        if (!interfered) {
          interfered = true;
          await store.append(streamId, [{ type: 'Added', data: { by: 100 } }], 'any');
        }
        return store.append(streamId, events, expected);
      },
    };
    const handler = new CommandHandler(racing, counter);
    const result = await handler.handle('c-1', { type: 'SetTo', value: 10 });
    expect(result.state.total).toBe(10);
    expect((await store.readStream('c-1')).map((e) => (e.data as { by: number }).by)).toEqual([100, -90]);
  });

  it('gives up after the bounded number of attempts', async () => {
    const store = newStore();
    let attempts = 0;
    const alwaysConflicting: EventStore = {
      ...store,
      async append(streamId) {
        attempts += 1;
        throw new ConcurrencyError(streamId, 'x', 'y');
      },
    };
    const handler = new CommandHandler(alwaysConflicting, counter);
    await expect(handler.handle('c-1', { type: 'Add', by: 1 }, { maxAttempts: 3 })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(attempts).toBe(3);
  });

  it('drops a cached state that is ahead of the store (an append reported that never committed) and decides on the stored one', async () => {
    const store = newStore();
    let lie = true;
    const lyingOnce: EventStore = {
      ...store,
      async append(streamId, events, expected) {
        if (!lie) return store.append(streamId, events, expected);
        lie = false;
        return { nextRevision: 0, position: 1 }; // "written", but nothing was
      },
    };
    const handler = new CommandHandler(lyingOnce, counter);
    expect((await handler.handle('c-1', { type: 'Add', by: 1 })).state.total).toBe(1);
    const result = await handler.handle('c-1', { type: 'Add', by: 2 }, { maxAttempts: 3 });
    expect(result.state.total).toBe(2);
    expect((await store.readStream('c-1')).map((e) => (e.data as { by: number }).by)).toEqual([2]);
  });

  it('refuses a stale expected revision (If-Match) without appending', async () => {
    const store = newStore();
    const handler = new CommandHandler(store, counter);
    await handler.handle('c-1', { type: 'Add', by: 1 });
    await handler.handle('c-1', { type: 'Add', by: 1 });
    await expect(handler.handle('c-1', { type: 'Add', by: 1 }, { expectedRevision: 0 })).rejects.toBeInstanceOf(VersionConflict);
    await handler.handle('c-1', { type: 'Add', by: 1 }, { expectedRevision: 1 });
    expect(await store.readStream('c-1')).toHaveLength(3);
  });

  it('lets exactly the expected number of concurrent commands through (no lost updates)', async () => {
    const store = newStore();
    const handlers = [new CommandHandler(store, counter), new CommandHandler(store, counter)];
    await Promise.all(Array.from({ length: 40 }, (_, i) => handlers[i % 2]!.handle('c-1', { type: 'Add', by: 1 }, { maxAttempts: 100 })));
    expect((await handlers[0]!.load('c-1')).state.total).toBe(40);
  });

  it('reads only the events newer than its cache: cost does not grow with the stream', async () => {
    const base = newStore();
    await base.append('long', Array.from({ length: 5000 }, () => ({ type: 'Added', data: { by: 1 } })), 'no_stream');
    const { store, stats } = counting(base);
    const handler = new CommandHandler(store, counter);
    await handler.handle('long', { type: 'Add', by: 1 });
    expect(stats.eventsRead).toBe(5000);
    stats.eventsRead = 0;
    for (let i = 0; i < 10; i++) await handler.handle('long', { type: 'Add', by: 1 });
    expect(stats.eventsRead).toBe(0);
    await base.append('long', [{ type: 'Added', data: { by: 1 } }], 'any'); // another process writes
    const result = await handler.handle('long', { type: 'Add', by: 1 });
    expect(stats.eventsRead).toBe(1);
    expect(result.state.total).toBe(5013);
  });

  describe('handleBatch', () => {
    /** A decider whose evolve extends its state in place, as the inventory's does. */
    type SetState = { members: Record<string, true>; count: number };
    type Join = { type: 'Join'; name: string; limit: number };
    const club: Decider<Join, { type: 'Joined'; data: { name: string } }, SetState> = {
      initialState: () => ({ members: {}, count: 0 }),
      evolve: (state, event) => {
        state.members[event.data.name] = true;
        return { members: state.members, count: state.count + 1 };
      },
      decide: (command, state) => {
        if (state.members[command.name]) return [];
        if (state.count >= command.limit) throw new InvalidStateTransition(String(state.count), 'join a full club');
        return [{ type: 'Joined', data: { name: command.name } }];
      },
    };
    const fork = (state: SetState): SetState => ({ members: { ...state.members }, count: state.count });

    it('decides each command on the state the earlier ones left and appends them all at once', async () => {
      const store = newStore();
      let appends = 0;
      const handler = new CommandHandler({ ...store, append: (...args) => (appends++, store.append(...args)) }, club);
      const names = ['ann', 'bob', 'ann', 'cy', 'dee'];
      const outcomes = await handler.handleBatch('club-1', names.map((name) => ({ command: { type: 'Join', name, limit: 3 }, metadata: { correlationId: name } })), { fork });
      expect(appends).toBe(1);
      expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true, true, false]);
      expect(outcomes.map((outcome) => (outcome.ok ? outcome.result.events.length : -1))).toEqual([1, 1, 0, 1, -1]);
      expect(outcomes.map((outcome) => (outcome.ok ? outcome.result.revision : null))).toEqual([0, 1, -1, 2, null]);
      expect((outcomes[4] as { error: unknown }).error).toBeInstanceOf(InvalidStateTransition);
      const events = await store.readStream('club-1');
      expect(events.map((event) => [(event.data as { name: string }).name, event.metadata.correlationId])).toEqual([['ann', 'ann'], ['bob', 'bob'], ['cy', 'cy']]);
      expect((await handler.load('club-1')).state.count).toBe(3);
    });

    it('on a conflict, decides the whole batch again on the newer state; the cached state never saw the lost attempt', async () => {
      const store = newStore();
      const handler = new CommandHandler(store, club);
      const rival = new CommandHandler(store, club);
      await handler.handle('club-1', { type: 'Join', name: 'ann', limit: 3 });
      let raced = false;
      const racing = new CommandHandler(
        {
          ...store,
          async readStream(streamId, options) {
            const events = await store.readStream(streamId, options);
            if (!raced) {
              raced = true;
              await rival.handle('club-1', { type: 'Join', name: 'zed', limit: 3 });
            }
            return events;
          },
        },
        club,
      );
      const outcomes = await racing.handleBatch('club-1', ['bob', 'cy'].map((name) => ({ command: { type: 'Join', name, limit: 3 } })), { fork });
      expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false]);
      const { state } = await racing.load('club-1');
      expect(state.count).toBe(3);
      expect(Object.keys(state.members).sort()).toEqual(['ann', 'bob', 'zed']);
    });
  });
});
