import { describe, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { promotionDecider, PromotionInvalid, type PromotionEvent } from '../../../src/domain/promotions/promotion.js';
import { voucherDecider, VoucherInvalid, type VoucherEvent } from '../../../src/domain/vouchers/voucher.js';
import { NotFoundError } from '../../../src/kernel/errors.js';

/** An admin ends a promotion or a voucher early (POST /admin/promotions/{code}/end, /admin/vouchers/{code}/end). */

const at = '2030-01-01T10:00:00.000Z';
const later = '2030-01-01T11:00:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const created: PromotionEvent = {
  type: 'PromotionCreated',
  data: { code: 'TEN', kind: 'percent', value: 10, minSpend: null, startsAt: null, endsAt: null, budget: null, usageLimit: null, perUserLimit: null, at },
};
const promotionEnded: PromotionEvent = { type: 'PromotionEnded', data: { code: 'TEN', at } };
const issued: VoucherEvent = { type: 'VoucherIssued', data: { code: 'V1', amount: cny(500), maxUses: 2, perUserLimit: 1, startsAt: null, endsAt: null, at } };
const voucherEnded: VoucherEvent = { type: 'VoucherEnded', data: { code: 'V1', at } };

describe('ending a promotion', () => {
  it('ends it once (ending it again decides nothing); an unknown code is 404', () => {
    spec(promotionDecider).given(created).when({ type: 'EndPromotion', at }).then(promotionEnded);
    spec(promotionDecider).given(created, promotionEnded).when({ type: 'EndPromotion', at: later }).thenNothing();
    spec(promotionDecider).given().when({ type: 'EndPromotion', at }).thenThrows(NotFoundError);
  });
  it('refuses redemptions from then on, even inside its window; returns still work', () => {
    const redeem = { type: 'RedeemPromotion', redemptionId: 'P1', userId: 'U1', subtotal: cny(10_000), discount: cny(1_000), shares: { O1: 1_000 }, expiresAt: later, at: later } as const;
    spec(promotionDecider).given(created, promotionEnded).when(redeem).thenThrows(PromotionInvalid, 'PROMOTION_INVALID');
    const redeemed: PromotionEvent = { type: 'PromotionRedeemed', data: { code: 'TEN', redemptionId: 'P1', userId: 'U1', discount: cny(1_000), shares: { O1: 1_000 }, expiresAt: later, at } };
    spec(promotionDecider)
      .given(created, redeemed, promotionEnded)
      .when({ type: 'ReturnPromotion', redemptionId: 'P1', at: later })
      .then({ type: 'PromotionReturned', data: { code: 'TEN', redemptionId: 'P1', orderIds: ['O1'], amount: cny(1_000), complete: true, at: later } });
  });
  it('does not make the same terms sent again a conflict', () => {
    const { at: _at, ...terms } = created.data;
    spec(promotionDecider).given(created, promotionEnded).when({ type: 'CreatePromotion', terms, at: later }).thenNothing();
  });
});

describe('ending a voucher', () => {
  it('ends it once; payments cannot redeem it afterwards; an unknown code is 404', () => {
    spec(voucherDecider).given(issued).when({ type: 'EndVoucher', at }).then(voucherEnded);
    spec(voucherDecider).given(issued, voucherEnded).when({ type: 'EndVoucher', at: later }).thenNothing();
    spec(voucherDecider).given(issued, voucherEnded).when({ type: 'RedeemVoucher', redemptionId: 'P1', userId: 'U1', at: later }).thenThrows(VoucherInvalid, 'VOUCHER_INVALID');
    spec(voucherDecider).given().when({ type: 'EndVoucher', at }).thenThrows(NotFoundError);
  });
});
