import { DomainError, ValidationError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/** What caused a transfer (a payment capture, a refund, a top-up…): the link reconciliation follows. */
export interface TransferCause {
  type: string;
  id: string;
}

export interface TransferLeg {
  transferId: string;
  accountId: string;
  counterpartyId: string;
  /** Positive integer minor units (or coins). */
  amount: number;
  currency: string;
  cause: TransferCause;
  at: string;
}

/** One transfer is two events on two streams: the debit of the source, then the credit of the destination. */
export type AccountEvent = { type: 'AccountDebited'; data: TransferLeg } | { type: 'AccountCredited'; data: TransferLeg };

export type AccountCommand =
  /**
   * `upTo`: take what the account holds, at most `leg.amount` (a clawback from an account that may not go
   * negative): the debit leg carries the amount actually taken, and nothing is appended when it holds nothing.
   */
  | { type: 'Debit'; leg: TransferLeg; allowNegative: boolean; upTo?: boolean }
  | { type: 'Credit'; leg: TransferLeg };

export interface Account {
  accountId: string | null;
  currency: string | null;
  /** Credits minus debits. */
  balance: number;
  entries: number;
  /** Transfers already posted on this account: a resent leg appends nothing. */
  posted: Set<string>;
}

export class InsufficientFunds extends DomainError {
  constructor(accountId: string, balance: number, amount: number) {
    super('INSUFFICIENT_FUNDS', `account ${accountId} holds ${balance}, less than ${amount}`, { accountId, balance, requested: amount });
  }
}

/**
 * Balances stay exact: a leg that would carry a balance past ±Number.MAX_SAFE_INTEGER is refused instead of
 * being rounded (doubles lose whole units there).
 */
export class BalanceLimitExceeded extends DomainError {
  constructor(accountId: string, balance: number, amount: number) {
    super('BALANCE_LIMIT_EXCEEDED', `account ${accountId} holds ${balance}: moving ${amount} more would pass the largest exact balance (${Number.MAX_SAFE_INTEGER})`, {
      accountId,
      balance,
      requested: amount,
      limit: Number.MAX_SAFE_INTEGER,
    });
  }
}

export const accountDecider: Decider<AccountCommand, AccountEvent, Account> = {
  initialState: () => ({ accountId: null, currency: null, balance: 0, entries: 0, posted: new Set() }),
  // `posted` is extended in place: copying it per event would make folding quadratic. States are
  // never shared across revisions (the command handler evolves only committed events).
  evolve(state, event) {
    const posted = state.posted.add(event.data.transferId);
    const delta = event.type === 'AccountCredited' ? event.data.amount : -event.data.amount;
    return { accountId: event.data.accountId, currency: event.data.currency, balance: state.balance + delta, entries: state.entries + 1, posted };
  },
  decide(command, state) {
    const { leg } = command;
    if (!Number.isSafeInteger(leg.amount) || leg.amount <= 0) throw new ValidationError('a transfer moves a positive whole amount', [{ path: 'amount', message: 'must be a positive integer' }]);
    if (state.currency !== null && state.currency !== leg.currency) {
      throw new ValidationError(`account ${leg.accountId} holds ${state.currency}, not ${leg.currency}`, [{ path: 'amount.currency', message: `must be ${state.currency}` }]);
    }
    if (state.posted.has(leg.transferId)) return [];
    if (command.type === 'Debit') {
      if (command.upTo && !command.allowNegative && state.balance < leg.amount) {
        return state.balance > 0 ? [{ type: 'AccountDebited', data: { ...leg, amount: state.balance } }] : [];
      }
      if (!command.allowNegative && state.balance < leg.amount) throw new InsufficientFunds(leg.accountId, state.balance, leg.amount);
      if (!Number.isSafeInteger(state.balance - leg.amount)) throw new BalanceLimitExceeded(leg.accountId, state.balance, -leg.amount);
      return [{ type: 'AccountDebited', data: leg }];
    }
    if (!Number.isSafeInteger(state.balance + leg.amount)) throw new BalanceLimitExceeded(leg.accountId, state.balance, leg.amount);
    return [{ type: 'AccountCredited', data: leg }];
  },
};

/** A double-entry transfer to post (commands/accounts/transfers.ts posts it; domain plans name them). */
export interface TransferRequest {
  /** Deterministic, derived from the cause (e.g. `payment-<id>-capture`): posting it again changes nothing. */
  transferId: string;
  from: string;
  to: string;
  amount: number;
  currency: string;
  cause: TransferCause;
}
