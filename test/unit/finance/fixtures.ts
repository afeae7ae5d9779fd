import type { RecordedEvent } from '../../../src/ports/event-store.js';
import type { TransferLeg } from '../../../src/domain/accounts/account.js';
import type { MoneyFact, PaymentCheck } from '../../../src/queries/finance/reconciliation.js';
import type { SettlementLine } from '../../../src/ports/payment-provider.js';

/** Hand-made event streams for the reconciliation core. */
export function ledger() {
  let position = 0;
  const revisions = new Map<string, number>();
  const events: RecordedEvent[] = [];
  const append = (streamId: string, type: string, data: unknown, recordedAt = '2026-11-10T12:00:00.000Z'): RecordedEvent => {
    const revision = (revisions.get(streamId) ?? -1) + 1;
    revisions.set(streamId, revision);
    const event: RecordedEvent = { id: `e${++position}`, streamId, revision, position, type, data, metadata: {}, recordedAt };
    events.push(event);
    return event;
  };
  const leg = (transferId: string, accountId: string, counterpartyId: string, amount: number, currency: string, at: string, cause = { type: 'test', id: transferId }): TransferLeg => ({
    transferId,
    accountId,
    counterpartyId,
    amount,
    currency,
    cause,
    at,
  });
  return {
    events,
    append,
    debit: (transferId: string, from: string, to: string, amount: number, options: { currency?: string; at?: string; stream?: string; cause?: { type: string; id: string } } = {}) =>
      append(options.stream ?? `account-${from}`, 'AccountDebited', leg(transferId, from, to, amount, options.currency ?? 'CNY', options.at ?? '2026-11-10T12:00:00.000Z', options.cause)),
    credit: (transferId: string, from: string, to: string, amount: number, options: { currency?: string; at?: string; stream?: string; cause?: { type: string; id: string } } = {}) =>
      append(options.stream ?? `account-${to}`, 'AccountCredited', leg(transferId, to, from, amount, options.currency ?? 'CNY', options.at ?? '2026-11-10T12:00:00.000Z', options.cause)),
    transfer(transferId: string, from: string, to: string, amount: number, options: { currency?: string; at?: string; cause?: { type: string; id: string } } = {}) {
      this.debit(transferId, from, to, amount, options);
      this.credit(transferId, from, to, amount, options);
    },
  };
}

/** A toy payments module: `TestCaptured { paymentId, amount, fee, at, transfers }` requires its listed transfers. */
export const testCheck: PaymentCheck = {
  requiredTransfers: (event) => (event.type === 'TestCaptured' || event.type === 'TestRefunded' ? ((event.data as { transfers: string[] }).transfers ?? []) : []),
  moneyFact(event): MoneyFact | null {
    if (event.type !== 'TestCaptured' && event.type !== 'TestRefunded') return null;
    const data = event.data as { paymentId: string; amount: number; fee: number; at: string; provider?: string };
    const provider = data.provider ?? 'sandbox';
    return {
      kind: event.type === 'TestCaptured' ? 'capture' : 'refund',
      provider,
      paymentId: data.paymentId,
      amount: { amount: data.amount, currency: 'CNY' },
      fee: { amount: data.fee, currency: 'CNY' },
      at: data.at,
      settles: provider !== 'wallet',
    };
  },
};

export const line = (paymentId: string, amount: number, fee: number, at: string, kind: 'capture' | 'refund' = 'capture', provider = 'sandbox'): SettlementLine & { provider: string } => ({
  paymentId,
  providerRef: `ref-${paymentId}`,
  kind,
  amount: { amount, currency: 'CNY' },
  fee: { amount: fee, currency: 'CNY' },
  at,
  provider,
});
