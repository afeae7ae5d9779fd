import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError } from '../../kernel/errors.js';
import { DEFAULT_CURRENCY, type Money } from '../../domain/common/money.js';
import { normalizeCode, promotionStream, type ActivePromotion, type PromotionKind, type PromotionTerms } from '../../domain/promotions/promotion.js';

/** Promotion codes (admin): create, read usage and budget; checkout redeems and cancellation returns them. */
export interface CreatePromotionInput {
  code: string;
  kind: PromotionKind;
  value: number;
  minSpend?: Money;
  startsAt?: string;
  endsAt?: string;
  budget?: Money;
  usageLimit?: number;
  perUserLimit?: number;
}

export interface PromotionResource extends PromotionTerms {
  createdAt: string;
  /** When an admin ended it (POST /admin/promotions/{code}/end), or null. */
  endedAt: string | null;
  /** Redemptions holding a usage slot now (returned ones do not count). */
  used: number;
  /** Redemptions ever made. */
  redeemedTotal: number;
  remainingUses: number | null;
  spent: Money;
  remainingBudget: Money | null;
  version: number;
}

export function promotionResource(state: ActivePromotion, version: number): PromotionResource {
  const { status: _status, redemptions: _r, returned: _d, perUser: _p, spent, used, redeemedTotal, createdAt, endedAt, ...terms } = state;
  return {
    ...terms,
    createdAt,
    endedAt: endedAt ?? null,
    used,
    redeemedTotal,
    remainingUses: terms.usageLimit === null ? null : Math.max(0, terms.usageLimit - used),
    spent: { amount: spent, currency: DEFAULT_CURRENCY },
    remainingBudget: terms.budget === null ? null : { amount: terms.budget.amount - spent, currency: terms.budget.currency },
    version,
  };
}

export async function createPromotion(deps: Deps, input: CreatePromotionInput, metadata: EventMetadata): Promise<{ promotion: PromotionResource; position: number }> {
  const terms: PromotionTerms = {
    code: normalizeCode(input.code),
    kind: input.kind,
    value: input.value,
    minSpend: input.minSpend ?? null,
    startsAt: input.startsAt ? new Date(input.startsAt).toISOString() : null,
    endsAt: input.endsAt ? new Date(input.endsAt).toISOString() : null,
    budget: input.budget ?? null,
    usageLimit: input.usageLimit ?? null,
    perUserLimit: input.perUserLimit ?? null,
  };
  const result = await deps.handlers.promotion.handle(promotionStream(terms.code), { type: 'CreatePromotion', terms, at: deps.clock.now().toISOString() }, { metadata });
  return { promotion: promotionResource(result.state as ActivePromotion, result.revision), position: result.position };
}

/** Read from the promotion's stream (strongly consistent: usage moves with every checkout). */
export async function getPromotion(deps: Deps, code: string): Promise<PromotionResource> {
  const { state, revision } = await deps.handlers.promotion.load(promotionStream(normalizeCode(code)));
  if (state.status !== 'active') throw new NotFoundError('promotion');
  return promotionResource(state, revision);
}

/** Ends a promotion now (no checkout redeems it from here on); ending an ended one answers it unchanged. */
export async function endPromotion(deps: Deps, code: string, metadata: EventMetadata, expectedVersion?: number): Promise<{ promotion: PromotionResource; position: number }> {
  const result = await deps.handlers.promotion.handle(promotionStream(normalizeCode(code)), { type: 'EndPromotion', at: deps.clock.now().toISOString() }, { metadata, ...(expectedVersion === undefined ? {} : { expectedRevision: expectedVersion }) });
  return { promotion: promotionResource(result.state as ActivePromotion, result.revision), position: result.position };
}

/** Gives back a redemption's discount (of some orders, or all); idempotent. A failure is logged: the expiry sweeper retries it. */
export async function returnPromotion(deps: Deps, input: { code: string; redemptionId: string; orderIds?: string[]; at: string }, metadata: EventMetadata): Promise<void> {
  try {
    await deps.handlers.promotion.handle(
      promotionStream(input.code),
      { type: 'ReturnPromotion', redemptionId: input.redemptionId, ...(input.orderIds ? { orderIds: input.orderIds } : {}), at: input.at },
      { metadata, maxAttempts: 20 },
    );
  } catch (error) {
    deps.logger.error({ err: error, ...input }, 'could not return a promotion redemption');
  }
}
