import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointMoved, type FindQuery, type ViewDocument, type ViewStore } from '../../src/ports/view-store.js';
import { InvalidCursor, encodeCursor } from '../../src/kernel/cursor.js';
import { viewStoreAdapters } from './engines.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteViewStore } from '../../src/adapters/viewstore/sqlite.js';

for (const adapter of viewStoreAdapters()) {
  describe.skipIf(!adapter.available)(`ViewStore contract: ${adapter.name}`, () => {
    let views: ViewStore;
    let dispose: () => Promise<void>;
    const name = (prefix: string) => `${prefix}_${Math.random().toString(36).slice(2, 10)}`;

    beforeAll(async () => {
      ({ store: views, dispose } = await adapter.create());
    });
    afterAll(async () => dispose?.());

    /** Writes the documents under a fresh projection; returns its name. */
    async function seed(collection: string, docs: Array<{ id: string; doc: ViewDocument }>): Promise<string> {
      const projection = name('seed');
      await views.commit(
        projection,
        docs.map(({ id, doc }) => ({ collection, id, doc })),
        0,
        1,
      );
      return projection;
    }

    /** Follows nextCursor to the end; returns every page. */
    async function allPages<T extends ViewDocument>(collection: string, query: FindQuery): Promise<T[][]> {
      const pages: T[][] = [];
      let cursor: string | null = null;
      do {
        const page: { items: T[]; nextCursor: string | null } = await views.find<T>(collection, { ...query, cursor });
        pages.push(page.items);
        cursor = page.nextCursor;
        expect(pages.length).toBeLessThan(100);
      } while (cursor);
      return pages;
    }

    it('answers ping', async () => {
      await expect(views.ping()).resolves.toBeUndefined();
    });

    it('writes, replaces and deletes documents through commit, moving the checkpoint', async () => {
      const projection = name('p');
      const orders = name('orders');
      expect(await views.checkpoint(projection)).toBe(0);
      expect(await views.get(orders, 'o-1')).toBeNull();

      const doc = { id: 'o-1', status: 'paid', total: { amount: 1250, currency: 'EUR' }, lines: [{ sku: 'a', qty: 2 }], note: null };
      await views.commit(projection, [{ collection: orders, id: 'o-1', doc }], 0, 10);
      expect(await views.get(orders, 'o-1')).toEqual(doc);
      expect(await views.checkpoint(projection)).toBe(10);

      await views.commit(projection, [{ collection: orders, id: 'o-1', doc: { id: 'o-1', status: 'shipped' } }], 10, 12);
      expect(await views.get(orders, 'o-1')).toEqual({ id: 'o-1', status: 'shipped' });

      await views.commit(projection, [{ collection: orders, id: 'o-1', doc: null }], 12, 15);
      expect(await views.get(orders, 'o-1')).toBeNull();
      expect(await views.checkpoint(projection)).toBe(15);

      // Deleting what does not exist, and a commit with no writes, still move the checkpoint.
      await views.commit(projection, [{ collection: orders, id: 'never', doc: null }], 15, 16);
      await views.commit(projection, [], 16, 20);
      expect(await views.checkpoint(projection)).toBe(20);
    });

    it('applies the writes of one commit in order, across collections', async () => {
      const projection = name('p');
      const a = name('a');
      const b = name('b');
      await views.commit(
        projection,
        [
          { collection: a, id: 'x', doc: { v: 1 } },
          { collection: b, id: 'x', doc: { v: 'b' } },
          { collection: a, id: 'x', doc: { v: 2 } },
          { collection: a, id: 'y', doc: { v: 3 } },
          { collection: a, id: 'y', doc: null },
        ],
        0,
        5,
      );
      expect(await views.get(a, 'x')).toEqual({ v: 2 });
      expect(await views.get(a, 'y')).toBeNull();
      expect(await views.get(b, 'x')).toEqual({ v: 'b' });
    });

    it('throws CheckpointMoved and writes nothing when the checkpoint is not where the writer started', async () => {
      const projection = name('p');
      const c = name('c');
      await views.commit(projection, [{ collection: c, id: 'kept', doc: { v: 1 } }], 0, 5);

      const stale = views.commit(
        projection,
        [
          { collection: c, id: 'kept', doc: { v: 2 } },
          { collection: c, id: 'new', doc: { v: 3 } },
        ],
        3,
        8,
      );
      await expect(stale).rejects.toBeInstanceOf(CheckpointMoved);
      await expect(stale).rejects.toMatchObject({ projection, expected: 3, actual: 5 });
      // From 0 (the first commit of a projection) while another writer has already stored one.
      await expect(views.commit(projection, [{ collection: c, id: 'new', doc: { v: 4 } }], 0, 8)).rejects.toMatchObject({
        expected: 0,
        actual: 5,
      });
      expect(await views.get(c, 'kept')).toEqual({ v: 1 });
      expect(await views.get(c, 'new')).toBeNull();
      expect(await views.checkpoint(projection)).toBe(5);

      // A projection that never committed is at 0.
      await expect(views.commit(name('fresh'), [{ collection: c, id: 'new', doc: { v: 5 } }], 7, 8)).rejects.toMatchObject({
        expected: 7,
        actual: 0,
      });
      expect(await views.get(c, 'new')).toBeNull();
    });

    it('keeps concurrent commits of different projections independent: a stale one fails alone', async () => {
      const c = name('c');
      const projections = Array.from({ length: 4 }, () => name('side'));
      await views.commit(projections[2]!, [], 0, 3);
      const attempts = await Promise.allSettled(
        projections.map((projection, n) => views.commit(projection, [{ collection: c, id: `d${n}`, doc: { n } }], 0, 10)),
      );
      expect(attempts.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect((attempts[2] as PromiseRejectedResult).reason).toBeInstanceOf(CheckpointMoved);
      expect(await Promise.all(projections.map((projection) => views.checkpoint(projection)))).toEqual([10, 10, 3, 10]);
      const { items } = await views.find(c, { orderBy: { field: 'n', direction: 'asc' } });
      expect(items).toEqual([{ n: 0 }, { n: 1 }, { n: 3 }]);
    });

    it('lets exactly one of several concurrent commits from the same checkpoint win', async () => {
      for (const from of [0, 4]) {
        const projection = name('race');
        const c = name('c');
        if (from > 0) await views.commit(projection, [], 0, from);
        const attempts = await Promise.allSettled(
          Array.from({ length: 5 }, (_, n) => views.commit(projection, [{ collection: c, id: `w${n}`, doc: { n } }], from, from + 1 + n)),
        );
        const won = attempts.findIndex((a) => a.status === 'fulfilled');
        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
        expect(attempts.every((a) => a.status === 'fulfilled' || a.reason instanceof CheckpointMoved)).toBe(true);
        expect(await views.checkpoint(projection)).toBe(from + 1 + won);
        const { items } = await views.find(c);
        expect(items).toEqual([{ n: won }]);
      }
    });

    describe('find', () => {
      const people = `people_${Math.random().toString(36).slice(2, 10)}`;
      const docs: Array<{ id: string; doc: ViewDocument }> = [
        { id: 'p1', doc: { name: 'Ada', age: 36, admin: true, city: 'London', address: { country: 'GB', zip: 'N1' } } },
        { id: 'p2', doc: { name: 'Alan', age: 41, admin: false, city: 'London', address: { country: 'GB', zip: 'M1' } } },
        { id: 'p3', doc: { name: 'Grace', age: 85, admin: true, city: null, address: { country: 'US', zip: '10001' } } },
        { id: 'p4', doc: { name: 'Edsger', age: 72, admin: false, address: { country: 'NL' } } },
        { id: 'p5', doc: { name: 'Barbara', age: 36, admin: false, city: 'Boston', address: { country: 'US', zip: '02139' } } },
      ];
      const ids = (items: ViewDocument[]) => items.map((item) => item.name);

      beforeAll(async () => {
        await seed(people, docs);
      });

      it('returns everything by id when given no query', async () => {
        const { items, nextCursor } = await views.find(people);
        expect(ids(items)).toEqual(['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara']);
        expect(nextCursor).toBeNull();
        expect((await views.find(name('empty'))).items).toEqual([]);
      });

      it('filters by equality on strings, numbers, booleans, null and dotted fields', async () => {
        expect(ids((await views.find(people, { where: { city: 'London' } })).items)).toEqual(['Ada', 'Alan']);
        expect(ids((await views.find(people, { where: { age: 36 } })).items)).toEqual(['Ada', 'Barbara']);
        expect(ids((await views.find(people, { where: { admin: true } })).items)).toEqual(['Ada', 'Grace']);
        expect(ids((await views.find(people, { where: { admin: false } })).items)).toEqual(['Alan', 'Edsger', 'Barbara']);
        // null matches an explicit null and a missing field alike.
        expect(ids((await views.find(people, { where: { city: null } })).items)).toEqual(['Grace', 'Edsger']);
        expect(ids((await views.find(people, { where: { 'address.country': 'US' } })).items)).toEqual(['Grace', 'Barbara']);
        expect(ids((await views.find(people, { where: { 'address.zip': null } })).items)).toEqual(['Edsger']);
        expect(ids((await views.find(people, { where: { city: 'London', admin: false } })).items)).toEqual(['Alan']);
        expect(ids((await views.find(people, { where: { age: '36' } })).items)).toEqual([]);
        expect(ids((await views.find(people, { where: { name: 'ada' } })).items)).toEqual([]);
      });

      it('filters by text a field contains (ASCII case ignored, any of several fields), with the other conditions and pages', async () => {
        const products = name('products');
        await seed(products, [
          { id: 'a1', doc: { title: 'Huawei Mate 60 手机', brand: { name: 'HUAWEI' }, status: 'listed' } },
          { id: 'a2', doc: { title: 'iPhone 15 保护壳', brand: { name: 'Apple' }, status: 'draft' } },
          { id: 'a3', doc: { title: '华为 手机壳 50%_off (mate)', brand: { name: 'Generic' }, status: 'listed' } },
          { id: 'a4', doc: { title: 'Émile chair', brand: { name: 'mate.co' }, status: 'listed' } },
          { id: 'a5', doc: { title: 'Mate stand', brand: { name: 'X' }, status: 'delisted', count: 5 } },
        ]);
        const titles = async (query: FindQuery) => (await allPages<{ title: string }>(products, query)).flat().map((doc) => doc.title);
        const contains = (text: string, fields = ['title']) => ({ contains: { fields, text } });
        expect(await titles(contains('MATE'))).toEqual(['Huawei Mate 60 手机', '华为 手机壳 50%_off (mate)', 'Mate stand']);
        expect(await titles(contains('手机'))).toEqual(['Huawei Mate 60 手机', '华为 手机壳 50%_off (mate)']);
        expect(await titles(contains('mate', ['title', 'brand.name']))).toEqual(['Huawei Mate 60 手机', '华为 手机壳 50%_off (mate)', 'Émile chair', 'Mate stand']);
        expect(await titles({ ...contains('mate'), where: { status: 'listed' } })).toEqual(['Huawei Mate 60 手机', '华为 手机壳 50%_off (mate)']);
        expect(await titles({ ...contains('a', ['title', 'brand.name']), limit: 1 })).toEqual(['Huawei Mate 60 手机', 'iPhone 15 保护壳', '华为 手机壳 50%_off (mate)', 'Émile chair', 'Mate stand']);
        // Taken literally: no wildcard or pattern characters; only ASCII letters fold.
        expect(await titles(contains('%_off (M'))).toEqual(['华为 手机壳 50%_off (mate)']);
        expect(await titles(contains('50_'))).toEqual([]);
        expect(await titles(contains('.'))).toEqual([]);
        expect(await titles(contains('.co', ['brand.name']))).toEqual(['Émile chair']);
        expect(await titles(contains('émile'))).toEqual([]);
        expect(await titles(contains('Émile'))).toEqual(['Émile chair']);
        expect(await titles(contains('', ['title']))).toHaveLength(5);
        expect(await titles(contains('nothing like it'))).toEqual([]);
      });

      it('sorts by a field, ties broken by id, both directions', async () => {
        const asc = await views.find(people, { orderBy: { field: 'age', direction: 'asc' } });
        expect(ids(asc.items)).toEqual(['Ada', 'Barbara', 'Alan', 'Edsger', 'Grace']);
        const desc = await views.find(people, { orderBy: { field: 'age', direction: 'desc' } });
        expect(ids(desc.items)).toEqual(['Grace', 'Edsger', 'Alan', 'Barbara', 'Ada']);
        const byName = await views.find(people, { where: { admin: false }, orderBy: { field: 'name', direction: 'asc' } });
        expect(ids(byName.items)).toEqual(['Alan', 'Barbara', 'Edsger']);
      });

      it('rejects a cursor it did not issue with InvalidCursor', async () => {
        await expect(views.find(people, { cursor: 'not a cursor' })).rejects.toBeInstanceOf(InvalidCursor);
        await expect(views.find(people, { cursor: encodeCursor([1]).replace(/.$/, '!') })).rejects.toBeInstanceOf(InvalidCursor);
        const notAnArray = Buffer.from(JSON.stringify({ id: 'p1' })).toString('base64url');
        await expect(views.find(people, { cursor: notAnArray })).rejects.toBeInstanceOf(InvalidCursor);
        await expect(views.find(people, { cursor: encodeCursor([36, 42]), orderBy: { field: 'age', direction: 'asc' } })).rejects.toBeInstanceOf(
          InvalidCursor,
        );
      });

      it('rejects valid base64url JSON cursors of the wrong shape or types with InvalidCursor, sorted or not', async () => {
        const crafted = ['[{"a":1},"x"]', '[[1],"x"]', '["x",{"a":1}]', '[1,""]', '[1,"x","y"]', '[1e400,"x"]'].map((json) => Buffer.from(json).toString('base64url'));
        for (const cursor of crafted) {
          await expect(views.find(people, { cursor }), cursor).rejects.toBeInstanceOf(InvalidCursor);
          await expect(views.find(people, { cursor, orderBy: { field: 'age', direction: 'desc' } }), cursor).rejects.toBeInstanceOf(InvalidCursor);
        }
        // A boolean sort key is a scalar both engines compare.
        await expect(views.find(people, { cursor: encodeCursor([true, 'Ada']), orderBy: { field: 'admin', direction: 'asc' } })).resolves.toBeDefined();
      });

      it('refuses field names that are not plain (dotted) identifiers', async () => {
        await expect(views.find(people, { where: { '$where': 'true' } as never })).rejects.toThrow();
        await expect(views.find(people, { orderBy: { field: "age') --", direction: 'asc' } })).rejects.toThrow();
      });
    });

    describe('pagination', () => {
      const items = `items_${Math.random().toString(36).slice(2, 10)}`;
      // 23 documents, ids out of insertion order, sort keys with many ties.
      const docs = Array.from({ length: 23 }, (_, n) => {
        const id = `i${String((n * 7) % 23).padStart(2, '0')}`;
        return { id, doc: { id, rank: n % 4, group: n % 2 === 0 ? 'even' : 'odd', label: `L${n % 3}` } };
      });
      type Item = { id: string; rank: number; group: string; label: string };
      const expected = (filter: (d: Item) => boolean, key: keyof Item, direction: 'asc' | 'desc') => {
        const sign = direction === 'asc' ? 1 : -1;
        return docs
          .map((d) => d.doc as Item)
          .filter(filter)
          .sort((a, b) => sign * (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .map((d) => d.id);
      };

      beforeAll(async () => {
        await seed(items, docs);
      });

      for (const direction of ['asc', 'desc'] as const) {
        it(`pages through ties ${direction} with every document exactly once, in order`, async () => {
          for (const limit of [1, 4, 5, 22, 23, 50]) {
            const pages = await allPages<Item>(items, { orderBy: { field: 'rank', direction }, limit });
            expect(pages.slice(0, -1).every((page) => page.length === limit)).toBe(true);
            expect(pages.flat().map((d) => d.id)).toEqual(expected(() => true, 'rank', direction));
          }
          const strings = await allPages<Item>(items, { orderBy: { field: 'label', direction }, limit: 4 });
          expect(strings.flat().map((d) => d.id)).toEqual(expected(() => true, 'label', direction));
        });

        it(`pages ${direction} within a filter`, async () => {
          const pages = await allPages<Item>(items, { where: { group: 'odd' }, orderBy: { field: 'rank', direction }, limit: 3 });
          expect(pages.flat().map((d) => d.id)).toEqual(expected((d) => d.group === 'odd', 'rank', direction));
        });
      }

      it('pages over null and missing sort values, which sort first', async () => {
        const c = name('nullable');
        const nullable = Array.from({ length: 12 }, (_, n) => {
          const id = `n${String(n).padStart(2, '0')}`;
          return { id, doc: n % 3 === 0 ? { id } : { id, paidAt: n % 2 ? null : `2024-01-${String(n).padStart(2, '0')}` } };
        });
        await seed(c, nullable);
        const key = (d: ViewDocument) => (d.paidAt ?? null) as string | null;
        for (const direction of ['asc', 'desc'] as const) {
          const sign = direction === 'asc' ? 1 : -1;
          const order = nullable
            .map((d) => d.doc)
            .sort((a, b) => {
              const [x, y] = [key(a), key(b)];
              const byKey = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
              return sign * (byKey || ((a.id as string) < (b.id as string) ? -1 : 1));
            })
            .map((d) => d.id);
          for (const limit of [1, 2, 5]) {
            const pages = await allPages(c, { orderBy: { field: 'paidAt', direction }, limit });
            expect(pages.flat().map((d) => d.id)).toEqual(order);
          }
        }
      });

      it('pages by id when no order is given', async () => {
        const pages = await allPages<Item>(items, { limit: 6 });
        expect(pages.map((page) => page.length)).toEqual([6, 6, 6, 5]);
        expect(pages.flat().map((d) => d.id)).toEqual(docs.map((d) => d.id).sort());
      });

      it('returns no cursor on the last page', async () => {
        const page = await views.find(items, { limit: 23 });
        expect(page.items).toHaveLength(23);
        expect(page.nextCursor).toBeNull();
      });
    });

    it('reset deletes the named collections and sets the checkpoint to 0', async () => {
      const projection = name('p');
      const a = name('a');
      const b = name('b');
      const other = name('other');
      await views.commit(
        projection,
        [
          { collection: a, id: '1', doc: { v: 1 } },
          { collection: a, id: '2', doc: { v: 2 } },
          { collection: b, id: '1', doc: { v: 3 } },
          { collection: other, id: '1', doc: { v: 4 } },
        ],
        0,
        42,
      );
      await views.reset(projection, [a, b]);
      expect(await views.checkpoint(projection)).toBe(0);
      expect((await views.find(a)).items).toEqual([]);
      expect((await views.find(b)).items).toEqual([]);
      expect(await views.get(other, '1')).toEqual({ v: 4 });
      // A rebuild starts again from 0.
      await views.commit(projection, [{ collection: a, id: '1', doc: { v: 5 } }], 0, 3);
      expect(await views.get(a, '1')).toEqual({ v: 5 });
      // Resetting a projection that never ran is fine too.
      await views.reset(name('never'), [name('none')]);
    });

    describe('blue-green rebuilds', () => {
      const ids = (page: { items: ViewDocument[] }) => page.items.map((item) => item.id).sort();

      it('reads the old generation until the switch, then the new one', async () => {
        const projection = name('bg');
        const orders = name('orders');
        await views.ensureIndex(orders, ['status', 'placedAt']);
        await views.commit(
          projection,
          [
            { collection: orders, id: 'o1', doc: { id: 'o1', status: 'old', placedAt: 1 } },
            { collection: orders, id: 'o2', doc: { id: 'o2', status: 'old', placedAt: 2 } },
          ],
          0,
          5,
        );
        const rebuild = await views.beginRebuild(projection, [orders]);
        expect(await rebuild.checkpoint()).toBe(0);
        expect(await rebuild.get(orders, 'o1')).toBeNull();
        await rebuild.commit([{ collection: orders, id: 'o1', doc: { id: 'o1', status: 'new', placedAt: 1 } }], 0, 4);
        await rebuild.commit([{ collection: orders, id: 'o3', doc: { id: 'o3', status: 'new', placedAt: 3 } }], 4, 6);
        expect(await rebuild.checkpoint()).toBe(6);
        expect(ids(await rebuild.find(orders, { where: { status: 'new' }, orderBy: { field: 'placedAt', direction: 'desc' } }))).toEqual(['o1', 'o3']);

        // Until the switch, queries and the projection's checkpoint are the old generation's.
        expect(await views.get(orders, 'o1')).toMatchObject({ status: 'old' });
        expect(ids(await views.find(orders, { where: { status: 'old' }, orderBy: { field: 'placedAt', direction: 'asc' } }))).toEqual(['o1', 'o2']);
        expect(await views.checkpoint(projection)).toBe(5);

        await rebuild.switch();
        expect(await views.get(orders, 'o1')).toMatchObject({ status: 'new' });
        expect(await views.get(orders, 'o2')).toBeNull();
        expect(ids(await views.find(orders))).toEqual(['o1', 'o3']);
        expect(ids(await views.find(orders, { where: { status: 'new' }, orderBy: { field: 'placedAt', direction: 'asc' } }))).toEqual(['o1', 'o3']);
        expect(await views.checkpoint(projection)).toBe(6);

        // The projection goes on from the rebuilt checkpoint, in the new generation; a later rebuild works the same.
        await views.commit(projection, [{ collection: orders, id: 'o4', doc: { id: 'o4', status: 'new', placedAt: 4 } }], 6, 7);
        expect(ids(await views.find(orders))).toEqual(['o1', 'o3', 'o4']);
        const again = await views.beginRebuild(projection, [orders]);
        await again.commit([{ collection: orders, id: 'o5', doc: { id: 'o5', status: 'newer', placedAt: 5 } }], 0, 7);
        expect(ids(await views.find(orders))).toEqual(['o1', 'o3', 'o4']);
        await again.switch();
        expect(ids(await views.find(orders))).toEqual(['o5']);
        expect(await views.checkpoint(projection)).toBe(7);
      });

      it('refuses the commit of a writer that read the checkpoint before the switch, even at the same position', async () => {
        const projection = name('bg');
        const c = name('c');
        await views.commit(projection, [{ collection: c, id: 'x', doc: { v: 'old' } }], 0, 5);
        expect(await views.checkpoint(projection)).toBe(5); // the live writer reads its checkpoint…
        const rebuild = await views.beginRebuild(projection, [c]);
        await rebuild.commit([{ collection: c, id: 'x', doc: { v: 'new' } }], 0, 5);
        await rebuild.switch();
        // …and what it computed from the old generation is not written into the new one.
        await expect(views.commit(projection, [{ collection: c, id: 'x', doc: { v: 'stale' } }], 5, 6)).rejects.toBeInstanceOf(CheckpointMoved);
        expect(await views.get(c, 'x')).toEqual({ v: 'new' });
        expect(await views.checkpoint(projection)).toBe(5);
        await views.commit(projection, [{ collection: c, id: 'y', doc: { v: 'next' } }], 5, 6);
        expect(await views.get(c, 'y')).toEqual({ v: 'next' });
      });

      it('leaves the live generation serving when a rebuild is interrupted or aborted; a new rebuild starts from scratch', async () => {
        const projection = name('bg');
        const c = name('c');
        await views.commit(projection, [{ collection: c, id: 'x', doc: { v: 'live' } }], 0, 3);
        const interrupted = await views.beginRebuild(projection, [c]);
        await interrupted.commit([{ collection: c, id: 'half', doc: { v: 1 } }], 0, 2);
        // (the rebuilding process dies here) …and the rebuild is started again:
        const restarted = await views.beginRebuild(projection, [c]);
        expect(await restarted.checkpoint()).toBe(0);
        expect(await restarted.get(c, 'half')).toBeNull();
        await expect(interrupted.commit([], 2, 3)).rejects.toBeInstanceOf(CheckpointMoved);
        await expect(interrupted.switch()).rejects.toBeInstanceOf(CheckpointMoved);
        expect(await views.get(c, 'x')).toEqual({ v: 'live' });
        await restarted.commit([{ collection: c, id: 'y', doc: { v: 'rebuilt' } }], 0, 3);
        await restarted.abort();
        expect((await views.find(c)).items).toEqual([{ v: 'live' }]);
        expect(await views.get(c, 'y')).toBeNull();
        expect(await views.checkpoint(projection)).toBe(3);
        await views.commit(projection, [{ collection: c, id: 'z', doc: { v: 'live' } }], 3, 4);
        expect(await views.get(c, 'z')).toEqual({ v: 'live' });
      });
    });

    it('ensureIndex is idempotent and leaves queries working', async () => {
      const c = name('indexed');
      await seed(c, [
        { id: 'a', doc: { status: 'paid', placedAt: '2024-01-02', buyer: { id: 'u1' } } },
        { id: 'b', doc: { status: 'paid', placedAt: '2024-01-01', buyer: { id: 'u2' } } },
      ]);
      await views.ensureIndex(c, ['status', 'placedAt']);
      await views.ensureIndex(c, ['status', 'placedAt']);
      await views.ensureIndex(c, ['buyer.id']);
      await views.ensureIndex(name('not_yet_written'), ['status']);
      const { items } = await views.find(c, { where: { status: 'paid' }, orderBy: { field: 'placedAt', direction: 'asc' } });
      expect(items.map((item) => item.placedAt)).toEqual(['2024-01-01', '2024-01-02']);
      expect((await views.find(c, { where: { 'buyer.id': 'u2' } })).items).toHaveLength(1);
    });
  });
}

describe('ViewStore sqlite adapter: a rebuild seen from another connection', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bazaar-views-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the old generation to the other connection until the switch, then the new one, and drops the old', async () => {
    const file = join(dir, 'views.db');
    const rebuilder = sqliteViewStore(new Database(file), { dropGraceMs: 10 });
    const server = sqliteViewStore(new Database(file));
    await server.ensureIndex('orders', ['status']);
    await server.commit('orders', [{ collection: 'orders', id: 'o1', doc: { id: 'o1', status: 'old' } }], 0, 4);
    expect(await server.checkpoint('orders')).toBe(4); // the server's writer reads its checkpoint

    const rebuild = await rebuilder.beginRebuild('orders', ['orders']);
    await rebuild.commit([{ collection: 'orders', id: 'o2', doc: { id: 'o2', status: 'new' } }], 0, 4);
    expect((await server.find('orders', { where: { status: 'old' } })).items).toEqual([{ id: 'o1', status: 'old' }]);
    await rebuild.switch();
    expect((await server.find('orders', { where: { status: 'new' } })).items).toEqual([{ id: 'o2', status: 'new' }]);
    expect(await server.get('orders', 'o1')).toBeNull();
    await expect(server.commit('orders', [], 4, 5)).rejects.toBeInstanceOf(CheckpointMoved);
    expect(await server.checkpoint('orders')).toBe(4);
    await server.commit('orders', [{ collection: 'orders', id: 'o3', doc: { id: 'o3', status: 'new' } }], 4, 5);
    expect((await rebuilder.find('orders')).items.map((doc) => doc.id)).toEqual(['o2', 'o3']);

    // The old generation's rows and indexes are gone.
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare("SELECT collection, count(*) AS n FROM documents GROUP BY collection").all()).toEqual([{ collection: 'orders~g1', n: 2 }]);
    const indexes = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'pidx_orders%'").pluck().all();
    expect(indexes).toEqual(['pidx_orders_g1_status']);
    raw.close();
    await server.close();
    await rebuilder.close();
  });
});
