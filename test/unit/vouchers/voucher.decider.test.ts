import { describe, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { ConflictError, ValidationError } from '../../../src/kernel/errors.js';
import { voucherDecider, VoucherInvalid, type VoucherEvent, type VoucherTerms } from '../../../src/domain/vouchers/voucher.js';

const at = '2030-01-01T00:00:00.000Z';
const terms: VoucherTerms = { code: 'V1', amount: { amount: 500, currency: 'CNY' }, maxUses: 2, perUserLimit: 1, startsAt: null, endsAt: '2030-02-01T00:00:00.000Z' };
const issued: VoucherEvent = { type: 'VoucherIssued', data: { ...terms, at } };
const redeemed = (redemptionId: string, userId: string): VoucherEvent => ({ type: 'VoucherRedeemed', data: { code: 'V1', redemptionId, userId, amount: terms.amount, at } });

describe('voucher decider', () => {
  it('issues once; same terms again nothing; other terms 409; bad terms 400', () => {
    spec(voucherDecider).given().when({ type: 'IssueVoucher', terms, at }).then(issued);
    spec(voucherDecider).given(issued).when({ type: 'IssueVoucher', terms, at }).thenNothing();
    spec(voucherDecider).given(issued).when({ type: 'IssueVoucher', terms: { ...terms, maxUses: 3 }, at }).thenThrows(ConflictError, 'VOUCHER_EXISTS');
    spec(voucherDecider).given().when({ type: 'IssueVoucher', terms: { ...terms, amount: { amount: 0, currency: 'CNY' } }, at }).thenThrows(ValidationError);
  });
  it('redeems per payment, once per user, up to maxUses; resends decide nothing', () => {
    spec(voucherDecider).given(issued).when({ type: 'RedeemVoucher', redemptionId: 'P1', userId: 'U1', at }).then(redeemed('P1', 'U1'));
    spec(voucherDecider).given(issued, redeemed('P1', 'U1')).when({ type: 'RedeemVoucher', redemptionId: 'P1', userId: 'U1', at }).thenNothing();
    spec(voucherDecider).given(issued, redeemed('P1', 'U1')).when({ type: 'RedeemVoucher', redemptionId: 'P2', userId: 'U1', at }).thenThrows(VoucherInvalid, 'VOUCHER_INVALID');
    spec(voucherDecider).given(issued, redeemed('P1', 'U1'), redeemed('P2', 'U2')).when({ type: 'RedeemVoucher', redemptionId: 'P3', userId: 'U3', at }).thenThrows(VoucherInvalid);
    spec(voucherDecider).given(issued).when({ type: 'RedeemVoucher', redemptionId: 'P1', userId: 'U1', at: '2030-03-01T00:00:00.000Z' }).thenThrows(VoucherInvalid);
    spec(voucherDecider).given().when({ type: 'RedeemVoucher', redemptionId: 'P1', userId: 'U1', at }).thenThrows(VoucherInvalid);
  });
  it('a release gives the use back once; a released redemption is never taken again', () => {
    const released: VoucherEvent = { type: 'VoucherReleased', data: { code: 'V1', redemptionId: 'P1', userId: 'U1', at } };
    spec(voucherDecider).given(issued, redeemed('P1', 'U1')).when({ type: 'ReleaseVoucher', redemptionId: 'P1', at }).then(released);
    spec(voucherDecider).given(issued, redeemed('P1', 'U1'), released).when({ type: 'ReleaseVoucher', redemptionId: 'P1', at }).thenNothing();
    spec(voucherDecider).given(issued, redeemed('P1', 'U1'), released).when({ type: 'RedeemVoucher', redemptionId: 'P1', userId: 'U1', at }).thenNothing();
    spec(voucherDecider).given(issued, redeemed('P1', 'U1'), released).when({ type: 'RedeemVoucher', redemptionId: 'P2', userId: 'U1', at }).then(redeemed('P2', 'U1'));
  });
});
