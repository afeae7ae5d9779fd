import { ConflictError, DomainError, NotFoundError, ValidationError, type FieldError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import type { Money } from '../common/money.js';

/**
 * An e-voucher (`voucher-<CODE>`), issued by an admin and funded by the platform: worth `amount` off a
 * payment. It may be used `maxUses` times in total and `perUserLimit` times per user (default 1). A
 * payment redeems it keyed by the payment id; a declined payment (or one refunded in full) releases it.
 */
export interface VoucherTerms {
  code: string;
  amount: Money;
  maxUses: number;
  perUserLimit: number;
  startsAt: string | null;
  endsAt: string | null;
}

export type VoucherEvent =
  | { type: 'VoucherIssued'; data: VoucherTerms & { at: string } }
  | { type: 'VoucherRedeemed'; data: { code: string; redemptionId: string; userId: string; amount: Money; at: string } }
  | { type: 'VoucherReleased'; data: { code: string; redemptionId: string; userId: string; at: string } }
  /** An admin ended it early: no redemption from `at` on (open redemptions stand). */
  | { type: 'VoucherEnded'; data: { code: string; at: string } };

export type VoucherCommand =
  | { type: 'IssueVoucher'; terms: VoucherTerms; at: string }
  | { type: 'RedeemVoucher'; redemptionId: string; userId: string; at: string }
  | { type: 'ReleaseVoucher'; redemptionId: string; at: string }
  | { type: 'EndVoucher'; at: string };

export type ActiveVoucher = VoucherTerms & {
  status: 'active';
  issuedAt: string;
  /** Open redemptions by redemption (payment) id. */
  redemptions: Record<string, string>;
  /** Redemption ids ever taken (a released one may not be taken again). */
  settled: string[];
  /** When an admin ended it (absent in states folded before ending existed). */
  endedAt?: string | null;
};

export type Voucher = { status: 'none' } | ActiveVoucher;

export class VoucherInvalid extends DomainError {
  constructor(reason: string, message: string) {
    super('VOUCHER_INVALID', message, { reason });
  }
}

export const normalizeVoucherCode = (code: string): string => code.trim().toUpperCase();
export const VOUCHER_CODE = /^[A-Z0-9_-]{1,40}$/;

export function voucherTermsErrors(terms: VoucherTerms): FieldError[] {
  const errors: FieldError[] = [];
  if (!VOUCHER_CODE.test(terms.code)) errors.push({ path: 'code', message: 'letters, digits, _ and -, at most 40' });
  if (!Number.isSafeInteger(terms.amount.amount) || terms.amount.amount <= 0) errors.push({ path: 'amount.amount', message: 'must be a positive integer' });
  if (!Number.isSafeInteger(terms.maxUses) || terms.maxUses < 1) errors.push({ path: 'maxUses', message: 'must be ≥ 1' });
  if (!Number.isSafeInteger(terms.perUserLimit) || terms.perUserLimit < 1) errors.push({ path: 'perUserLimit', message: 'must be ≥ 1' });
  if (terms.startsAt && terms.endsAt && Date.parse(terms.endsAt) <= Date.parse(terms.startsAt)) errors.push({ path: 'endsAt', message: 'must be after startsAt' });
  return errors;
}

/** Why this user may not use the voucher now, or null. */
export function voucherRefusal(state: Voucher, userId: string, at: string): VoucherInvalid | null {
  if (state.status === 'none') return new VoucherInvalid('unknown', 'no such voucher');
  const now = Date.parse(at);
  if (state.endedAt) return new VoucherInvalid('expired', 'the voucher has been ended');
  if (state.startsAt && now < Date.parse(state.startsAt)) return new VoucherInvalid('not_started', 'the voucher is not valid yet');
  if (state.endsAt && now >= Date.parse(state.endsAt)) return new VoucherInvalid('expired', 'the voucher has expired');
  const open = Object.values(state.redemptions);
  if (open.length >= state.maxUses) return new VoucherInvalid('used_up', 'the voucher has been used up');
  if (open.filter((user) => user === userId).length >= state.perUserLimit) return new VoucherInvalid('already_used', 'you have already used this voucher');
  return null;
}

export function evolve(state: Voucher, event: VoucherEvent): Voucher {
  switch (event.type) {
    case 'VoucherIssued': {
      const { at, ...terms } = event.data;
      return { ...terms, status: 'active', issuedAt: at, redemptions: {}, settled: [], endedAt: null };
    }
    case 'VoucherEnded':
      return state.status === 'none' ? state : { ...state, endedAt: event.data.at };
    case 'VoucherRedeemed':
      return state.status === 'none' ? state : { ...state, redemptions: { ...state.redemptions, [event.data.redemptionId]: event.data.userId }, settled: [...state.settled, event.data.redemptionId] };
    case 'VoucherReleased': {
      if (state.status === 'none') return state;
      const { [event.data.redemptionId]: _released, ...redemptions } = state.redemptions;
      return { ...state, redemptions };
    }
  }
}

const sameTerms = (a: VoucherTerms, b: VoucherTerms) => JSON.stringify([a.code, a.amount, a.maxUses, a.perUserLimit, a.startsAt, a.endsAt]) === JSON.stringify([b.code, b.amount, b.maxUses, b.perUserLimit, b.startsAt, b.endsAt]);

export function decide(command: VoucherCommand, state: Voucher): VoucherEvent[] {
  switch (command.type) {
    case 'IssueVoucher': {
      const errors = voucherTermsErrors(command.terms);
      if (errors.length) throw new ValidationError('invalid voucher', errors);
      if (state.status !== 'none') {
        if (sameTerms(state, command.terms)) return [];
        throw new ConflictError('VOUCHER_EXISTS', `voucher ${command.terms.code} exists with other terms`);
      }
      return [{ type: 'VoucherIssued', data: { ...command.terms, at: command.at } }];
    }
    case 'RedeemVoucher': {
      if (state.status === 'none') throw new VoucherInvalid('unknown', 'no such voucher');
      if (state.settled.includes(command.redemptionId)) return []; // resent (or released: never taken again)
      const refusal = voucherRefusal(state, command.userId, command.at);
      if (refusal) throw refusal;
      return [{ type: 'VoucherRedeemed', data: { code: state.code, redemptionId: command.redemptionId, userId: command.userId, amount: state.amount, at: command.at } }];
    }
    case 'ReleaseVoucher': {
      if (state.status === 'none') throw new NotFoundError('voucher');
      const userId = state.redemptions[command.redemptionId];
      if (userId === undefined) return [];
      return [{ type: 'VoucherReleased', data: { code: state.code, redemptionId: command.redemptionId, userId, at: command.at } }];
    }
    case 'EndVoucher': {
      if (state.status === 'none') throw new NotFoundError('voucher');
      if (state.endedAt) return [];
      return [{ type: 'VoucherEnded', data: { code: state.code, at: command.at } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const voucherDecider: Decider<VoucherCommand, VoucherEvent, Voucher> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const voucherStream = (code: string) => `voucher-${code}`;
