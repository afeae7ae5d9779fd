import { expect } from 'vitest';
import { cny, settled } from './catalog-support.js';
import { address, line, newBuyer, newSku, next, type OrderWorld } from './orders-support.js';
import type { SandboxProvider } from '../../src/adapters/payments/sandbox.js';
import { accountBalance, postTransfer } from '../../src/commands/accounts/transfers.js';
import { accountIds } from '../../src/domain/accounts/account-ids.js';
import type { AccountEvent } from '../../src/domain/accounts/account.js';

export type Buyer = Awaited<ReturnType<typeof newBuyer>>;
export const sandboxOf = (world: OrderWorld) => world.runtime.deps.paymentProvider as SandboxProvider;

/** Delivers every scheduled callback and lets reactors catch up. */
export async function drain(world: OrderWorld) {
  await sandboxOf(world).idle();
  await settled(world);
}

export async function checkout(world: OrderWorld, buyer: Buyer, skus: Array<{ skuId: string; price: number }>, quantity = 1) {
  const placed = await world.api('POST', '/api/v1/orders', { token: buyer.token, body: { items: skus.map((sku) => line(sku, quantity)), shippingAddress: address } });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  return placed.body as { payOrderId: string; orders: Array<{ id: string }>; payable: { amount: number } };
}

export const pay = (world: OrderWorld, buyer: Buyer, payOrderId: string, body: unknown, key?: string) =>
  world.api('POST', `/api/v1/pay-orders/${payOrderId}/payments`, { token: buyer.token, body, headers: key ? { 'Idempotency-Key': key } : {} });

export const card = (number = '4242424242424242') => ({ method: 'card', card: { number } });

export async function orderView(world: OrderWorld, buyer: Buyer, orderId: string) {
  await drain(world);
  const view = await world.api('GET', `/api/v1/orders/${orderId}`, { token: buyer.token });
  expect(view.status).toBe(200);
  return view.body as { status: string; paymentStatus: string };
}

export const balance = async (world: OrderWorld, accountId: string) => (await accountBalance(world.runtime.deps, accountId)).balance;

export async function giveCoins(world: OrderWorld, userId: string, coins: number) {
  await postTransfer(world.runtime.deps, { transferId: `grant-${next()}-${userId}`, from: accountIds.coinsIssuance, to: accountIds.coins(userId), amount: coins, currency: 'COIN', cause: { type: 'test', id: userId } });
}

export async function topUp(world: OrderWorld, userId: string, amount: number, key?: string) {
  return world.api('POST', `/api/v1/admin/accounts/${userId}/credits`, { token: world.adminToken, body: { amount: cny(amount), reason: 'test' }, headers: key ? { 'Idempotency-Key': key } : {} });
}

/** Σ balances per currency over every account event, and every customer wallet/coins balance. */
export async function ledgerTotals(world: OrderWorld) {
  const events = await world.runtime.deps.store.readAll();
  const totals: Record<string, number> = {};
  const balances: Record<string, number> = {};
  for (const event of events) {
    if (event.type !== 'AccountCredited' && event.type !== 'AccountDebited') continue;
    const leg = (event as unknown as AccountEvent).data;
    const delta = event.type === 'AccountCredited' ? leg.amount : -leg.amount;
    totals[leg.currency] = (totals[leg.currency] ?? 0) + delta;
    balances[leg.accountId] = (balances[leg.accountId] ?? 0) + delta;
  }
  return { totals, balances };
}

export async function expectLedgerSound(world: OrderWorld) {
  const { totals, balances } = await ledgerTotals(world);
  for (const total of Object.values(totals)) expect(total).toBe(0);
  for (const [account, value] of Object.entries(balances)) if (account.startsWith('wallet.') || account.startsWith('coins.')) expect(value, account).toBeGreaterThanOrEqual(0);
}

export { newBuyer, newSku, cny };
