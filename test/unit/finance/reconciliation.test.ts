import { describe, expect, it } from 'vitest';
import { Reconciliation, reconcile, type ReconciliationReport } from '../../../src/queries/finance/reconciliation.js';
import { parseRange } from '../../../src/queries/finance/range.js';
import type { EventStore } from '../../../src/ports/event-store.js';
import { ledger, line, testCheck } from './fixtures.js';

const NOW = new Date('2026-11-30T08:00:00Z');
const november = parseRange({ from: '2026-11-01', to: '2026-11-30' }, NOW);

function run(events: ReturnType<typeof ledger>['events'], settlement: { providers?: string[]; lines?: ReturnType<typeof line>[] } = {}): ReconciliationReport {
  const reconciliation = new Reconciliation(november, testCheck);
  for (const event of events) reconciliation.feed(event);
  return reconciliation.finish({ providers: settlement.providers ?? ['sandbox'], lines: settlement.lines ?? [] });
}

const account = (report: ReconciliationReport, id: string) => report.accounts.find((a) => a.account === id);

describe('reconciliation core: the ledger', () => {
  it('passes a balanced ledger: balances equal their ledger sums and every currency sums to zero', () => {
    const l = ledger();
    l.transfer('t1', 'platform.wallet-funding', 'wallet.u1', 10_000);
    l.transfer('t2', 'wallet.u1', 'clearing.wallet', 2_500);
    l.transfer('c1', 'platform.coins-issuance', 'coins.u1', 300, { currency: 'COIN' });
    const report = run(l.events);
    expect(report.ok).toBe(true);
    expect(report.checkedEvents).toBe(6);
    expect(report.transfers).toBe(3);
    expect(account(report, 'wallet.u1')).toEqual({
      account: 'wallet.u1',
      kind: 'customer_wallet',
      balance: { amount: 7_500, currency: 'CNY' },
      ledgerSum: { amount: 7_500, currency: 'CNY' },
      diff: { amount: 0, currency: 'CNY' },
      entries: 2,
    });
    expect(account(report, 'coins.u1')?.balance).toEqual({ amount: 300, currency: 'COIN' });
    expect(report.totals).toEqual([
      { currency: 'CNY', sum: 0 },
      { currency: 'COIN', sum: 0 },
    ]);
    expect(report).toMatchObject({ unbalancedTransfers: [], missingTransfers: [], providerMismatches: [] });
  });

  it('lists a transfer missing its credit leg, with its cause event, and shows it in the debited account’s diff and the totals', () => {
    const l = ledger();
    l.transfer('t1', 'platform.wallet-funding', 'wallet.u1', 10_000);
    const orphan = l.debit('t2', 'wallet.u1', 'clearing.wallet', 4_000, { cause: { type: 'PaymentCaptured', id: 'p9' } });
    const report = run(l.events);
    expect(report.ok).toBe(false);
    expect(report.unbalancedTransfers).toEqual([
      {
        transferId: 't2',
        reason: 'missing_credit_leg',
        detail: 'debited, never credited',
        from: 'wallet.u1',
        to: 'clearing.wallet',
        amount: { amount: 4_000, currency: 'CNY' },
        cause: { type: 'PaymentCaptured', id: 'p9' },
        at: '2026-11-10T12:00:00.000Z',
        events: [{ id: orphan.id, position: orphan.position, streamId: 'account-wallet.u1', type: 'AccountDebited' }],
      },
    ]);
    // The account folds the debit; the re-derived ledger has no complete transfer for it.
    expect(account(report, 'wallet.u1')).toMatchObject({ balance: { amount: 6_000 }, ledgerSum: { amount: 10_000 }, diff: { amount: -4_000 } });
    expect(report.totals).toEqual([{ currency: 'CNY', sum: -4_000 }]);
  });

  it('lists a credit without its debit', () => {
    const l = ledger();
    l.credit('t1', 'platform.wallet-funding', 'wallet.u1', 500);
    const report = run(l.events);
    expect(report.unbalancedTransfers.map((t) => [t.transferId, t.reason])).toEqual([['t1', 'missing_debit_leg']]);
    expect(account(report, 'wallet.u1')?.diff.amount).toBe(500);
  });

  it('lists legs that disagree: amount, currency, accounts, a leg on the wrong stream, a duplicated leg', () => {
    const l = ledger();
    l.debit('amt', 'platform.revenue', 'merchant.m1', 100);
    l.credit('amt', 'platform.revenue', 'merchant.m1', 90);
    l.debit('cur', 'platform.revenue', 'merchant.m1', 100);
    l.credit('cur', 'platform.revenue', 'merchant.m1', 100, { currency: 'USD' });
    l.debit('acc', 'platform.revenue', 'merchant.m1', 100);
    l.credit('acc', 'platform.revenue', 'merchant.m2', 100);
    l.debit('str', 'platform.revenue', 'merchant.m1', 100);
    l.credit('str', 'platform.revenue', 'merchant.m1', 100, { stream: 'account-merchant.m3' });
    l.debit('dup', 'platform.revenue', 'merchant.m1', 100);
    l.debit('dup', 'platform.revenue', 'merchant.m1', 100);
    l.credit('dup', 'platform.revenue', 'merchant.m1', 100);
    const report = run(l.events);
    expect(Object.fromEntries(report.unbalancedTransfers.map((t) => [t.transferId, t.reason]))).toEqual({
      amt: 'amount_mismatch',
      cur: 'currency_mismatch',
      acc: 'accounts_mismatch',
      str: 'wrong_stream',
      dup: 'duplicate_leg',
    });
    expect(report.unbalancedTransfers.find((t) => t.transferId === 'dup')?.events).toHaveLength(3);
    expect(report.transfers).toBe(0);
    // The leg written to another account's stream shows on both accounts.
    expect(account(report, 'merchant.m3')?.diff.amount).toBe(100);
  });

  it('compares what the account reports with the sum of its entries (a diff per account)', () => {
    const l = ledger();
    l.transfer('t1', 'platform.revenue', 'merchant.m1', 700);
    l.transfer('t2', 'platform.revenue', 'merchant.m1', 300);
    // A second credit leg of t1 on the merchant's stream, after t1 completed: the account counts it twice.
    l.credit('t1', 'platform.revenue', 'merchant.m1', 700);
    const report = run(l.events);
    expect(account(report, 'merchant.m1')).toMatchObject({ balance: { amount: 1_700 }, ledgerSum: { amount: 1_000 }, diff: { amount: 700 }, entries: 3 });
    expect(account(report, 'platform.revenue')).toMatchObject({ balance: { amount: -1_000 }, ledgerSum: { amount: -1_000 }, diff: { amount: 0 } });
    expect(report.totals).toEqual([{ currency: 'CNY', sum: 700 }]);
    expect(report.ok).toBe(false);
  });
});

