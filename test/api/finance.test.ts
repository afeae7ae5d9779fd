import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { postTransfer } from '../../src/commands/accounts/transfers.js';
import { accountIds, accountStream } from '../../src/domain/accounts/account-ids.js';

/** GET /api/v1/admin/finance/reconciliation and /accounts over transfers posted with postTransfer. */

let runtime: TestRuntime;
let api: ReturnType<typeof client>;
let adminToken: string;
let customerToken: string;

const cause = (id: string) => ({ type: 'WalletTopUp', id });
const transfer = (transferId: string, from: string, to: string, amount: number, currency = 'CNY') => postTransfer(runtime.deps, { transferId, from, to, amount, currency, cause: cause(transferId) });
const today = () => new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  runtime = await startTestRuntime({ BAZAAR_LIMITS: 'relaxed' });
  api = client(runtime.app);
  adminToken = await runtime.deps.tokens.issueAccessToken({ userId: 'admin-1', roles: ['admin'] }, new Date());
  customerToken = await runtime.deps.tokens.issueAccessToken({ userId: 'customer-1', roles: ['customer'] }, new Date());
  await transfer('topup-a', accountIds.walletFunding, accountIds.wallet('u1'), 10_000);
  await transfer('topup-b', accountIds.walletFunding, accountIds.wallet('u2'), 4_000);
  await transfer('spend-a', accountIds.wallet('u1'), accountIds.providerClearing('wallet'), 2_500);
  await transfer('coins-a', accountIds.coinsIssuance, accountIds.coins('u1'), 300, 'COIN');
});
afterAll(async () => runtime?.close());

describe('finance routes: access', () => {
  it('needs a signed-in admin (401 / 403)', async () => {
    for (const path of ['/api/v1/admin/finance/reconciliation', '/api/v1/admin/finance/accounts']) {
      const anonymous = await api('GET', path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('UNAUTHENTICATED');
      const customer = await api('GET', path, { token: customerToken });
      expect(customer.status).toBe(403);
      expect(customer.body.code).toBe('FORBIDDEN');
    }
  });

  it('refuses bad ranges with 400 and field errors', async () => {
    const cases: Array<[string, string]> = [
      ['from=2026-11-10&to=2026-11-09', 'from'],
      ['from=2025-01-01&to=2026-06-01', 'to'],
      ['from=last-week', 'from'],
      ['from=2026-11-01&to=2026-13-01', 'to'],
    ];
    for (const [query, path] of cases) {
      const response = await api('GET', `/api/v1/admin/finance/reconciliation?${query}`, { token: adminToken });
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
  });

  it('documents both routes in the OpenAPI document', async () => {
    const paths = Object.keys((await api('GET', '/openapi.json')).body.paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/admin/finance/reconciliation', '/api/v1/admin/finance/accounts']));
  });
});

describe('finance routes: the report', () => {
  it('lists every ledger account with its balance, cursor paginated', async () => {
    const position = String(await runtime.deps.store.headPosition());
    const all = await api('GET', '/api/v1/admin/finance/accounts', { token: adminToken, headers: { 'X-Min-Position': position } });
    expect(all.status).toBe(200);
    expect(all.headers.get('x-consistency')).toBe('consistent');
    const byId = Object.fromEntries(all.body.items.map((a: { accountId: string }) => [a.accountId, a]));
    expect(byId['wallet.u1']).toMatchObject({ kind: 'customer_wallet', balance: { amount: 7_500, currency: 'CNY' }, entries: 2 });
    expect(byId['platform.wallet-funding']).toMatchObject({ kind: 'wallet_funding', balance: { amount: -14_000, currency: 'CNY' } });
    expect(byId['coins.u1']).toMatchObject({ kind: 'customer_coins', balance: { amount: 300, currency: 'COIN' } });
    expect(all.body.items).toHaveLength(6);
    expect(all.body.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: Array<{ accountId: string }>; nextCursor: string | null } } = await api('GET', `/api/v1/admin/finance/accounts?limit=4${cursor ? `&cursor=${cursor}` : ''}`, { token: adminToken });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((a) => a.accountId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toHaveLength(6);

    const wallets = await api('GET', '/api/v1/admin/finance/accounts?kind=customer_wallet', { token: adminToken });
    expect(wallets.body.items.map((a: { accountId: string }) => a.accountId)).toEqual(['wallet.u1', 'wallet.u2']);
  });

  it('reconciles real transfers: ok, with balances, ledger sums and zero totals', async () => {
    const response = await api('GET', `/api/v1/admin/finance/reconciliation?from=${today()}&to=${today()}`, { token: adminToken });
    expect(response.status).toBe(200);
    const report = response.body;
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['ok', 'checkedEvents', 'accounts', 'unbalancedTransfers', 'missingTransfers', 'providerMismatches']));
    expect(report.ok).toBe(true);
    expect(report.checkedEvents).toBe(await runtime.deps.store.headPosition());
    expect(report.transfers).toBe(4);
    expect(report.accounts.find((a: { account: string }) => a.account === 'wallet.u1')).toEqual({
      account: 'wallet.u1',
      kind: 'customer_wallet',
      balance: { amount: 7_500, currency: 'CNY' },
      ledgerSum: { amount: 7_500, currency: 'CNY' },
      diff: { amount: 0, currency: 'CNY' },
      entries: 2,
    });
    expect(report.totals).toEqual([
      { currency: 'CNY', sum: 0 },
      { currency: 'COIN', sum: 0 },
    ]);
    expect(report).toMatchObject({ unbalancedTransfers: [], missingTransfers: [], providerMismatches: [] });
  });

  it('reports a debit whose credit leg never came, with its cause event', async () => {
    const leg = { transferId: 'broken-1', accountId: 'wallet.u2', counterpartyId: 'clearing.wallet', amount: 1_000, currency: 'CNY', cause: cause('broken-1'), at: new Date().toISOString() };
    const debited = await runtime.deps.handlers.account.handle(accountStream('wallet.u2'), { type: 'Debit', leg, allowNegative: false });
    const response = await api('GET', '/api/v1/admin/finance/reconciliation', { token: adminToken });
    expect(response.status).toBe(200);
    const report = response.body;
    expect(report.ok).toBe(false);
    expect(report.unbalancedTransfers).toEqual([
      expect.objectContaining({ transferId: 'broken-1', reason: 'missing_credit_leg', from: 'wallet.u2', to: 'clearing.wallet', events: [expect.objectContaining({ position: debited.position, streamId: 'account-wallet.u2', type: 'AccountDebited' })] }),
    ]);
    expect(report.accounts.find((a: { account: string }) => a.account === 'wallet.u2')).toMatchObject({ balance: { amount: 3_000 }, ledgerSum: { amount: 4_000 }, diff: { amount: -1_000 } });
    expect(report.totals).toContainEqual({ currency: 'CNY', sum: -1_000 });
  });
});
