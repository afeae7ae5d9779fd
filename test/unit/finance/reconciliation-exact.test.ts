import { describe, expect, it } from 'vitest';
import { Reconciliation, type ReconciliationReport } from '../../../src/queries/finance/reconciliation.js';
import { parseRange } from '../../../src/queries/finance/range.js';
import { ledger, testCheck } from './fixtures.js';
import { paymentsCheck } from '../../../src/queries/finance/payment-check.js';

const november = parseRange({ from: '2026-11-01', to: '2026-11-30' }, new Date('2026-11-30T08:00:00Z'));

function run(events: ReturnType<typeof ledger>['events']): ReconciliationReport {
  const reconciliation = new Reconciliation(november, testCheck);
  for (const event of events) reconciliation.feed(event);
  return reconciliation.finish({ providers: ['sandbox'], lines: [] });
}

describe('reconciliation catches arithmetic loss', () => {
  it('a wallet credited 2^53 − 1 then 1 fen three times (a double keeps 2^53): diff, unsafe balance, NOT ok', () => {
    const l = ledger();
    l.transfer('big', 'platform.wallet-funding', 'wallet.u1', Number.MAX_SAFE_INTEGER);
    for (const id of ['f1', 'f2', 'f3']) l.transfer(id, 'platform.wallet-funding', 'wallet.u1', 1);
    const report = run(l.events);
    const wallet = report.accounts.find((line) => line.account === 'wallet.u1')!;
    // The fold in doubles loses two of the three fen; the exact ledger sum does not.
    expect(wallet.balance.amount).toBe(2 ** 53);
    expect(wallet.diff.amount).toBe(-2);
    expect(report.unsafeNumbers.map((unsafe) => [unsafe.what, unsafe.account])).toEqual(
      expect.arrayContaining([
        ['balance', 'wallet.u1'],
        ['balance', 'platform.wallet-funding'],
      ]),
    );
    expect(report.ok).toBe(false);
  });

  it('lists a leg amount that is not a safe integer with its event', () => {
    const l = ledger();
    l.transfer('huge', 'platform.revenue', 'merchant.m1', 2 ** 60);
    const report = run(l.events);
    expect(report.unsafeNumbers.filter((unsafe) => unsafe.what === 'amount').map((unsafe) => [unsafe.account, unsafe.transferId, unsafe.events.length])).toEqual([
      ['platform.revenue', 'huge', 1],
      ['merchant.m1', 'huge', 1],
    ]);
    expect(report.ok).toBe(false);
  });

  it('sums large safe balances exactly and stays ok', () => {
    const l = ledger();
    const half = Math.floor(Number.MAX_SAFE_INTEGER / 2);
    l.transfer('a', 'platform.wallet-funding', 'wallet.u1', half);
    l.transfer('b', 'platform.wallet-funding', 'wallet.u2', half);
    l.transfer('c', 'wallet.u1', 'clearing.wallet', 1);
    const report = run(l.events);
    expect(report.unsafeNumbers).toEqual([]);
    expect(report.totals).toEqual([{ currency: 'CNY', sum: 0 }]);
    expect(report.ok).toBe(true);
  });
});

describe('reconciliation covers the earnings a refund takes back', () => {
  const reversed = (l: ReturnType<typeof ledger>) =>
    l.append('refund-R', 'RefundEarningsReversed', {
      refundId: 'R',
      orderId: 'O',
      userId: 'u1',
      merchantId: 'm1',
      currency: 'CNY',
      commission: 50,
      coins: { due: 200, taken: 50, shortfall: 150 },
      at: '2026-11-10T12:00:00.000Z',
    });
  const runWith = (events: ReturnType<typeof ledger>['events']) => {
    const reconciliation = new Reconciliation(november, paymentsCheck);
    for (const event of events) reconciliation.feed(event);
    return reconciliation.finish({ providers: [], lines: [] });
  };

  it('requires the commission, the coins taken back and the shortfall written off', () => {
    const l = ledger();
    reversed(l);
    l.transfer('refund-R-commission', 'platform.revenue', 'merchant.m1', 50);
    l.transfer('refund-R-coins-clawback', 'coins.u1', 'platform.coins-issuance', 50, { currency: 'COIN' });
    const report = runWith(l.events);
    expect(report.missingTransfers.map((missing) => missing.transferId)).toEqual(['refund-R-coins-shortfall']);
    expect(report.ok).toBe(false);
  });

  it('is ok once every leg is there', () => {
    const l = ledger();
    l.transfer('grant', 'platform.coins-issuance', 'coins.u1', 50, { currency: 'COIN' });
    reversed(l);
    l.transfer('refund-R-commission', 'platform.revenue', 'merchant.m1', 50);
    l.transfer('refund-R-coins-clawback', 'coins.u1', 'platform.coins-issuance', 50, { currency: 'COIN' });
    l.transfer('refund-R-coins-shortfall', 'platform.coins-shortfall', 'platform.coins-issuance', 150, { currency: 'COIN' });
    const report = runWith(l.events);
    expect(report.missingTransfers).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