describe('reconciliation core: payments and the provider settlement', () => {
  const captured = (l: ReturnType<typeof ledger>, paymentId: string, amount: number, fee: number, at = '2026-11-10T12:00:00.000Z', transfers = [`payment-${paymentId}-capture`]) =>
    l.append(`testpay-${paymentId}`, 'TestCaptured', { paymentId, amount, fee, at, transfers });

  it('requires the transfers a payment event plans; a missing one is listed with the event', () => {
    const l = ledger();
    captured(l, 'p1', 1_000, 6);
    l.transfer('payment-p1-capture', 'clearing.sandbox', 'merchant.m1', 1_000);
    const event = captured(l, 'p2', 2_000, 12, '2026-11-11T09:00:00.000Z', ['payment-p2-capture', 'payment-p2-fee']);
    l.transfer('payment-p2-capture', 'clearing.sandbox', 'merchant.m1', 2_000);
    const report = run(l.events, { lines: [line('p1', 1_000, 6, '2026-11-10T13:00:00Z'), line('p2', 2_000, 12, '2026-11-11T10:00:00Z')] });
    expect(report.missingTransfers).toEqual([
      { transferId: 'payment-p2-fee', cause: { id: event.id, position: event.position, streamId: 'testpay-p2', type: 'TestCaptured' }, at: '2026-11-11T09:00:00.000Z' },
    ]);
    expect(report.providerMismatches).toEqual([]);
    expect(report.ok).toBe(false);
  });

  it('accepts a transfer posted just before the event that plans it (a synchronous wallet debit)', () => {
    const l = ledger();
    l.transfer('payment-p1-capture', 'wallet.u1', 'clearing.wallet', 1_000);
    l.transfer('top', 'platform.wallet-funding', 'wallet.u1', 1_000);
    captured(l, 'p1', 1_000, 0);
    expect(run(l.events, { lines: [line('p1', 1_000, 0, '2026-11-10T12:00:00Z')] }).missingTransfers).toEqual([]);
  });

  it('checks only the payment events of the period', () => {
    const l = ledger();
    captured(l, 'old', 1_000, 6, '2026-10-31T23:59:59.999Z');
    captured(l, 'later', 1_000, 6, '2026-12-01T00:00:00.000Z');
    const report = run(l.events);
    expect(report.missingTransfers).toEqual([]);
    expect(report.providerMismatches).toEqual([]);
    expect(report.daily).toEqual([]);
  });

  it('finds settlement mismatches in both directions, and wrong amounts and fees', () => {
    const l = ledger();
    const onlyLedger = captured(l, 'p1', 1_000, 6, '2026-11-10T12:00:00.000Z', []);
    captured(l, 'p2', 2_000, 12, '2026-11-10T12:00:00.000Z', []);
    captured(l, 'p3', 3_000, 18, '2026-11-12T12:00:00.000Z', []);
    captured(l, 'p4', 4_000, 24, '2026-11-12T12:00:00.000Z', []);
    const report = run(l.events, {
      lines: [
        line('p2', 2_000, 12, '2026-11-10T20:00:00Z'), // matches
        line('p3', 2_999, 18, '2026-11-12T20:00:00Z'), // wrong amount
        line('p4', 4_000, 25, '2026-11-12T20:00:00Z'), // wrong fee
        line('p5', 5_000, 30, '2026-11-13T20:00:00Z'), // settled, never captured in the ledger
        line('p6', 6_000, 36, '2026-12-01T10:00:00Z'), // outside the period: ignored
      ],
    });
    expect(report.providerMismatches.map((m) => [m.day, m.paymentId, m.reason])).toEqual([
      ['2026-11-10', 'p1', 'missing_in_settlement'],
      ['2026-11-12', 'p3', 'amount_mismatch'],
      ['2026-11-12', 'p4', 'fee_mismatch'],
      ['2026-11-13', 'p5', 'missing_in_ledger'],
    ]);
    expect(report.providerMismatches[0]).toMatchObject({ ledger: { amount: { amount: 1_000 }, fee: { amount: 6 } }, settlement: null, events: [{ id: onlyLedger.id }] });
    expect(report.providerMismatches[3]).toMatchObject({ ledger: null, settlement: { amount: { amount: 5_000 }, providerRef: 'ref-p5' }, events: [] });
    expect(report.ok).toBe(false);
  });

  it('matches several refunds of one payment by amount, and does not expect wallet payments in a provider file', () => {
    const l = ledger();
    l.append('testpay-p1', 'TestRefunded', { paymentId: 'p1', amount: 300, fee: 0, at: '2026-11-10T12:00:00.000Z', transfers: [] });
    l.append('testpay-p1', 'TestRefunded', { paymentId: 'p1', amount: 200, fee: 0, at: '2026-11-10T13:00:00.000Z', transfers: [] });
    l.append('testpay-w1', 'TestCaptured', { paymentId: 'w1', amount: 900, fee: 0, at: '2026-11-10T13:00:00.000Z', transfers: [], provider: 'wallet' });
    const report = run(l.events, { lines: [line('p1', 200, 0, '2026-11-10T20:00:00Z', 'refund'), line('p1', 300, 0, '2026-11-10T20:00:00Z', 'refund')] });
    expect(report.providerMismatches).toEqual([]);
    expect(report.daily).toEqual([{ day: '2026-11-10', currency: 'CNY', captured: 900, refunded: 500, fees: 0, captures: 1, refunds: 2 }]);
  });

  it('flags captures of a provider whose settlement it cannot read', () => {
    const l = ledger();
    captured(l, 'p1', 1_000, 6, '2026-11-10T12:00:00.000Z', []);
    expect(run(l.events, { providers: [] }).providerMismatches.map((m) => m.reason)).toEqual(['no_settlement_source']);
  });

  it('sums the daily captured, refunded and fees per currency', () => {
    const l = ledger();
    captured(l, 'p1', 1_000, 6, '2026-11-10T01:00:00.000Z', []);
    captured(l, 'p2', 2_000, 12, '2026-11-10T23:00:00.000Z', []);
    captured(l, 'p3', 500, 3, '2026-11-12T12:00:00.000Z', []);
    const report = run(l.events, { lines: [line('p1', 1_000, 6, '2026-11-10T01:00:00Z'), line('p2', 2_000, 12, '2026-11-10T23:00:00Z'), line('p3', 500, 3, '2026-11-12T12:00:00Z')] });
    expect(report.daily).toEqual([
      { day: '2026-11-10', currency: 'CNY', captured: 3_000, refunded: 0, fees: 18, captures: 2, refunds: 0 },
      { day: '2026-11-12', currency: 'CNY', captured: 500, refunded: 0, fees: 3, captures: 1, refunds: 0 },
    ]);
    expect(report.ok).toBe(true);
  });
});

