import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { RecordedEvent } from '../../../src/ports/event-store.js';
import { TailCache } from '../../../src/adapters/eventstore/tail-cache.js';

const event = (position: number): RecordedEvent => ({
  id: `e${position}`,
  streamId: `s-${position % 3}`,
  revision: position,
  position,
  type: 'Happened',
  data: { position, items: [{ n: position }] },
  metadata: {},
  recordedAt: '2026-01-01T00:00:00.000Z',
});

/** A store with gaps in its positions, as several writers can leave. */
function store() {
  const events: RecordedEvent[] = [];
  let reads = 0;
  return {
    append(gap: number) {
      const last = events[events.length - 1]?.position ?? 0;
      events.push(event(last + 1 + gap));
    },
    read(after: number, maxCount: number) {
      reads += 1;
      const found = events.filter((e) => e.position > after);
      return (maxCount < 0 ? found : found.slice(0, maxCount)).map((e) => structuredClone(e));
    },
    get reads() {
      return reads;
    },
  };
}

describe('TailCache', () => {
  it('answers every read exactly as the store does, whatever the interleaving of appends and readers', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('append' as const), gap: fc.nat({ max: 2 }) }),
            fc.record({ kind: fc.constant('read' as const), reader: fc.nat({ max: 3 }), maxCount: fc.integer({ min: 1, max: 12 }) }),
          ),
          { maxLength: 200 },
        ),
        fc.integer({ min: 2, max: 16 }),
        (steps, capacity) => {
          const backing = store();
          const cache = new TailCache(capacity);
          const readers = [0, 0, 0, 0];
          for (const step of steps) {
            if (step.kind === 'append') {
              backing.append(step.gap);
              continue;
            }
            const after = readers[step.reader]!;
            const got = cache.read(after, step.maxCount, (a, m) => backing.read(a, m));
            expect(got).toEqual(backing.read(after, step.maxCount));
            if (got.length > 0) readers[step.reader] = got[got.length - 1]!.position;
          }
        },
      ),
    );
  });

  it('serves readers at the tail from one store read, and hands out frozen events', () => {
    const backing = store();
    for (let n = 0; n < 10; n++) backing.append(0);
    const cache = new TailCache();
    const first = cache.read(0, 500, (a, m) => backing.read(a, m));
    const readsAfterFirst = backing.reads;
    for (let reader = 0; reader < 14; reader++) expect(cache.read(0, 500, (a, m) => backing.read(a, m))).toHaveLength(10);
    // Each later reader asks the store only for what is past the cached tail (nothing), never re-reads it.
    expect(backing.reads - readsAfterFirst).toBe(14);
    expect(() => {
      (first[0]!.data as { items: Array<{ n: number }> }).items[0]!.n = 99;
    }).toThrow(TypeError);
  });

  it('leaves unbounded reads and readers behind the cached range to the store', () => {
    const backing = store();
    for (let n = 0; n < 40; n++) backing.append(0);
    const cache = new TailCache(4);
    cache.read(30, 4, (a, m) => backing.read(a, m));
    expect(cache.read(0, -1, (a, m) => backing.read(a, m))).toHaveLength(40);
    expect(cache.read(5, 3, (a, m) => backing.read(a, m)).map((e) => e.position)).toEqual([6, 7, 8]);
    expect(cache.read(30, 4, (a, m) => backing.read(a, m)).map((e) => e.position)).toEqual([31, 32, 33, 34]);
  });
});
