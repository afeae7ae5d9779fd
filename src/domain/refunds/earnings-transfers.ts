import { accountIds, COINS } from '../accounts/account-ids.js';
import type { TransferRequest } from '../accounts/account.js';
import type { RefundEvent } from './refund.js';

type EarningsReversed = Extract<RefundEvent, { type: 'RefundEarningsReversed' }>;

/**
 * The transfers of `RefundEarningsReversed` (docs/ledger.md): the commission back to the merchant, the coins
 * taken back from the customer, and the coins that could not be taken (already spent) written off.
 */
export function earningsReversalTransfers(event: EarningsReversed): TransferRequest[] {
  const { refundId, userId, merchantId, currency, commission, coins } = event.data;
  const cause = { type: 'refund', id: refundId };
  const id = `refund-${refundId}`;
  const out: TransferRequest[] = [];
  if (commission > 0) out.push({ transferId: `${id}-commission`, from: accountIds.platformRevenue, to: accountIds.merchantPayable(merchantId), amount: commission, currency, cause });
  if (coins.taken > 0) out.push(coinsClawback(refundId, userId, coins.taken));
  if (coins.shortfall > 0) out.push({ transferId: `${id}-coins-shortfall`, from: accountIds.coinsShortfall, to: accountIds.coinsIssuance, amount: coins.shortfall, currency: COINS, cause });
  return out;
}

/** Earned coins taken back from the customer (its debit leg is posted first, "up to" what the account holds). */
export function coinsClawback(refundId: string, userId: string, coins: number): TransferRequest {
  return { transferId: `refund-${refundId}-coins-clawback`, from: accountIds.coins(userId), to: accountIds.coinsIssuance, amount: coins, currency: COINS, cause: { type: 'refund', id: refundId } };
}
