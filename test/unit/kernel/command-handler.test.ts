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
});
