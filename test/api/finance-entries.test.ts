import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderWorld, type OrderWorld } from './orders-support.js';
import { card, checkout, cny, drain, newBuyer, newSku, pay, topUp, type Buyer } from './payments-support.js';
import { accountIds } from '../../src/domain/accounts/account-ids.js';

/**
 * GET /api/v1/admin/finance/accounts/{accountId}/entries (the `ledger_entries` read model) over money moved
 * through the API: a top-up, a wallet payment to merchant A and a card payment to merchant B, with 5 %
 * commission (docs/ledger.md).
 */

interface Entry {
  id: string;
  accountId: string;
  transferId: string;
  direction: 'debit' | 'credit';
  amount: { amount: number; currency: string };
  counterparty: string;
  cause: { type: string; id: string };
  at: string;
  position: number;
}
interface Account {
  accountId: string;
  kind: string | null;
  balance: { amount: number; currency: string };
  entries: number;
  updatedAt: string;
}

let world: OrderWorld;
let buyer: Buyer;
let topUpId: string;
let walletPaymentId: string;
let cardPaymentId: string;
let walletOrderId: string;
let cardOrderId: string;

const path = (accountId: string, query = '') => `/api/v1/admin/finance/accounts/${encodeURIComponent(accountId)}/entries${query}`;
const get = (accountId: string, query = '', token = world.adminToken) => world.api('GET', path(accountId, query), { token });
const signed = (entry: Entry) => (entry.direction === 'credit' ? entry.amount.amount : -entry.amount.amount);
/** What a test compares of an entry: the leg, without its id, time and position. */
const leg = (entry: Entry) => ({ transferId: entry.transferId, direction: entry.direction, amount: entry.amount, counterparty: entry.counterparty, cause: entry.cause });

