import type { Deps } from '../../deps.js';
import { accountIds, accountStream } from '../../domain/accounts/account-ids.js';
import { DEFAULT_CURRENCY, type Money } from '../../domain/common/money.js';
import { WALLET_ENTRIES, type WalletEntryView } from '../../projections/wallet/wallet.js';
import { PAYMENTS, type PaymentView } from '../../projections/payments/payments.js';

export interface WalletAnswer {
  balance: Money;
  coins: number;
  entries: Array<{
    id: string;
    account: 'wallet' | 'coins';
    transferId: string;
    direction: 'credit' | 'debit';
    amount: Money | number;
    currency: string;
    counterparty: string;
    cause: { type: string; id: string };
    at: string;
  }>;
  nextCursor: string | null;
}

/** An account's balance folded from its stream: strongly consistent, where a read model may lag its writes. */
async function accountBalance(deps: Pick<Deps, 'handlers'>, accountId: string): Promise<{ balance: number; currency: string | null }> {
  const { state } = await deps.handlers.account.load(accountStream(accountId));
  return { balance: state.balance, currency: state.currency };
}

/** Balances from the account streams (strongly consistent); entries from the wallet_entries view, newest first. */
export async function getWallet(deps: Deps, userId: string, page: { limit: number; cursor?: string | undefined }): Promise<WalletAnswer> {
  const wallet = await accountBalance(deps, accountIds.wallet(userId));
  const coins = await accountBalance(deps, accountIds.coins(userId));
  const entries = await deps.views.find<WalletEntryView>(WALLET_ENTRIES, { where: { userId }, orderBy: { field: 'position', direction: 'desc' }, limit: page.limit, cursor: page.cursor ?? null });
  return {
    balance: { amount: wallet.balance, currency: wallet.currency ?? DEFAULT_CURRENCY },
    coins: coins.balance,
    entries: entries.items.map((entry) => ({
      id: entry.id,
      account: entry.account,
      transferId: entry.transferId,
      direction: entry.direction,
      amount: entry.account === 'coins' ? entry.amount : { amount: entry.amount, currency: entry.currency },
      currency: entry.currency,
      counterparty: entry.counterparty,
      cause: entry.cause,
      at: entry.at,
    })),
    nextCursor: entries.nextCursor,
  };
}

export async function coinsBalance(deps: Pick<Deps, 'handlers'>, userId: string): Promise<number> {
  return (await accountBalance(deps, accountIds.coins(userId))).balance;
}

export function flaggedPayments(deps: Deps, page: { limit: number; cursor?: string | undefined }) {
  return deps.views.find<PaymentView>(PAYMENTS, { where: { flagged: true }, orderBy: { field: 'flaggedAt', direction: 'desc' }, limit: page.limit, cursor: page.cursor ?? null });
}
