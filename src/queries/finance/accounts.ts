import type { Deps } from '../../deps.js';
import type { FieldValue } from '../../ports/view-store.js';
import { LEDGER_ACCOUNTS, type LedgerAccountView } from '../../projections/finance/ledger-accounts.js';
import type { Money } from '../../domain/shared/money.js';

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
