import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { accountBalance, postTransfer } from '../../../src/commands/accounts/transfers.js';
import { accountIds } from '../../../src/domain/accounts/account-ids.js';
import { BalanceLimitExceeded } from '../../../src/domain/accounts/account.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => runtime?.close());

const topUp = (userId: string, amount: number, id: string) =>
  postTransfer(runtime.deps, { transferId: id, from: accountIds.walletFunding, to: accountIds.wallet(userId), amount, currency: 'CNY', cause: { type: 'top_up', id } });

describe('postTransfer keeps balances exact', () => {
  it('a wallet at 2^53 − 1 refuses 1 fen more, three times, and neither side moves (no half transfer)', async () => {
    await topUp('big', Number.MAX_SAFE_INTEGER, 'max');
    const funding = (await accountBalance(runtime.deps, accountIds.walletFunding)).balance;
    for (const id of ['f1', 'f2', 'f3']) await expect(topUp('big', 1, id)).rejects.toBeInstanceOf(BalanceLimitExceeded);
    expect((await accountBalance(runtime.deps, accountIds.wallet('big'))).balance).toBe(Number.MAX_SAFE_INTEGER);
    expect((await accountBalance(runtime.deps, accountIds.walletFunding)).balance).toBe(funding);
    const legs = (await runtime.deps.store.readAll()).filter((event) => ['f1', 'f2', 'f3'].includes((event.data as { transferId?: string }).transferId ?? ''));
    expect(legs).toEqual([]);
  });
});
