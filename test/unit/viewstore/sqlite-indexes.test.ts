import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { sqliteViewStore } from '../../../src/adapters/viewstore/sqlite.js';

describe('SQLite ViewStore indexes', () => {
  it('indexes a collection with a partial index that its finds use and other collections never maintain', async () => {
    const db = new Database(':memory:');
    const views = sqliteViewStore(db);
    // An index from an earlier version (over every row of the table) is replaced.
    db.exec(`CREATE INDEX idx_orders_userId_createdAt ON documents (collection, json_extract(doc, '$.userId'), json_extract(doc, '$.createdAt'), id)`);
    await views.ensureIndex('orders', ['userId', 'createdAt']);
    const indexes = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE '%idx_%'`).all() as Array<{ name: string; sql: string }>;
    expect(indexes.map((index) => index.name)).toEqual(['pidx_orders_userId_createdAt']);
    expect(indexes[0]!.sql).toContain(`WHERE collection = 'orders'`);

    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT id FROM documents WHERE collection = 'orders' AND json_extract(doc, '$.userId') = ? ORDER BY json_extract(doc, '$.createdAt') DESC, id DESC LIMIT 5`)
      .all('u1') as Array<{ detail: string }>;
    expect(plan.map((step) => step.detail).join(' ')).toContain('pidx_orders_userId_createdAt');

    await views.commit('p', [{ collection: 'orders', id: 'o1', doc: { userId: 'u1', createdAt: '2026-01' } }, { collection: 'carts', id: 'c1', doc: { userId: 'u1' } }], 0, 1);
    const entries = db.prepare(`SELECT count(*) AS n FROM documents INDEXED BY pidx_orders_userId_createdAt WHERE collection = 'orders' AND json_extract(doc, '$.userId') = 'u1'`).get() as { n: number };
    expect(entries.n).toBe(1);
    expect((await views.find('orders', { where: { userId: 'u1' }, orderBy: { field: 'createdAt', direction: 'desc' } })).items).toEqual([{ userId: 'u1', createdAt: '2026-01' }]);
  });

  it('finds through the declared index, not the primary key and a sort of the whole collection', async () => {
    const db = new Database(':memory:');
    const prepared: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => (prepared.push(sql), prepare(sql))) as typeof db.prepare;
    const views = sqliteViewStore(db);
    await views.ensureIndex('order_holds', ['expiresAt']);
    await views.ensureIndex('orders', ['status', 'expiresAt']);
    const holds = Array.from({ length: 50 }, (_, n) => ({ collection: 'order_holds', id: `h${n}`, doc: { id: `h${n}`, expiresAt: `2026-01-01T00:00:${String(59 - n).padStart(2, '0')}Z` } }));
    await views.commit('p', holds, 0, 1);

    const first = await views.find<{ id: string }>('order_holds', { orderBy: { field: 'expiresAt', direction: 'asc' }, limit: 3 });
    const second = await views.find<{ id: string }>('order_holds', { orderBy: { field: 'expiresAt', direction: 'asc' }, limit: 3, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((hold) => hold.id)).toEqual(['h49', 'h48', 'h47', 'h46', 'h45', 'h44']);
    await views.find('orders', { where: { status: 'pending_payment' }, orderBy: { field: 'expiresAt', direction: 'asc' }, limit: 3 });

    const finds = prepared.filter((sql) => sql.startsWith('SELECT id, doc'));
    expect(finds.length).toBe(3);
    for (const sql of finds) {
      const plan = (prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 'x')) as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
      expect(plan).toMatch(/USING INDEX pidx_/);
      expect(plan).not.toContain('TEMP B-TREE');
    }
  });
});
