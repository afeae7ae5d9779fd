import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { accountDecider, BalanceLimitExceeded, type AccountEvent, type TransferLeg } from '../../../src/domain/accounts/account.js';

const at = '2026-11-25T10:00:00.000Z';
const leg = (transferId: string, amount: number): TransferLeg => ({ transferId, accountId: 'wallet.u1', counterpartyId: 'platform.wallet-funding', amount, currency: 'CNY', cause: { type: 'test', id: transferId }, at });
const credited = (transferId: string, amount: number): AccountEvent => ({ type: 'AccountCredited', data: leg(transferId, amount) });
const debited = (transferId: string, amount: number): AccountEvent => ({ type: 'AccountDebited', data: leg(transferId, amount) });
const account = spec(accountDecider);

describe('account decider: exact balances', () => {
  it('refuses a credit that would pass Number.MAX_SAFE_INTEGER instead of rounding it', () =>
    account.given(credited('t1', Number.MAX_SAFE_INTEGER)).when({ type: 'Credit', leg: leg('t2', 1) }).thenThrows(BalanceLimitExceeded, 'BALANCE_LIMIT_EXCEEDED'));

  it('credits up to exactly Number.MAX_SAFE_INTEGER', () =>
    account.given(credited('t1', Number.MAX_SAFE_INTEGER - 1)).when({ type: 'Credit', leg: leg('t2', 1) }).then(credited('t2', 1)));

  it('refuses a debit that would take a platform account below −Number.MAX_SAFE_INTEGER', () =>
    account.given(debited('t1', Number.MAX_SAFE_INTEGER)).when({ type: 'Debit', leg: leg('t2', 1), allowNegative: true }).thenThrows(BalanceLimitExceeded, 'BALANCE_LIMIT_EXCEEDED'));

  it('a debit "up to" takes what the account holds, at most the amount', () => {
    account.given(credited('t1', 30)).when({ type: 'Debit', leg: leg('c', 100), allowNegative: false, upTo: true }).then(debited('c', 30));
    account.given(credited('t1', 300)).when({ type: 'Debit', leg: leg('c', 100), allowNegative: false, upTo: true }).then(debited('c', 100));
    account.given().when({ type: 'Debit', leg: leg('c', 100), allowNegative: false, upTo: true }).thenNothing();
    account.given(credited('t1', 30), debited('c', 30)).when({ type: 'Debit', leg: leg('c', 100), allowNegative: false, upTo: true }).thenNothing();
  });

  it('keeps the balance exact after the refusal', () =>
    account.given(credited('t1', Number.MAX_SAFE_INTEGER)).when({ type: 'Debit', leg: leg('t2', 1), allowNegative: false }).thenState((state) => expect(state.balance).toBe(Number.MAX_SAFE_INTEGER - 1)));
});