/** Every entry of the account, page by page (`limit` per page), and the number of pages. */
async function walk(accountId: string, limit: number) {
  const items: Entry[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const page: { status: number; body: { account: Account; items: Entry[]; nextCursor: string | null } } = await get(accountId, `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor && pages < 1_000);
  return { items, pages };
}

beforeAll(async () => {
  world = await orderWorld({ BAZAAR_COMMISSION_BPS: '500' });
  const a = await newSku(world, { price: 3_000, stock: 5 });
  const b = await newSku(world, { price: 5_000, stock: 5, merchantToken: world.merchantB.token });
  buyer = await newBuyer(world);

  const credited = await topUp(world, buyer.id, 10_000, `entries-top-${buyer.id}`);
  expect(credited.status, JSON.stringify(credited.body)).toBe(201);
  topUpId = (credited.body.transfer.transferId as string).replace(/^topup-/, '');

  const byWallet = await checkout(world, buyer, [a]);
  const paidByWallet = await pay(world, buyer, byWallet.payOrderId, { method: 'wallet' });
  expect(paidByWallet.status, JSON.stringify(paidByWallet.body)).toBe(201);
  walletPaymentId = paidByWallet.body.paymentId;
  walletOrderId = byWallet.orders[0]!.id;
  await drain(world);

  const byCard = await checkout(world, buyer, [b]);
  const paidByCard = await pay(world, buyer, byCard.payOrderId, card());
  expect(paidByCard.status, JSON.stringify(paidByCard.body)).toBe(201);
  expect(paidByCard.body.fee).toEqual(cny(30));
  cardPaymentId = paidByCard.body.paymentId;
  cardOrderId = byCard.orders[0]!.id;
  await drain(world);
});
afterAll(() => world?.runtime.close());

describe('an account with its entries', () => {
  it("lists the buyer's wallet: the payment, then the top-up, newest first", async () => {
    const response = await world.api('GET', path(accountIds.wallet(buyer.id)), { token: world.adminToken, headers: { 'X-Min-Position': String(await world.runtime.deps.store.headPosition()) } });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.headers.get('x-consistency')).toBe('consistent');
    expect(response.body.account).toEqual({ accountId: `wallet.${buyer.id}`, kind: 'customer_wallet', balance: cny(7_000), entries: 2, updatedAt: expect.any(String) });
    expect(response.body.items.map(leg)).toEqual([
      { transferId: `payment-${walletPaymentId}-wallet`, direction: 'debit', amount: cny(3_000), counterparty: 'clearing.wallet', cause: { type: 'payment', id: walletPaymentId } },
      { transferId: `topup-${topUpId}`, direction: 'credit', amount: cny(10_000), counterparty: 'platform.wallet-funding', cause: { type: 'WalletTopUp', id: topUpId } },
    ]);
    const [newest, oldest] = response.body.items as Entry[];
    expect(newest).toMatchObject({ id: `wallet.${buyer.id}|payment-${walletPaymentId}-wallet`, accountId: `wallet.${buyer.id}` });
    expect(newest!.position).toBeGreaterThan(oldest!.position);
    expect(newest!.at >= oldest!.at).toBe(true);
    expect(response.body.account.updatedAt).toBe(newest!.at);
    expect(response.body.nextCursor).toBeNull();
  });

  it('lists the merchants: the capture in, the commission out', async () => {
    const a = await get(accountIds.merchantPayable('merchant-a'));
    expect(a.status).toBe(200);
    expect(a.body.account).toMatchObject({ kind: 'merchant_payable', balance: cny(2_850), entries: 2 });
    expect(a.body.items.map(leg)).toEqual([
      { transferId: `payment-${walletPaymentId}-commission-${walletOrderId}`, direction: 'debit', amount: cny(150), counterparty: 'platform.revenue', cause: { type: 'payment', id: walletPaymentId } },
      { transferId: `payment-${walletPaymentId}-capture-${walletOrderId}`, direction: 'credit', amount: cny(3_000), counterparty: 'clearing.wallet', cause: { type: 'payment', id: walletPaymentId } },
    ]);
    const b = await get(accountIds.merchantPayable('merchant-b'));
    expect(b.body.account).toMatchObject({ kind: 'merchant_payable', balance: cny(4_750), entries: 2 });
    expect(b.body.items.map(leg)).toEqual([
      { transferId: `payment-${cardPaymentId}-commission-${cardOrderId}`, direction: 'debit', amount: cny(250), counterparty: 'platform.revenue', cause: { type: 'payment', id: cardPaymentId } },
      { transferId: `payment-${cardPaymentId}-capture-${cardOrderId}`, direction: 'credit', amount: cny(5_000), counterparty: 'clearing.sandbox', cause: { type: 'payment', id: cardPaymentId } },
    ]);
  });

  it('lists the platform: commissions in, the provider fee out', async () => {
    const revenue = await get(accountIds.platformRevenue);
    expect(revenue.status).toBe(200);
    expect(revenue.body.account).toMatchObject({ accountId: 'platform.revenue', kind: 'platform_revenue', balance: cny(150 - 30 + 250), entries: 3 });
    expect(revenue.body.items.map(leg)).toEqual([
      { transferId: `payment-${cardPaymentId}-commission-${cardOrderId}`, direction: 'credit', amount: cny(250), counterparty: 'merchant.merchant-b', cause: { type: 'payment', id: cardPaymentId } },
      { transferId: `payment-${cardPaymentId}-fee`, direction: 'debit', amount: cny(30), counterparty: 'clearing.sandbox', cause: { type: 'payment', id: cardPaymentId } },
      { transferId: `payment-${walletPaymentId}-commission-${walletOrderId}`, direction: 'credit', amount: cny(150), counterparty: 'merchant.merchant-a', cause: { type: 'payment', id: walletPaymentId } },
    ]);
    const funding = await get(accountIds.walletFunding);
    expect(funding.body.items.map(leg)).toEqual([{ transferId: `topup-${topUpId}`, direction: 'debit', amount: cny(10_000), counterparty: `wallet.${buyer.id}`, cause: { type: 'WalletTopUp', id: topUpId } }]);
  });

  it("every account's entries add up to its balance and its entry count; limit=1 walks each entry once, newest first", async () => {
    const list = await world.api('GET', '/api/v1/admin/finance/accounts?limit=500', { token: world.adminToken });
    expect(list.status).toBe(200);
    const accounts = list.body.items as Account[];
    expect(accounts.map((a) => a.accountId)).toEqual(expect.arrayContaining([`wallet.${buyer.id}`, 'clearing.wallet', 'clearing.sandbox', 'merchant.merchant-a', 'merchant.merchant-b', 'platform.revenue', 'platform.wallet-funding']));
    let total = 0;
    for (const account of accounts) {
      const all = await walk(account.accountId, 500);
      expect(all.pages, account.accountId).toBe(1);
      expect(all.items, account.accountId).toHaveLength(account.entries);
      expect(all.items.reduce((sum, entry) => sum + signed(entry), 0), account.accountId).toBe(account.balance.amount);
      for (const entry of all.items) expect(entry.amount.currency).toBe(account.balance.currency);
      for (const entry of all.items) expect(entry.amount.amount, entry.id).toBeGreaterThan(0);

      const one = await walk(account.accountId, 1);
      expect(one.pages, account.accountId).toBe(account.entries);
      expect(one.items.map((entry) => entry.id)).toEqual(all.items.map((entry) => entry.id));
      expect(new Set(one.items.map((entry) => entry.id)).size).toBe(account.entries);
      const positions = one.items.map((entry) => entry.position);
      expect(positions).toEqual([...positions].sort((x, y) => y - x));
      total += account.balance.amount;
    }
    expect(total).toBe(0); // one currency (CNY) here: double entry sums to zero
  });
});

describe('refusals', () => {
  it('answers 404 NOT_FOUND for an account with no entry', async () => {
    for (const accountId of ['platform.nothing', 'wallet.nobody-here', accountIds.refundsPayable]) {
      const response = await get(accountId);
      expect(response.status, accountId).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body.code).toBe('NOT_FOUND');
    }
  });

  it('answers 400 for junk account ids, a bad limit and a bad cursor', async () => {
    for (const accountId of ['no-dot', '.revenue', 'wallet.', `wallet.${'x'.repeat(200)}`, 'wallet.<script>', 'Wallet.u1', 'wallet. u1']) {
      const response = await get(accountId);
      expect(response.status, accountId).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(['accountId']);
    }
    for (const limit of ['0', '501', '-1', '1.5', 'many']) {
      const response = await get(accountIds.platformRevenue, `?limit=${limit}`);
      expect(response.status, limit).toBe(400);
      expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(['limit']);
    }
    for (const cursor of ['not a cursor!', Buffer.from('["x"]').toString('base64url'), 'x'.repeat(501)]) {
      const response = await get(accountIds.platformRevenue, `?cursor=${encodeURIComponent(cursor)}`);
      expect(response.status, cursor).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((e: { path: string }) => e.path)).toEqual(['cursor']);
    }
    // The cursor is checked whether or not the account exists.
    expect((await get('platform.nothing', '?cursor=not-json')).status).toBe(400);
  });

  it('needs a signed-in admin: 401 anonymous, 403 for a customer (even the owner of the wallet) and a merchant', async () => {
    const anonymous = await world.api('GET', path(accountIds.platformRevenue));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
    for (const [who, token, accountId] of [
      ['customer', buyer.token, accountIds.wallet(buyer.id)],
      ['other customer', world.customerToken, accountIds.platformRevenue],
      ['merchant', world.merchantA.token, accountIds.merchantPayable('merchant-a')],
    ] as const) {
      const response = await get(accountId, '', token);
      expect(response.status, who).toBe(403);
      expect(response.body.code, who).toBe('FORBIDDEN');
    }
  });

  it('is documented in the OpenAPI document with its schemas', async () => {
    const doc = (await world.api('GET', '/openapi.json')).body;
    const operation = doc.paths['/api/v1/admin/finance/accounts/{accountId}/entries'].get;
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));
    expect(operation.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['path:accountId', 'query:limit', 'query:cursor']));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['LedgerAccount', 'LedgerEntry', 'LedgerEntryPage']));
  });
});
