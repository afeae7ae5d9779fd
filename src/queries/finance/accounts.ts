import type { Deps } from '../../deps.js';
import type { FieldValue } from '../../ports/view-store.js';
import { LEDGER_ACCOUNTS, type LedgerAccountView } from '../../projections/finance/ledger-accounts.js';
import { LEDGER_ENTRIES, type LedgerEntryView } from '../../projections/finance/ledger-entries.js';
import type { Money } from '../../domain/common/money.js';

export interface LedgerAccountResource {
  accountId: string;
  kind: string | null;
  balance: Money;
  entries: number;
  updatedAt: string;
}

const resource = (view: LedgerAccountView): LedgerAccountResource => ({
  accountId: view.accountId,
  kind: view.kind,
  balance: { amount: view.balance, currency: view.currency },
  entries: view.entries,
  updatedAt: view.updatedAt,
});

/** Every ledger account with its balance (the `ledger_accounts` view), by account id, cursor paginated. */
export async function listLedgerAccounts(
  deps: Pick<Deps, 'views'>,
  query: { kind?: string; limit: number; cursor?: string | null },
): Promise<{ items: LedgerAccountResource[]; nextCursor: string | null }> {
  const where: Record<string, FieldValue> = {};
  if (query.kind !== undefined) where.kind = query.kind;
  const page = await deps.views.find<LedgerAccountView>(LEDGER_ACCOUNTS, { where, limit: query.limit, cursor: query.cursor ?? null });
  return { items: page.items.map(resource), nextCursor: page.nextCursor };
}

/** One ledger account as the `ledger_accounts` view has it, or null (no entry yet, or no such account). */
export async function ledgerAccount(deps: Pick<Deps, 'views'>, accountId: string): Promise<LedgerAccountResource | null> {
  const view = await deps.views.get<LedgerAccountView>(LEDGER_ACCOUNTS, accountId);
  return view ? resource(view) : null;
}

/** One leg of a transfer on an account: `amount` is positive, `direction` gives its sign (credit +, debit −). */
export interface LedgerEntryResource {
  id: string;
  accountId: string;
  transferId: string;
  direction: 'debit' | 'credit';
  amount: Money;
  counterparty: string;
  cause: { type: string; id: string };
  at: string;
  position: number;
}

/** An account's entries (the `ledger_entries` view), newest first, cursor paginated. */
export async function listLedgerEntries(
  deps: Pick<Deps, 'views'>,
  accountId: string,
  query: { limit: number; cursor?: string | null },
): Promise<{ items: LedgerEntryResource[]; nextCursor: string | null }> {
  const page = await deps.views.find<LedgerEntryView>(LEDGER_ENTRIES, { where: { accountId }, orderBy: { field: 'position', direction: 'desc' }, limit: query.limit, cursor: query.cursor ?? null });
  return {
    items: page.items.map((entry) => ({
      id: entry.id,
      accountId: entry.accountId,
      transferId: entry.transferId,
      direction: entry.direction,
      amount: { amount: entry.amount, currency: entry.currency },
      counterparty: entry.counterparty,
      cause: entry.cause,
      at: entry.at,
      position: entry.position,
    })),
    nextCursor: page.nextCursor,
  };
}
