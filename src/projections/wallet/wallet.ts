import type { ViewProjection } from '../../kernel/view-projection.js';
import type { AccountEvent } from '../../domain/accounts/account.js';

/** `wallet_entries`: every leg on a customer's wallet and coins accounts, for GET /me/wallet (newest first). */
export const WALLET_ENTRIES = 'wallet_entries';

export interface WalletEntryView {
  [key: string]: unknown;
  id: string;
  userId: string;
  account: 'wallet' | 'coins';
  accountId: string;
  transferId: string;
  direction: 'credit' | 'debit';
  amount: number;
  currency: string;
  counterparty: string;
  cause: { type: string; id: string };
  at: string;
  position: number;
}

export const walletEntriesProjection: ViewProjection = {
  name: 'wallet_entries',
  collections: [WALLET_ENTRIES],
  indexes: { [WALLET_ENTRIES]: [['userId', 'position']] },
  route(event) {
    if (!event.streamId.startsWith('account-wallet.') && !event.streamId.startsWith('account-coins.')) return [];
    if (event.type !== 'AccountDebited' && event.type !== 'AccountCredited') return [];
    const leg = (event as unknown as AccountEvent).data;
    return [{ collection: WALLET_ENTRIES, id: `${leg.accountId}|${leg.transferId}` }];
  },
  evolve(doc, recorded, key) {
    if (doc) return doc;
    const event = recorded as unknown as AccountEvent;
    const leg = event.data;
    const [prefix, ...owner] = leg.accountId.split('.');
    return {
      id: key.id,
      userId: owner.join('.'),
      account: prefix === 'coins' ? 'coins' : 'wallet',
      accountId: leg.accountId,
      transferId: leg.transferId,
      direction: event.type === 'AccountCredited' ? 'credit' : 'debit',
      amount: leg.amount,
      currency: leg.currency,
      counterparty: leg.counterpartyId,
      cause: leg.cause,
      at: leg.at,
      position: recorded.position,
    } satisfies WalletEntryView;
  },
};
