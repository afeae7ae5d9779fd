import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { accountDecider, InsufficientFunds, type AccountEvent, type TransferLeg } from '../../../src/domain/accounts/account.js';
import { ValidationError } from '../../../src/kernel/errors.js';

const at = '2026-11-25T10:00:00.000Z';
const leg = (transferId: string, amount: number, currency = 'CNY'): TransferLeg => ({
  transferId,
  accountId: 'wallet.u1',
  counterpartyId: 'platform.wallet-funding',
  amount,
  currency,
  cause: { type: 'top_up', id: transferId },
  at,
});
const credited = (transferId: string, amount: number): AccountEvent => ({ type: 'AccountCredited', data: leg(transferId, amount) });
const debited = (transferId: string, amount: number): AccountEvent => ({ type: 'AccountDebited', data: leg(transferId, amount) });
const account = spec(accountDecider);

describe('account decider', () => {
  it('credits and debits, keeping credits minus debits', () =>
    account.given(credited('t1', 500), debited('t2', 200)).when({ type: 'Credit', leg: leg('t3', 50) }).thenState((state) => expect(state.balance).toBe(350)));

  it('refuses to overdraw an account that may not go negative', () =>
    account.given(credited('t1', 100)).when({ type: 'Debit', leg: leg('t2', 101), allowNegative: false }).thenThrows(InsufficientFunds, 'INSUFFICIENT_FUNDS'));

  it('lets a platform account go negative', () =>
    account.given().when({ type: 'Debit', leg: leg('t1', 100), allowNegative: true }).then(debited('t1', 100)));

  it('spends exactly the whole balance', () => account.given(credited('t1', 100)).when({ type: 'Debit', leg: leg('t2', 100), allowNegative: false }).then(debited('t2', 100)));

  it('posts a transfer once: the same leg again appends nothing', () => {
    account.given(credited('t1', 100)).when({ type: 'Credit', leg: leg('t1', 100) }).thenNothing();
    account.given(credited('t1', 100), debited('t2', 60)).when({ type: 'Debit', leg: leg('t2', 60), allowNegative: false }).thenNothing();
  });

  it('refuses zero, negative and fractional amounts, and a second currency', () => {
    for (const amount of [0, -5, 1.5]) account.given().when({ type: 'Credit', leg: leg('t', amount) }).thenThrows(ValidationError);
    account.given(credited('t1', 100)).when({ type: 'Credit', leg: leg('t2', 5, 'USD') }).thenThrows(ValidationError);
  });
});
