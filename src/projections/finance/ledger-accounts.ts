import type { ViewProjection } from '../../kernel/view-projection.js';
import type { TransferLeg } from '../../domain/accounts/account.js';
import { accountPolicy } from '../../domain/accounts/account-ids.js';

export const LEDGER_ACCOUNTS = 'ledger_accounts';

/** One ledger account as finance lists it (GET /api/v1/admin/finance/accounts). */
export interface LedgerAccountView {
  [field: string]: unknown;
  accountId: string;
  /** accountPolicy(accountId).kind; null for an id no policy knows. */
  kind: string | null;
  currency: string;
  /** Credits minus debits, integer minor units (or coins). */
  balance: number;
  entries: number;
  /** Time of the latest entry (from the event, never the clock). */
  updatedAt: string;
  /** Global position of the latest entry. */
  position: number;
}

const PREFIX = 'account-';

/** Every ledger account with its balance, folded from its AccountDebited / AccountCredited events. */
export const ledgerAccountsProjection: ViewProjection = {
  name: 'ledger_accounts',
  collections: [LEDGER_ACCOUNTS],
  indexes: { [LEDGER_ACCOUNTS]: [['kind']] },
  route(event) {
    if (!event.streamId.startsWith(PREFIX) || (event.type !== 'AccountDebited' && event.type !== 'AccountCredited')) return [];
    return [{ collection: LEDGER_ACCOUNTS, id: event.streamId.slice(PREFIX.length) }];
  },
  evolve(doc, event, key) {
    const leg = event.data as TransferLeg;
    const current = doc as LedgerAccountView | null;
    const delta = event.type === 'AccountCredited' ? leg.amount : -leg.amount;
    const next: LedgerAccountView = {
      accountId: key.id,
      kind: accountPolicy(key.id, leg.currency)?.kind ?? null,
      currency: current?.currency ?? leg.currency,
      balance: (current?.balance ?? 0) + delta,
      entries: (current?.entries ?? 0) + 1,
      updatedAt: leg.at ?? event.recordedAt,
      position: event.position,
    };
    return next;
  },
};
