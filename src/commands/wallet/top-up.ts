import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError, ValidationError } from '../../kernel/errors.js';
import { accountIds } from '../../domain/accounts/account-ids.js';
import { DEFAULT_CURRENCY, type Money } from '../../domain/common/money.js';
import { userStream } from '../../domain/users/user.js';
import { topUpTransfer } from '../../domain/payments/transfers-plan.js';
import { accountBalance, postTransfer } from '../accounts/transfers.js';
import { derivedId } from '../payments/pay.js';

/** POST /admin/accounts/:userId/credits: platform.wallet-funding → wallet.<user> (docs/ledger.md). */
export async function topUpWallet(deps: Deps, input: { userId: string; amount: Money; reason: string; idempotencyKey?: string | undefined }, metadata: EventMetadata) {
  if (!Number.isSafeInteger(input.amount.amount) || input.amount.amount <= 0) throw new ValidationError('a top-up is a positive amount', [{ path: 'amount.amount', message: 'must be a positive integer (minor units)' }]);
  if (input.amount.currency !== DEFAULT_CURRENCY) throw new ValidationError(`wallets hold ${DEFAULT_CURRENCY}`, [{ path: 'amount.currency', message: `must be ${DEFAULT_CURRENCY}` }]);
  const { state } = await deps.handlers.user.load(userStream(input.userId));
  if (state.status === 'none') throw new NotFoundError('user');
  const topUpId = input.idempotencyKey ? derivedId('topup', input.userId, input.idempotencyKey) : ulid();
  const transfer = topUpTransfer(topUpId, input.userId, input.amount);
  const result = await postTransfer(deps, transfer, { ...metadata, reason: input.reason });
  const balance = await accountBalance(deps, accountIds.wallet(input.userId));
  return {
    transfer: { transferId: transfer.transferId, from: transfer.from, to: transfer.to, amount: input.amount, reason: input.reason, cause: transfer.cause },
    balance: { amount: balance.balance, currency: balance.currency ?? DEFAULT_CURRENCY },
    position: result.position,
  };
}
