import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore, RecordedEvent } from '../../src/ports/event-store.js';
import { ConcurrencyError } from '../../src/kernel/errors.js';
import { eventStoreAdapters } from './engines.js';

for (const adapter of eventStoreAdapters()) {
  describe.skipIf(!adapter.available)(`EventStore contract: ${adapter.name}`, () => {
    let store: EventStore;
    let dispose: () => Promise<void>;
    const stream = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;
    const event = (n: number) => ({ type: 'Tested', data: { n } });

    beforeAll(async () => {
      ({ store, dispose } = await adapter.create());
    });
    afterAll(async () => dispose?.());

    it('appends to a new stream with no_stream and returns revision and position', async () => {
      const id = stream('s');
      const result = await store.append(id, [event(1), event(2)], 'no_stream');
      expect(result.nextRevision).toBe(1);
      expect(result.position).toBeGreaterThan(0);
      const read = await store.readStream(id);
      expect(read.map((e) => [e.revision, e.type, e.data])).toEqual([
        [0, 'Tested', { n: 1 }],
        [1, 'Tested', { n: 2 }],
      ]);
      expect(read[1]!.position).toBe(result.position);
    });

    it('refuses no_stream on an existing stream', async () => {
      const id = stream('s');
      await store.append(id, [event(1)], 'no_stream');
      await expect(store.append(id, [event(2)], 'no_stream')).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.readStream(id)).toHaveLength(1);
    });

    it('honours exists, any and an exact revision', async () => {
      const id = stream('s');
      await expect(store.append(id, [event(0)], 'exists')).rejects.toBeInstanceOf(ConcurrencyError);
      await store.append(id, [event(1)], 'any');
      await store.append(id, [event(2)], 'exists');
      await store.append(id, [event(3)], 1);
      await expect(store.append(id, [event(4)], 1)).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.append(id, [event(4)], 5)).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(id)).map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
    });

    it('reads a stream forwards from a revision, with a limit', async () => {
      const id = stream('s');
      await store.append(id, [1, 2, 3, 4, 5].map(event), 'no_stream');
      const read = await store.readStream(id, { fromRevision: 2, maxCount: 2 });
      expect(read.map((e) => e.revision)).toEqual([2, 3]);
      expect(await store.readStream(stream('missing'))).toEqual([]);
    });

    it('keeps metadata and gives each event an id and a record time', async () => {
      const id = stream('s');
      const metadata = { correlationId: 'c-1', actor: { id: 'u-1', role: 'admin' } };
      await store.append(id, [{ type: 'Tested', data: { n: 1 }, metadata }], 'no_stream');
      const [read] = await store.readStream(id);
      expect(read!.metadata).toMatchObject(metadata);
      expect(read!.id).toEqual(expect.any(String));
      expect(Number.isNaN(Date.parse(read!.recordedAt))).toBe(false);
    });

    it('lets exactly one of many concurrent appends win each revision', async () => {
      const id = stream('race');
      await store.append(id, [event(0)], 'no_stream');
      const attempts = await Promise.allSettled(Array.from({ length: 20 }, (_, n) => store.append(id, [event(n + 1)], 0)));
      const won = attempts.filter((a) => a.status === 'fulfilled');
      const lost = attempts.filter((a) => a.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.every((a) => a.status === 'rejected' && a.reason instanceof ConcurrencyError)).toBe(true);
      expect(await store.readStream(id)).toHaveLength(2);

      const fresh = stream('new');
      const creations = await Promise.allSettled(Array.from({ length: 10 }, () => store.append(fresh, [event(1)], 'no_stream')));
      expect(creations.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    });

    it('appends to several streams at once, in order, one result per stream', async () => {
      const [first, second] = [stream('multi'), stream('multi')];
      await store.append(second, [event(0)], 'no_stream');
      const results = await store.appendAll([
        { streamId: first, events: [event(1), event(2)], expected: 'no_stream' },
        { streamId: second, events: [event(3)], expected: 0 },
      ]);
      expect(results.map((result) => result.nextRevision)).toEqual([1, 1]);
      expect(results[1]!.position).toBeGreaterThan(results[0]!.position);
      expect((await store.readStream(first)).map((e) => (e.data as { n: number }).n)).toEqual([1, 2]);
      expect((await store.readStream(second)).map((e) => [e.revision, (e.data as { n: number }).n])).toEqual([
        [0, 0],
        [1, 3],
      ]);
    });

    it('fails a multi-stream append on any stale stream: all or none where atomic, up to the failure where not', async () => {
      const [first, second, third] = [stream('multi'), stream('multi'), stream('multi')];
      await store.append(second, [event(0)], 'no_stream');
      const attempt = store.appendAll([
        { streamId: first, events: [event(1)], expected: 'no_stream' },
        { streamId: second, events: [event(2)], expected: 'no_stream' },
        { streamId: third, events: [event(3)], expected: 'no_stream' },
      ]);
      await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.readStream(first)).toHaveLength(store.atomicAppends ? 0 : 1);
      expect(await store.readStream(second)).toHaveLength(1);
      expect(await store.readStream(third)).toHaveLength(0);
      await expect(store.appendAll([{ streamId: first, events: [event(1)], expected: 'any' }, { streamId: first, events: [event(2)], expected: 'any' }])).rejects.toThrow(/twice/);
    });

    it('lets exactly one of two racing multi-stream appends to the same new streams win', async () => {
      const [head, tail] = [stream('multi'), stream('multi')];
      const race = await Promise.allSettled(
        [1, 2].map((n) =>
          store.appendAll([
            { streamId: head, events: [event(n)], expected: 'no_stream' },
            { streamId: tail, events: [event(n)], expected: 'no_stream' },
          ]),
        ),
      );
      expect(race.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const [winnerHead, winnerTail] = [await store.readStream(head), await store.readStream(tail)];
      expect(winnerHead).toHaveLength(1);
      expect(winnerTail).toHaveLength(1);
      expect(winnerTail[0]!.data).toEqual(winnerHead[0]!.data);
    });

    it('reads all events in global order after a position', async () => {
      const start = await store.headPosition();
      const a = stream('a');
      const b = stream('b');
      await store.append(a, [event(1)], 'no_stream');
      await store.append(b, [event(2)], 'no_stream');
      await store.append(a, [event(3)], 0);
      const all = (await store.readAll({ after: start })).filter((e) => e.streamId === a || e.streamId === b);
      expect(all.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3]);
      const positions = all.map((e) => e.position);
      expect([...positions].sort((x, y) => x - y)).toEqual(positions);
      expect(await store.headPosition()).toBe(positions[2]);
      const afterFirst = await store.readAll({ after: positions[0]!, maxCount: 1 });
      expect(afterFirst[0]!.position).toBeGreaterThan(positions[0]!);
    });

    it('subscribes from a position: catches up, then delivers live events', async () => {
      const id = stream('sub');
      const first = await store.append(id, [event(1), event(2)], 'no_stream');
      const before = (await store.readStream(id))[0]!.position;
      const seen: RecordedEvent[] = [];
      let notify: () => void = () => undefined;
      const subscription = store.subscribeToAll(
        async (events) => {
          seen.push(...events.filter((e) => e.streamId === id));
          notify();
        },
        { after: before },
      );
      const waitUntil = (count: number) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`saw ${seen.length} of ${count}`)), 5000);
          notify = () => {
            if (seen.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          };
          notify();
        });
      await waitUntil(1);
      expect(seen[0]!.position).toBe(first.position);
      await store.append(id, [event(3)], 1);
      await waitUntil(2);
      expect(seen.map((e) => (e.data as { n: number }).n)).toEqual([2, 3]);
      await subscription.close();
    });

    it('delivers concurrent appends to a live subscriber exactly once, in position order, as readAll reads them', async () => {
      const start = await store.headPosition();
      const streams = Array.from({ length: 8 }, () => stream('concurrent'));
      const ours = new Set(streams);
      const seen: RecordedEvent[] = [];
      let notify: () => void = () => undefined;
      const subscription = store.subscribeToAll(
        async (events) => {
          seen.push(...events.filter((e) => ours.has(e.streamId)));
          notify();
        },
        { after: start, batchSize: 7 },
      );
      const rounds = 5;
      for (let round = 0; round < rounds; round++) {
        // Every stream appended to at once: the appends' transactions commit in any order.
        await Promise.all(streams.map((id, n) => store.append(id, [event(round * 100 + n), event(round * 100 + n + 50)], round === 0 ? 'no_stream' : round * 2 - 1)));
      }
      const expected = streams.length * rounds * 2;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`saw ${seen.length} of ${expected}`)), 10_000);
        notify = () => {
          if (seen.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        };
        notify();
      });
      await subscription.close();
      expect(seen).toHaveLength(expected);
      expect(new Set(seen.map((e) => e.id)).size).toBe(expected);
      const positions = seen.map((e) => e.position);
      expect(positions.every((position, index) => index === 0 || position > positions[index - 1]!)).toBe(true);
      for (const id of streams) expect(seen.filter((e) => e.streamId === id).map((e) => e.revision)).toEqual(Array.from({ length: rounds * 2 }, (_, n) => n));
      const read = (await store.readAll({ after: start })).filter((e) => ours.has(e.streamId));
      expect(read.map((e) => e.id)).toEqual(seen.map((e) => e.id));
    });
  });
}
