/**
 * Ledger accounts (`account-<accountId>` streams). Money moves only by double-entry transfers between
 * two of them, so the sum of all balances per currency is always zero. Customer wallets and coins can
 * never go negative; the platform's own accounts (clearing at a provider, revenue, refunds payable,
 * the sources of top-ups and coins) may, as they stand for money owed to or by the outside world.
 */
export const COINS = 'COIN';

export type AccountKind =
  | 'customer_wallet'
  | 'customer_coins'
  | 'provider_clearing'
  | 'merchant_payable'
  | 'platform_revenue'
  | 'refunds_payable'
  | 'wallet_funding'
  | 'coins_issuance'
  | 'coins_shortfall';

export const accountIds = {
  wallet: (userId: string) => `wallet.${userId}`,
  coins: (userId: string) => `coins.${userId}`,
  providerClearing: (provider: string) => `clearing.${provider}`,
  merchantPayable: (merchantId: string) => `merchant.${merchantId}`,
  platformRevenue: 'platform.revenue',
  refundsPayable: 'platform.refunds',
  walletFunding: 'platform.wallet-funding',
  coinsIssuance: 'platform.coins-issuance',
  /** Coins a refund should have taken back from a customer who had already spent them: written off, on the record. */
  coinsShortfall: 'platform.coins-shortfall',
} as const;

export interface AccountPolicy {
  kind: AccountKind;
  currency: string;
  allowNegative: boolean;
  /** The customer or merchant the account belongs to. */
  ownerId: string | null;
}

/** What an account id means: its kind, currency and whether it may go below zero. */
export function accountPolicy(accountId: string, currency = 'CNY'): AccountPolicy | null {
  const [prefix, ...rest] = accountId.split('.');
  const owner = rest.join('.');
  switch (prefix) {
    case 'wallet':
      return owner ? { kind: 'customer_wallet', currency, allowNegative: false, ownerId: owner } : null;
    case 'coins':
      return owner ? { kind: 'customer_coins', currency: COINS, allowNegative: false, ownerId: owner } : null;
    case 'clearing':
      return owner ? { kind: 'provider_clearing', currency, allowNegative: true, ownerId: null } : null;
    case 'merchant':
      return owner ? { kind: 'merchant_payable', currency, allowNegative: true, ownerId: owner } : null;
    case 'platform':
      if (accountId === accountIds.platformRevenue) return { kind: 'platform_revenue', currency, allowNegative: true, ownerId: null };
      if (accountId === accountIds.refundsPayable) return { kind: 'refunds_payable', currency, allowNegative: true, ownerId: null };
      if (accountId === accountIds.walletFunding) return { kind: 'wallet_funding', currency, allowNegative: true, ownerId: null };
      if (accountId === accountIds.coinsIssuance) return { kind: 'coins_issuance', currency: COINS, allowNegative: true, ownerId: null };
      if (accountId === accountIds.coinsShortfall) return { kind: 'coins_shortfall', currency: COINS, allowNegative: true, ownerId: null };
      return null;
    default:
      return null;
  }
}

export const accountStream = (accountId: string) => `account-${accountId}`;