describe('reconcile (streaming driver)', () => {
  it('reads the store page by page up to the head it saw, and reads each day’s settlement', async () => {
    const l = ledger();
    for (let i = 0; i < 25; i++) l.transfer(`t${i}`, 'platform.wallet-funding', `wallet.u${i % 3}`, 100 + i);
    const reads: Array<{ after?: number; maxCount?: number }> = [];
    const store = {
      headPosition: async () => 40,
      readAll: async (options: { after?: number; maxCount?: number } = {}) => {
        reads.push(options);
        return l.events.filter((e) => e.position > (options.after ?? 0)).slice(0, options.maxCount ?? Infinity);
      },
    } as unknown as EventStore;
    const days: string[] = [];
    const progress: number[] = [];
    const range = parseRange({ from: '2026-11-09', to: '2026-11-11' }, NOW);
    const report = await reconcile(
      { store },
      { range, pageSize: 16, sources: [{ provider: 'sandbox', settlement: async (day) => (days.push(day), []) }], onProgress: (position) => progress.push(position) },
    );
    expect(report.checkedEvents).toBe(40);
    expect(report.headPosition).toBe(40);
    expect(reads.map((r) => r.after)).toEqual([0, 16, 32]);
    expect(progress).toEqual([16, 32, 40]);
    expect(days).toEqual(['2026-11-09', '2026-11-10', '2026-11-11']);
    // Transfer t19's credit (position 40) is the last event read; t20's legs come after the head.
    expect(report.transfers).toBe(20);
    expect(report.ok).toBe(true);
  });
});

