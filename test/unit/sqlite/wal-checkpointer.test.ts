import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startWalCheckpointer } from '../../../src/adapters/sqlite/wal-checkpointer.js';

describe('the WAL checkpointer', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('copies what the writer committed into the database file from its own thread, and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bazaar-wal-'));
    dirs.push(dir);
    const file = join(dir, 'events.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    db.transaction(() => {
      for (let n = 0; n < 2000; n++) insert.run('x'.repeat(2000));
    })();
    const before = statSync(file).size;
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(4_000_000);

    const checkpointer = startWalCheckpointer([file], 20);
    const deadline = Date.now() + 5000;
    while (statSync(file).size <= 4_000_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(before).toBeLessThan(100_000);
    expect(statSync(file).size).toBeGreaterThan(4_000_000);
    await checkpointer.stop();
    expect((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(2000);
    db.close();
  });
});
