import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { discountFor, promotionDecider, type PromotionEvent, type PromotionTerms } from '../../../src/domain/promotions/promotion.js';
import { ConflictError, DomainError, ValidationError } from '../../../src/kernel/errors.js';

const at = '2030-01-01T10:00:00.000Z';
const expiresAt = '2030-01-01T10:30:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const terms = (changes: Partial<PromotionTerms> = {}): PromotionTerms => ({
  code: 'TEN',
  kind: 'percent',
  value: 10,
  minSpend: null,
  startsAt: null,
  endsAt: null,
  budget: null,
  usageLimit: null,
  perUserLimit: null,
  ...changes,
});
const created = (changes: Partial<PromotionTerms> = {}): PromotionEvent => ({ type: 'PromotionCreated', data: { ...terms(changes), at } });
const redeemed = (redemptionId: string, userId: string, amount: number, shares: Record<string, number> = { [`${redemptionId}-o`]: amount }): PromotionEvent => ({
  type: 'PromotionRedeemed',
  data: { code: 'TEN', redemptionId, userId, discount: cny(amount), shares, expiresAt, at },
});
const redeem = (redemptionId: string, userId: string, amount: number, subtotal = 10_000, shares: Record<string, number> = { [`${redemptionId}-o`]: amount }) =>
  ({ type: 'RedeemPromotion', redemptionId, userId, subtotal: cny(subtotal), discount: cny(amount), shares, expiresAt, at }) as const;
const promotion = spec(promotionDecider);

describe('promotion', () => {
  it('computes percent and fixed discounts, never above the subtotal', () => {
    expect(discountFor(terms(), 9_999)).toBe(999);
    expect(discountFor(terms({ kind: 'fixed', value: 500 }), 9_999)).toBe(500);
    expect(discountFor(terms({ kind: 'fixed', value: 500 }), 300)).toBe(300);
  });

  it('is created once; the same terms again decide nothing, other terms conflict; bad terms are invalid', () => {
    promotion.given().when({ type: 'CreatePromotion', terms: terms(), at }).then(created());
    promotion.given(created()).when({ type: 'CreatePromotion', terms: terms(), at }).thenNothing();
    promotion.given(created()).when({ type: 'CreatePromotion', terms: terms({ value: 20 }), at }).thenThrows(ConflictError, 'PROMOTION_EXISTS');
    promotion.given().when({ type: 'CreatePromotion', terms: terms({ value: 120 }), at }).thenThrows(ValidationError);
    promotion.given().when({ type: 'CreatePromotion', terms: terms({ startsAt: at, endsAt: at }), at }).thenThrows(ValidationError);
  });

  it('redeems once per redemption id', () => {
    promotion.given(created()).when(redeem('P1', 'u1', 1000)).then(redeemed('P1', 'u1', 1000));
    promotion.given(created(), redeemed('P1', 'u1', 1000)).when(redeem('P1', 'u1', 1000)).thenNothing();
  });

  it.each([
    ['before it starts', { startsAt: '2030-01-02T00:00:00.000Z' }, [], 'not_started'],
    ['after it ends', { endsAt: '2030-01-01T09:00:00.000Z' }, [], 'ended'],
    ['under the minimum spend', { minSpend: cny(20_000) }, [], 'min_spend'],
    ['over the usage limit', { usageLimit: 1 }, [redeemed('P0', 'u0', 1000)], 'usage_limit'],
    ['over the per-user limit', { perUserLimit: 1 }, [redeemed('P0', 'u1', 1000)], 'per_user_limit'],
    ['over budget', { budget: cny(1500) }, [redeemed('P0', 'u0', 1000)], 'budget'],
  ] as Array<[string, Partial<PromotionTerms>, PromotionEvent[], string]>)('refuses a redemption %s (PROMOTION_INVALID)', (_name, changes, history, reason) => {
    promotion.given(created(changes), ...history).when(redeem('P1', 'u1', 1000)).thenThrows(DomainError, 'PROMOTION_INVALID');
    expect(() => promotionDecider.decide(redeem('P1', 'u1', 1000), promotion.given(created(changes), ...history).state)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ reason }) }),
    );
  });

  it('returns shares per order; the usage slot and budget come back when all are returned, once', () => {
    const history = [created({ usageLimit: 1, budget: cny(1000) }), redeemed('P1', 'u1', 1000, { A: 600, B: 400 })];
    promotion
      .given(...history)
      .when({ type: 'ReturnPromotion', redemptionId: 'P1', orderIds: ['A'], at })
      .then({ type: 'PromotionReturned', data: { code: 'TEN', redemptionId: 'P1', orderIds: ['A'], amount: cny(600), complete: false, at } });
    const partly: PromotionEvent = { type: 'PromotionReturned', data: { code: 'TEN', redemptionId: 'P1', orderIds: ['A'], amount: cny(600), complete: false, at } };
    promotion.given(...history, partly).when({ type: 'ReturnPromotion', redemptionId: 'P1', orderIds: ['A'], at }).thenNothing();
    promotion
      .given(...history, partly)
      .when({ type: 'ReturnPromotion', redemptionId: 'P1', at })
      .thenState((state) => expect(state).toMatchObject({ used: 0, spent: 0, perUser: { u1: 0 } }));
    const rest: PromotionEvent = { type: 'PromotionReturned', data: { code: 'TEN', redemptionId: 'P1', orderIds: ['B'], amount: cny(400), complete: true, at } };
    promotion.given(...history, partly, rest).when({ type: 'ReturnPromotion', redemptionId: 'P1', at }).thenNothing();
    // a returned redemption is not redeemed again by a late resend
    promotion.given(...history, partly, rest).when(redeem('P1', 'u1', 1000, 10_000, { A: 600, B: 400 })).thenNothing();
    // and the slot is free for someone else
    promotion.given(...history, partly, rest).when(redeem('P2', 'u2', 1000)).then(redeemed('P2', 'u2', 1000));
  });
});
