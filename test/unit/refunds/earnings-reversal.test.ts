import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { InvalidStateTransition, ValidationError } from '../../../src/kernel/errors.js';
import { refundDecider, type RefundDefinition, type RefundEvent } from '../../../src/domain/refunds/refund.js';
import { earningsShares } from '../../../src/commands/refunds/earnings.js';
import { plannedTransfers } from '../../../src/domain/payments/transfers-plan.js';

const at = '2030-01-01T00:00:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });

describe('earnings shares of a refund (pure, from the order events)', () => {
  const placed = (total: number) => ({ type: 'OrderPlaced', data: { total: cny(total) } });
  const completed = (coinsEarned: number) => ({ type: 'OrderCompleted', data: { coinsEarned } });
  const refunded = (refundId: string, amount: number, fullyRefunded = false) => ({ type: 'OrderRefunded', data: { refundId, amount: cny(amount), fullyRefunded } });

  it('is null until the order records the refund', () => expect(earningsShares([placed(1_000)], 'R1', 50)).toBeNull());

  it('takes commission back in proportion; partial refunds add up exactly to the whole', () => {
    const events = [placed(1_000), refunded('R1', 333), refunded('R2', 333), refunded('R3', 334, true)];
    const shares = ['R1', 'R2', 'R3'].map((id) => earningsShares(events, id, 77)!.commission);
    expect(shares).toEqual([25, 26, 26]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(77);
  });

  it('takes earned coins back only for refunds after completion, against what the completion counted', () => {
    // 200 refunded before completion: the 80 coins were earned on 800; a full refund of the rest takes 80.
    const events = [placed(1_000), refunded('R0', 200), completed(80), refunded('R1', 400), refunded('R2', 400, true)];
    expect(earningsShares(events, 'R0', 0)).toEqual({ commission: 0, coins: 0 });
    expect(earningsShares(events, 'R1', 0)).toEqual({ commission: 0, coins: 40 });
    expect(earningsShares(events, 'R2', 0)).toEqual({ commission: 0, coins: 40 });
  });

  it('a full refund of a completed order takes every coin back', () => expect(earningsShares([placed(999), completed(9), refunded('R', 999, true)], 'R', 0)).toEqual({ commission: 0, coins: 9 }));

  it('stays exact with amounts whose product passes 2^53', () => {
    const total = 9_000_000_000_000;
    expect(earningsShares([placed(total), refunded('R', total / 3)], 'R', 3_000_000_000)!.commission).toBe(1_000_000_000);
  });
});

describe('refund decider: RecordEarningsReversal', () => {
  const definition: RefundDefinition = {
    refundId: 'R', orderId: 'O', payOrderId: 'PO', paymentId: 'P', userId: 'U', merchantId: 'M', type: 'refund_only',
    items: [{ orderItemId: 'O-1', quantity: 1 }], amount: cny(1_000), tenders: { charged: 1_000, coins: 0, coinsValue: 0, voucherValue: 0 },
    reason: 'x', initiator: 'customer', method: 'card', provider: 'sandbox', requestHash: 'h',
  };
  const base = { refundId: 'R', orderId: 'O', at };
  const history: RefundEvent[] = [
    { type: 'RefundRequested', data: { ...definition, at } },
    { type: 'RefundApproved', data: { ...base, note: null } },
    { type: 'RefundStarted', data: base },
    { type: 'RefundCompleted', data: { ...base, paymentId: 'P', payOrderId: 'PO', userId: 'U', merchantId: 'M', method: 'card', provider: 'sandbox', amount: cny(1_000), tenders: definition.tenders, type: 'refund_only', providerRef: 're' } },
  ];
  const reversal = { commission: 30, coins: { due: 10, taken: 4, shortfall: 6 } };
  const reversed: RefundEvent = { type: 'RefundEarningsReversed', data: { ...base, userId: 'U', merchantId: 'M', currency: 'CNY', ...reversal } };

  it('records the reversal once a refund is paid out; again decides nothing', () => {
    spec(refundDecider).given(...history).when({ type: 'RecordEarningsReversal', reversal, at }).then(reversed);
    spec(refundDecider).given(...history, reversed).when({ type: 'RecordEarningsReversal', reversal: { ...reversal, commission: 1 }, at }).thenNothing();
  });

  it('refuses before the refund is paid out, and coins that do not add up', () => {
    spec(refundDecider).given(...history.slice(0, 3)).when({ type: 'RecordEarningsReversal', reversal, at }).thenThrows(InvalidStateTransition);
    spec(refundDecider).given(...history).when({ type: 'RecordEarningsReversal', reversal: { commission: 0, coins: { due: 10, taken: 4, shortfall: 5 } }, at }).thenThrows(ValidationError);
  });

  it('plans the commission back to the merchant, the coins taken back, and the shortfall written off', () =>
    expect(plannedTransfers(reversed).map((t) => [t.transferId, t.from, t.to, t.amount, t.currency])).toEqual([
      ['refund-R-commission', 'platform.revenue', 'merchant.M', 30, 'CNY'],
      ['refund-R-coins-clawback', 'coins.U', 'platform.coins-issuance', 4, 'COIN'],
      ['refund-R-coins-shortfall', 'platform.coins-shortfall', 'platform.coins-issuance', 6, 'COIN'],
    ]));
});
