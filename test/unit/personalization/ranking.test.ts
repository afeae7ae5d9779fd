import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { rerank, RERANK, textScore } from '../../../src/domain/personalization/ranking.js';
import { rankWindow } from '../../../src/queries/catalog/personalized-search.js';
import { addSignal, emptyProfile } from '../../../src/domain/personalization/profile.js';

const hits = fc.array(fc.record({ affinity: fc.double({ min: 0, max: 1, noNaN: true }), popularity: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: RERANK.window });
const withIds = (list: Array<{ affinity: number; popularity: number }>) => list.map((hit, i) => ({ id: `p${i}`, ...hit }));

describe('the re-rank', () => {
  it('is a permutation of the hits it is given (the keyword match stays the gate)', () => {
    fc.assert(
      fc.property(hits, (list) => {
        const ranked = rerank(withIds(list));
        expect(ranked.map((part) => part.id).sort()).toEqual(withIds(list).map((hit) => hit.id).sort());
      }),
    );
  });

  it('keeps the plain order exactly when no hit has affinity (popularity alone never reorders)', () => {
    fc.assert(
      fc.property(hits, (list) => {
        const none = withIds(list.map((hit) => ({ ...hit, affinity: 0 })));
        expect(rerank(none).map((part) => part.id)).toEqual(none.map((hit) => hit.id));
      }),
    );
  });

  it('keeps the plain top hit within the first five', () => {
    fc.assert(
      fc.property(hits, (list) => {
        const ranked = rerank(withIds(list));
        if (ranked.length > 0) expect(ranked.findIndex((part) => part.plainRank === 0)).toBeLessThan(RERANK.keepPlainTopWithin);
      }),
    );
  });

  it('lifts liked hits over unliked ones of better text rank; ties keep the plain order', () => {
    const list = withIds([0, 0, 0, 0.9, 0, 0.9].map((affinity) => ({ affinity, popularity: 0 })));
    expect(rerank(list).map((part) => part.id)).toEqual(['p3', 'p5', 'p0', 'p1', 'p2', 'p4']);
    const parts = rerank(list).find((part) => part.id === 'p3')!;
    expect(parts).toMatchObject({ plainRank: 3, text: textScore(3), affinity: 0.9 });
    expect(parts.final).toBeCloseTo(textScore(3) + 0.9, 12);
  });

  it('a shopper with no history gets the plain window; with one, only its category moves', () => {
    const window = Array.from({ length: 30 }, (_, i) => ({ id: `p${i}`, categoryId: i % 3 === 0 ? 'romance' : 'wuxia', brandId: 'b' }));
    const now = Date.UTC(2024, 0, 2);
    expect(rankWindow(emptyProfile('u'), window, new Map(), now).map((part) => part.id)).toEqual(window.map((hit) => hit.id));
    const reader = addSignal(addSignal(emptyProfile('u'), { categoryId: 'romance', brandId: 'x', attributes: [] }, 'purchase', new Date(now).toISOString()), { categoryId: 'romance', brandId: 'x', attributes: [] }, 'purchase', new Date(now).toISOString());
    const order = rankWindow(reader, window, new Map(), now).map((part) => part.id);
    expect(order.slice(0, 11).filter((id) => Number(id.slice(1)) % 3 === 0)).toHaveLength(10);
    expect(order.indexOf('p0')).toBe(0);
  });
});