describe('paymentsCheck (the payments module’s answer)', async () => {
  const { paymentsCheck } = await import('../../../src/queries/finance/payment-check.js');
  const base = { paymentId: 'P', payOrderId: 'PO', userId: 'U', at: '2026-11-10T12:00:00.000Z' };
  const allocation = { orderId: 'O', merchantId: 'M', total: { amount: 1_000, currency: 'CNY' }, charged: 1_000, coins: 0, coinsValue: 0, voucherValue: 0, commission: 0 };
  const recorded = (type: string, data: unknown, streamId = 'payment-P') => ({ id: 'e1', streamId, revision: 0, position: 1, type, data, metadata: {}, recordedAt: base.at });
  const capture = (method: 'card' | 'wallet') =>
    recorded('PaymentCaptured', {
      ...base,
      method,
      provider: method === 'card' ? 'sandbox' : 'wallet',
      providerRef: 'ref-P',
      amount: { amount: 1_000, currency: 'CNY' },
      fee: { amount: method === 'card' ? 6 : 0, currency: 'CNY' },
      coins: 0,
      coinsValue: { amount: 0, currency: 'CNY' },
      voucherCode: null,
      voucherValue: { amount: 0, currency: 'CNY' },
      allocations: [allocation],
      refundedOrderIds: [],
      afterDecline: false,
    });

  it('requires the planned transfers of a capture and reports it for the settlement', () => {
    expect(paymentsCheck.requiredTransfers(capture('card'))).toEqual(['payment-P-fee', 'payment-P-capture-O']);
    expect(paymentsCheck.moneyFact(capture('card'))).toEqual({ kind: 'capture', provider: 'sandbox', paymentId: 'P', providerRef: 'ref-P', amount: { amount: 1_000, currency: 'CNY' }, fee: { amount: 6, currency: 'CNY' }, at: base.at, settles: true });
    expect(paymentsCheck.moneyFact(capture('wallet'))?.settles).toBe(false);
  });

  it('ignores events of other streams', () => {
    const elsewhere = { ...capture('card'), streamId: 'order-P' };
    expect(paymentsCheck.requiredTransfers(elsewhere)).toEqual([]);
    expect(paymentsCheck.moneyFact(elsewhere)).toBeNull();
  });
});
