import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../../support/runtime.js';
import { accountBalance, postTransfer } from '../../../src/commands/accounts/transfers.js';
import { accountIds } from '../../../src/domain/accounts/account-ids.js';
import { ValidationError } from '../../../src/kernel/errors.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => runtime?.close());

const topUp = (userId: string, amount: number, id = `topup-${userId}-${amount}`) =>
  postTransfer(runtime.deps, { transferId: id, from: accountIds.walletFunding, to: accountIds.wallet(userId), amount, currency: 'CNY', cause: { type: 'top_up', id } });

describe('postTransfer', () => {
  it('moves money between two accounts, once per transfer id', async () => {
    await topUp('u1', 1000);
    await topUp('u1', 1000); // resent: same transfer id
    expect((await accountBalance(runtime.deps, accountIds.wallet('u1'))).balance).toBe(1000);
    expect((await accountBalance(runtime.deps, accountIds.walletFunding)).balance).toBe(-1000);
  });

  it('never overdraws a wallet, whatever the concurrency: of 20 payments of 10 from 100, exactly 10 go through', async () => {
    await topUp('u2', 100);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) =>
        postTransfer(runtime.deps, { transferId: `pay-${n}`, from: accountIds.wallet('u2'), to: accountIds.merchantPayable('m1'), amount: 10, currency: 'CNY', cause: { type: 'payment', id: `p${n}` } }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'INSUFFICIENT_FUNDS')).toBe(true);
    expect((await accountBalance(runtime.deps, accountIds.wallet('u2'))).balance).toBe(0);
    expect((await accountBalance(runtime.deps, accountIds.merchantPayable('m1'))).balance).toBe(100);
  });

  it('refuses unknown accounts, one account on both sides and mixed currencies, appending nothing', async () => {
    const before = await runtime.deps.store.headPosition();
    const base = { transferId: 'bad', amount: 5, currency: 'CNY', cause: { type: 'x', id: 'y' } };
    await expect(postTransfer(runtime.deps, { ...base, from: 'nobody', to: accountIds.wallet('u1') })).rejects.toBeInstanceOf(ValidationError);
    await expect(postTransfer(runtime.deps, { ...base, from: accountIds.wallet('u1'), to: accountIds.wallet('u1') })).rejects.toBeInstanceOf(ValidationError);
    await expect(postTransfer(runtime.deps, { ...base, from: accountIds.coinsIssuance, to: accountIds.wallet('u1') })).rejects.toBeInstanceOf(ValidationError);
    expect(await runtime.deps.store.headPosition()).toBe(before);
  });
});
