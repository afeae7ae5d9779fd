import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { ValidationError } from '../../kernel/errors.js';
import { accountPolicy, accountStream } from '../../domain/accounts/account-ids.js';
import { BalanceLimitExceeded, type TransferLeg, type TransferRequest } from '../../domain/accounts/account.js';

export type { TransferRequest } from '../../domain/accounts/account.js';

export interface TransferResult {
  transferId: string;
  position: number;
}

/**
 * Posts a double-entry transfer: debits `from` (refused with INSUFFICIENT_FUNDS when that account may
 * not go negative), then credits `to`. Both legs are idempotent by transfer id, so a retry after a crash
 * between them completes the transfer; reconciliation lists a transfer missing its credit leg. A credit the
 * destination would refuse (its balance would pass Number.MAX_SAFE_INTEGER) is refused before the debit,
 * so a refused transfer leaves no half behind.
 */
export async function postTransfer(deps: Pick<Deps, 'handlers' | 'clock'>, request: TransferRequest, metadata: EventMetadata = {}): Promise<TransferResult> {
  const fromPolicy = accountPolicy(request.from, request.currency);
  const toPolicy = accountPolicy(request.to, request.currency);
  if (!fromPolicy || !toPolicy) throw new ValidationError('unknown ledger account', [{ path: fromPolicy ? 'to' : 'from', message: 'not a ledger account id' }]);
  if (request.from === request.to) throw new ValidationError('a transfer needs two different accounts', [{ path: 'to', message: 'must differ from the source' }]);
  if (fromPolicy.currency !== request.currency || toPolicy.currency !== request.currency) {
    throw new ValidationError(`both accounts must hold ${request.currency}`, [{ path: 'currency', message: `${request.from} holds ${fromPolicy.currency}, ${request.to} holds ${toPolicy.currency}` }]);
  }
  const at = deps.clock.now().toISOString();
  const leg = (accountId: string, counterpartyId: string): TransferLeg => ({
    transferId: request.transferId,
    accountId,
    counterpartyId,
    amount: request.amount,
    currency: request.currency,
    cause: request.cause,
    at,
  });
  const { state: destination } = await deps.handlers.account.load(accountStream(request.to));
  if (!destination.posted.has(request.transferId) && !Number.isSafeInteger(destination.balance + request.amount)) throw new BalanceLimitExceeded(request.to, destination.balance, request.amount);
  await deps.handlers.account.handle(accountStream(request.from), { type: 'Debit', leg: leg(request.from, request.to), allowNegative: fromPolicy.allowNegative }, { metadata, maxAttempts: 50 });
  const credited = await deps.handlers.account.handle(accountStream(request.to), { type: 'Credit', leg: leg(request.to, request.from) }, { metadata, maxAttempts: 50 });
  return { transferId: request.transferId, position: credited.position };
}

/** The balance as the account's own stream says (strongly consistent). */
export async function accountBalance(deps: Pick<Deps, 'handlers'>, accountId: string): Promise<{ balance: number; currency: string | null; entries: number }> {
  const { state } = await deps.handlers.account.load(accountStream(accountId));
  return { balance: state.balance, currency: state.currency, entries: state.entries };
}
