import { ConflictError, DomainError, NotFoundError, ValidationError, type FieldError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import { DEFAULT_CURRENCY, type Money } from '../common/money.js';

/**
 * A promotion code (`promotion-<code>`): a percentage or fixed amount off the pay order's subtotal,
 * with an optional minimum spend, validity window, budget (total discount it may give), usage limit
 * and per-user limit. Checkout redeems it once per pay order (the redemption id is the pay order id,
 * so a resend decides nothing); cancelling an order returns that order's share of the discount, and
 * the usage slot comes back when every order of the pay order has returned its share.
 */
export const PROMOTION_KINDS = ['percent', 'fixed'] as const;
export type PromotionKind = (typeof PROMOTION_KINDS)[number];

export interface PromotionTerms {
  code: string;
  kind: PromotionKind;
  /** percent: 1-100 (whole percent); fixed: minor units off. */
  value: number;
  minSpend: Money | null;
  startsAt: string | null;
  endsAt: string | null;
  budget: Money | null;
  usageLimit: number | null;
  perUserLimit: number | null;
}

export interface Redemption {
  userId: string;
  /** Order id → the part of the discount it still holds. */
  shares: Record<string, number>;
}

export type PromotionEvent =
  | { type: 'PromotionCreated'; data: PromotionTerms & { at: string } }
  | {
      type: 'PromotionRedeemed';
      data: { code: string; redemptionId: string; userId: string; discount: Money; shares: Record<string, number>; expiresAt: string; at: string };
    }
  | { type: 'PromotionReturned'; data: { code: string; redemptionId: string; orderIds: string[]; amount: Money; complete: boolean; at: string } }
  /** An admin ended it early: no redemption from `at` on (redemptions already made stand). */
  | { type: 'PromotionEnded'; data: { code: string; at: string } };

export type PromotionCommand =
  | { type: 'CreatePromotion'; terms: PromotionTerms; at: string }
  | { type: 'RedeemPromotion'; redemptionId: string; userId: string; subtotal: Money; discount: Money; shares: Record<string, number>; expiresAt: string; at: string }
  /** Returns the shares of these orders (all of the redemption's when absent). */
  | { type: 'ReturnPromotion'; redemptionId: string; orderIds?: string[]; at: string }
  | { type: 'EndPromotion'; at: string };

export type ActivePromotion = PromotionTerms & {
  status: 'active';
  createdAt: string;
  redemptions: Record<string, Redemption>;
  /** Redemptions fully returned: a late resend must not redeem again. */
  returned: Record<string, true>;
  /** Redemptions holding a usage slot. */
  used: number;
  /** Minor units of discount currently given (not returned). */
  spent: number;
  /** Redemptions ever made, returned or not. */
  redeemedTotal: number;
  perUser: Record<string, number>;
  /** When an admin ended it (absent in states folded before ending existed). */
  endedAt?: string | null;
};

export type Promotion = { status: 'none' } | ActivePromotion;

export class PromotionInvalid extends DomainError {
  constructor(code: string, reason: string, message: string) {
    super('PROMOTION_INVALID', message, { promotionCode: code, reason });
  }
}

export const CODE_PATTERN = /^[A-Z0-9_-]{1,40}$/;

/** Codes are case-insensitive: kept and looked up in upper case. */
export const normalizeCode = (code: string): string => code.trim().toUpperCase();

/** The discount the terms give on a subtotal (never more than the subtotal). */
export function discountFor(terms: PromotionTerms, subtotal: number): number {
  const raw = terms.kind === 'percent' ? Math.floor((subtotal * terms.value) / 100) : terms.value;
  return Math.max(0, Math.min(raw, subtotal));
}

/** Why this promotion cannot be used now for this user and subtotal; null when it can. */
export function refusal(state: Promotion, input: { userId: string; subtotal: Money; discount: number; at: string }): PromotionInvalid | null {
  if (state.status !== 'active') return new PromotionInvalid('(unknown)', 'unknown', 'there is no such promotion code');
  const code = state.code;
  const at = Date.parse(input.at);
  if (state.endedAt) return new PromotionInvalid(code, 'ended', `promotion ${code} was ended at ${state.endedAt}`);
  if (state.startsAt !== null && at < Date.parse(state.startsAt)) return new PromotionInvalid(code, 'not_started', `promotion ${code} starts at ${state.startsAt}`);
  if (state.endsAt !== null && at >= Date.parse(state.endsAt)) return new PromotionInvalid(code, 'ended', `promotion ${code} ended at ${state.endsAt}`);
  if (input.subtotal.currency !== DEFAULT_CURRENCY) return new PromotionInvalid(code, 'currency', `promotion ${code} applies to ${DEFAULT_CURRENCY} orders`);
  if (state.minSpend !== null && input.subtotal.amount < state.minSpend.amount) {
    return new PromotionInvalid(code, 'min_spend', `promotion ${code} needs a subtotal of at least ${state.minSpend.amount} ${state.minSpend.currency} minor units`);
  }
  if (input.discount <= 0) return new PromotionInvalid(code, 'no_discount', `promotion ${code} gives no discount on this order`);
  if (state.usageLimit !== null && state.used >= state.usageLimit) return new PromotionInvalid(code, 'usage_limit', `promotion ${code} has been used up`);
  if (state.perUserLimit !== null && (state.perUser[input.userId] ?? 0) >= state.perUserLimit) {
    return new PromotionInvalid(code, 'per_user_limit', `you have used promotion ${code} as often as it allows`);
  }
  if (state.budget !== null && state.spent + input.discount > state.budget.amount) return new PromotionInvalid(code, 'budget', `promotion ${code} has run out of budget`);
  return null;
}

export function termsErrors(terms: PromotionTerms): FieldError[] {
  const errors: FieldError[] = [];
  if (!CODE_PATTERN.test(terms.code)) errors.push({ path: 'code', message: '1-40 letters, digits, _ or - (kept in upper case)' });
  if (!Number.isSafeInteger(terms.value) || terms.value <= 0) errors.push({ path: 'value', message: 'must be a positive integer' });
  else if (terms.kind === 'percent' && terms.value > 100) errors.push({ path: 'value', message: 'a percentage is 1-100' });
  for (const field of ['minSpend', 'budget'] as const) {
    const amount = terms[field];
    if (amount === null) continue;
    if (amount.currency !== DEFAULT_CURRENCY) errors.push({ path: `${field}.currency`, message: `must be ${DEFAULT_CURRENCY}` });
    if (!Number.isSafeInteger(amount.amount) || amount.amount < (field === 'budget' ? 1 : 0)) errors.push({ path: `${field}.amount`, message: 'must be a non-negative integer of minor units' });
  }
  for (const field of ['usageLimit', 'perUserLimit'] as const) {
    const limit = terms[field];
    if (limit !== null && (!Number.isSafeInteger(limit) || limit < 1)) errors.push({ path: field, message: 'must be a positive integer' });
  }
  for (const field of ['startsAt', 'endsAt'] as const) {
    const value = terms[field];
    if (value !== null && Number.isNaN(Date.parse(value))) errors.push({ path: field, message: 'must be an ISO-8601 date-time' });
  }
  if (terms.startsAt !== null && terms.endsAt !== null && Date.parse(terms.endsAt) <= Date.parse(terms.startsAt)) {
    errors.push({ path: 'endsAt', message: 'must be after startsAt' });
  }
  return errors;
}

const sum = (shares: Record<string, number>) => Object.values(shares).reduce((a, b) => a + b, 0);

export function evolve(state: Promotion, event: PromotionEvent): Promotion {
  switch (event.type) {
    case 'PromotionCreated': {
      const { at, ...terms } = event.data;
      return { ...terms, status: 'active', createdAt: at, redemptions: {}, returned: {}, used: 0, spent: 0, redeemedTotal: 0, perUser: {}, endedAt: null };
    }
    case 'PromotionEnded':
      return state.status === 'active' ? { ...state, endedAt: event.data.at } : state;
    case 'PromotionRedeemed': {
      if (state.status !== 'active') return state;
      const { redemptionId, userId, shares, discount } = event.data;
      return {
        ...state,
        redemptions: { ...state.redemptions, [redemptionId]: { userId, shares } },
        used: state.used + 1,
        spent: state.spent + discount.amount,
        redeemedTotal: state.redeemedTotal + 1,
        perUser: { ...state.perUser, [userId]: (state.perUser[userId] ?? 0) + 1 },
      };
    }
    case 'PromotionReturned': {
      if (state.status !== 'active') return state;
      const redemption = state.redemptions[event.data.redemptionId];
      if (!redemption) return state;
      const shares = Object.fromEntries(Object.entries(redemption.shares).filter(([orderId]) => !event.data.orderIds.includes(orderId)));
      const spent = state.spent - event.data.amount.amount;
      if (!event.data.complete) return { ...state, spent, redemptions: { ...state.redemptions, [event.data.redemptionId]: { ...redemption, shares } } };
      const { [event.data.redemptionId]: _gone, ...redemptions } = state.redemptions;
      const userCount = (state.perUser[redemption.userId] ?? 1) - 1;
      return {
        ...state,
        spent,
        redemptions,
        returned: { ...state.returned, [event.data.redemptionId]: true },
        used: state.used - 1,
        perUser: { ...state.perUser, [redemption.userId]: Math.max(0, userCount) },
      };
    }
  }
}

export function decide(command: PromotionCommand, state: Promotion): PromotionEvent[] {
  switch (command.type) {
    case 'CreatePromotion': {
      const errors = termsErrors(command.terms);
      if (errors.length > 0) throw new ValidationError('the promotion is not valid', errors);
      if (state.status === 'active') {
        const { status: _s, createdAt: _c, redemptions: _r, returned: _d, used: _u, spent: _p, redeemedTotal: _t, perUser: _q, endedAt: _e, ...terms } = state;
        if (JSON.stringify(terms) === JSON.stringify(command.terms)) return [];
        throw new ConflictError('PROMOTION_EXISTS', `promotion code ${command.terms.code} already exists`);
      }
      return [{ type: 'PromotionCreated', data: { ...command.terms, at: command.at } }];
    }
    case 'RedeemPromotion': {
      if (state.status !== 'active') throw new NotFoundError('promotion');
      if (state.redemptions[command.redemptionId] || state.returned[command.redemptionId]) return []; // resent
      if (sum(command.shares) !== command.discount.amount) throw new ValidationError('the shares must add up to the discount', [{ path: 'shares', message: 'must sum to discount' }]);
      const refused = refusal(state, { userId: command.userId, subtotal: command.subtotal, discount: command.discount.amount, at: command.at });
      if (refused) throw refused;
      const { redemptionId, userId, discount, shares, expiresAt, at } = command;
      return [{ type: 'PromotionRedeemed', data: { code: state.code, redemptionId, userId, discount, shares, expiresAt, at } }];
    }
    case 'ReturnPromotion': {
      if (state.status !== 'active') return [];
      const redemption = state.redemptions[command.redemptionId];
      if (!redemption) return []; // never redeemed, or already returned
      const orderIds = (command.orderIds ?? Object.keys(redemption.shares)).filter((orderId) => orderId in redemption.shares);
      if (orderIds.length === 0) return [];
      const amount = orderIds.reduce((total, orderId) => total + redemption.shares[orderId]!, 0);
      const complete = orderIds.length === Object.keys(redemption.shares).length;
      return [
        { type: 'PromotionReturned', data: { code: state.code, redemptionId: command.redemptionId, orderIds, amount: { amount, currency: DEFAULT_CURRENCY }, complete, at: command.at } },
      ];
    }
    case 'EndPromotion': {
      if (state.status !== 'active') throw new NotFoundError('promotion');
      if (state.endedAt) return []; // ended already: answered unchanged
      return [{ type: 'PromotionEnded', data: { code: state.code, at: command.at } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const promotionDecider: Decider<PromotionCommand, PromotionEvent, Promotion> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const promotionStream = (code: string) => `promotion-${code}`;
