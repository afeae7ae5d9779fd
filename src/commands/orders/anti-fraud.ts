import type { Deps } from '../../deps.js';
import { DomainError } from '../../kernel/errors.js';
import { windowCounter } from '../../kernel/rate-limit.js';
import type { Money } from '../../domain/common/money.js';

/**
 * Anti-fraud for checkout (seed: antifraud): a list of rules, each looking at the checkout and either
 * passing or naming why it looks like fraud (FRAUD_SUSPECTED). Rules that count (velocity) take one
 * count when they pass; `undo` gives it back when the checkout then fails for another reason.
 */
export interface CheckoutFacts {
  userId: string;
  ip: string;
  payable: Money;
  itemCount: number;
}

export interface FraudRule {
  name: string;
  /** A reason when the checkout looks fraudulent; null to let it pass. */
  check(facts: CheckoutFacts): Promise<string | null>;
  /** Takes back what `check` counted (the checkout failed later). */
  undo?(facts: CheckoutFacts): Promise<void>;
}

export class FraudSuspected extends DomainError {
  constructor(rule: string, reason: string) {
    super('FRAUD_SUSPECTED', `this order was refused by our fraud checks: ${reason}`, { rule });
  }
}

export const FRAUD_LIMITS = {
  /** Orders one user may place per window. */
  perUser: 30,
  /** Orders from one IP address per window (lifted with BAZAAR_LIMITS=relaxed). */
  perIp: 100,
  windowMs: 10 * 60 * 1000,
  /** The most one checkout may cost, minor units (CNY 50,000.00). */
  maxPayable: 5_000_000,
};

export function velocityRule(deps: Pick<Deps, 'kv'>, name: string, subject: (facts: CheckoutFacts) => string, limit: number, windowMs: number): FraudRule {
  const counter = windowCounter(deps.kv, `fraud:${name}`, windowMs);
  return {
    name,
    async check(facts) {
      const { count } = await counter.hit(subject(facts), Number.MAX_SAFE_INTEGER); // only the count: no Retry-After read
      if (count <= limit) return null;
      await counter.give(subject(facts));
      return `too many orders in a short time (${name})`;
    },
    async undo(facts) {
      await counter.give(subject(facts));
    },
  };
}

export const amountCeilingRule = (maxPayable: number): FraudRule => ({
  name: 'amount-ceiling',
  check: async (facts) => (facts.payable.amount > maxPayable ? `the amount exceeds what one checkout may cost (${maxPayable} minor units)` : null),
});

/** The default rules: velocity per user, per IP (strict limits only) and an amount ceiling. */
export function defaultFraudRules(deps: Pick<Deps, 'kv' | 'config'>, limits = FRAUD_LIMITS): FraudRule[] {
  const rules = [amountCeilingRule(limits.maxPayable), velocityRule(deps, 'user', (facts) => facts.userId, limits.perUser, limits.windowMs)];
  if (deps.config.BAZAAR_LIMITS === 'strict') rules.push(velocityRule(deps, 'ip', (facts) => facts.ip, limits.perIp, limits.windowMs));
  return rules;
}

/** Runs the rules in order; on a refusal undoes the counts already taken. Returns an undo for the whole check. */
export async function screen(rules: FraudRule[], facts: CheckoutFacts): Promise<() => Promise<void>> {
  const passed: FraudRule[] = [];
  const undo = async () => {
    for (const rule of passed) await rule.undo?.(facts).catch(() => undefined);
  };
  for (const rule of rules) {
    const reason = await rule.check(facts);
    if (reason !== null) {
      await undo();
      throw new FraudSuspected(rule.name, reason);
    }
    passed.push(rule);
  }
  return undo;
}
