import type { ViewProjection } from '../../kernel/view-projection.js';
import type { AccountEvent } from '../../domain/accounts/account.js';

/** `ledger_entries`: every leg of every ledger account, for GET /api/v1/admin/finance/accounts/{accountId}/entries (newest first). */
export const LEDGER_ENTRIES = 'ledger_entries';

/** One AccountDebited / AccountCredited event of an `account-<id>` stream. */
export interface LedgerEntryView {
  [field: string]: unknown;
  /** `${accountId}|${transferId}`: a transfer has one leg per account. */
  id: string;
  accountId: string;
  transferId: string;
  direction: 'debit' | 'credit';
  /** Positive integer minor units (or coins): the direction gives the sign. */
  amount: number;
  currency: string;
  /** The other account of the transfer. */
  counterparty: string;
  cause: { type: string; id: string };
  /** From the event, never the clock. */
  at: string;
  /** Global position of the event. */
  position: number;
}

const PREFIX = 'account-';

export const ledgerEntriesProjection: ViewProjection = {
  name: 'ledger_entries',
  collections: [LEDGER_ENTRIES],
  indexes: { [LEDGER_ENTRIES]: [['accountId', 'position']] },
  route(event) {
    if (!event.streamId.startsWith(PREFIX) || (event.type !== 'AccountDebited' && event.type !== 'AccountCredited')) return [];
    // Keyed by the stream's account (as ledger_accounts is), so an account's entries sum to its balance.
    const leg = (event as unknown as AccountEvent).data;
    return [{ collection: LEDGER_ENTRIES, id: `${event.streamId.slice(PREFIX.length)}|${leg.transferId}` }];
  },
  evolve(doc, recorded, key) {
    // The account decider appends a transfer's leg once; should an event come again, the first one stays.
    if (doc) return doc;
    const event = recorded as unknown as AccountEvent;
    const leg = event.data;
    return {
      id: key.id,
      accountId: recorded.streamId.slice(PREFIX.length),
      transferId: leg.transferId,
      direction: event.type === 'AccountCredited' ? 'credit' : 'debit',
      amount: leg.amount,
      currency: leg.currency,
      counterparty: leg.counterpartyId,
      cause: leg.cause,
      at: leg.at ?? recorded.recordedAt,
      position: recorded.position,
    } satisfies LedgerEntryView;
  },
};
