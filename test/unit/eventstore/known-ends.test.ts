import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteEventStore } from '../../../src/adapters/eventstore/sqlite.js';
import { CommandHandler } from '../../../src/kernel/command-handler.js';
import type { Decider } from '../../../src/kernel/decider.js';
import { ConcurrencyError } from '../../../src/kernel/errors.js';

/** A connection that counts the stream reads that reach SQLite. */
function countedDatabase(file: string) {
  const db = new Database(file);
  const counts = { streamQueries: 0 };
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    if (!source.startsWith('SELECT * FROM events WHERE stream_id')) return statement;
    const all = statement.all.bind(statement);
    statement.all = ((...args: unknown[]) => (counts.streamQueries++, all(...args))) as typeof statement.all;
    return statement;
  }) as typeof db.prepare;
  return { db, counts };
}

const added = (by: number) => ({ type: 'Added', data: { by } });
const counter: Decider<{ type: 'Add'; by: number }, { type: 'Added'; data: { by: number } }, { total: number }> = {
  initialState: () => ({ total: 0 }),
  evolve: (state, event) => ({ total: state.total + event.data.by }),
  decide: (command) => [{ type: 'Added', data: { by: command.by } }],
};

describe('stream ends known to a SQLite connection', () => {
  const dirs: string[] = [];
  const tempFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'bazaar-ends-'));
    dirs.push(dir);
    return join(dir, 'events.db');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('answers a read past the end it wrote or read without a query, and still reads what lies before it', async () => {
    const { db, counts } = countedDatabase(tempFile());
    const store = sqliteEventStore(db);
    await store.append('counter-1', [added(1), added(2)], 'no_stream');
    expect(await store.readStream('counter-1', { fromRevision: 2 })).toEqual([]);
    expect(counts.streamQueries).toBe(0);
    expect((await store.readStream('counter-1')).map((event) => event.revision)).toEqual([0, 1]);
    expect(counts.streamQueries).toBe(1);

    expect(await store.readStream('counter-2')).toEqual([]); // a stream not there: learnt as empty
    expect(await store.readStream('counter-2')).toEqual([]);
    expect(counts.streamQueries).toBe(2);
    await store.append('counter-2', [added(5)], 'no_stream');
    expect((await store.readStream('counter-2')).map((event) => event.data)).toEqual([{ by: 5 }]);
    await store.close();
  });

  it("sees another connection's append once an append conflicts, or within the poll interval", async () => {
    const file = tempFile();
    const here = sqliteEventStore(new Database(file), { pollIntervalMs: 20 });
    const elsewhere = sqliteEventStore(new Database(file));
    await here.append('counter-1', [added(1)], 'no_stream');
    await elsewhere.append('counter-1', [added(10)], 0);

    // A command decided on the stale end fails its append, and the next read goes to the file.
    await expect(here.append('counter-1', [added(2)], 0)).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await here.readStream('counter-1', { fromRevision: 1 })).map((event) => event.data)).toEqual([{ by: 10 }]);

    await elsewhere.append('counter-1', [added(100)], 1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await here.readStream('counter-1', { fromRevision: 2 })).map((event) => event.data)).toEqual([{ by: 100 }]);
    await here.close();
    await elsewhere.close();
  });

  it("keeps what it knows across another connection's WAL checkpoints, which append nothing", async () => {
    const file = tempFile();
    const { db, counts } = countedDatabase(file);
    const store = sqliteEventStore(db, { pollIntervalMs: 10 });
    const checkpointer = new Database(file);
    await store.append('counter-1', [added(1)], 'no_stream');
    for (let round = 0; round < 5; round++) {
      await store.append('counter-1', [added(round)], round);
      checkpointer.pragma('wal_checkpoint(PASSIVE)');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await store.readStream('counter-1', { fromRevision: 6 })).toEqual([]);
    expect(counts.streamQueries).toBe(0);
    checkpointer.close();
    await store.close();
  });

  it('lets a command handler over a stale end retry on the newer state', async () => {
    const file = tempFile();
    const here = new CommandHandler(sqliteEventStore(new Database(file), { pollIntervalMs: 60_000 }), counter);
    const elsewhere = new CommandHandler(sqliteEventStore(new Database(file)), counter);
    await here.handle('counter-1', { type: 'Add', by: 1 });
    await elsewhere.handle('counter-1', { type: 'Add', by: 10 });
    const result = await here.handle('counter-1', { type: 'Add', by: 100 });
    expect(result.state.total).toBe(111);
    expect(result.revision).toBe(2);
  });
});
