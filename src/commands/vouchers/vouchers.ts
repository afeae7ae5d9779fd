import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError } from '../../kernel/errors.js';
import type { Money } from '../../domain/common/money.js';
import { normalizeVoucherCode, voucherStream, type ActiveVoucher } from '../../domain/vouchers/voucher.js';

export interface IssueVoucherInput {
  code: string;
  amount: Money;
  maxUses?: number | undefined;
  perUserLimit?: number | undefined;
  startsAt?: string | undefined;
  endsAt?: string | undefined;
}

export function voucherResource(state: ActiveVoucher) {
  const used = Object.keys(state.redemptions).length;
  return {
    code: state.code,
    amount: state.amount,
    maxUses: state.maxUses,
    perUserLimit: state.perUserLimit,
    startsAt: state.startsAt,
    endsAt: state.endsAt,
    issuedAt: state.issuedAt,
    endedAt: state.endedAt ?? null,
    used,
    remainingUses: Math.max(0, state.maxUses - used),
  };
}

/** POST /admin/vouchers: the same terms again answer unchanged; other terms → 409 VOUCHER_EXISTS. */
export async function issueVoucher(deps: Deps, input: IssueVoucherInput, metadata: EventMetadata) {
  const code = normalizeVoucherCode(input.code);
  const result = await deps.handlers.voucher.handle(
    voucherStream(code),
    {
      type: 'IssueVoucher',
      terms: { code, amount: input.amount, maxUses: input.maxUses ?? 1, perUserLimit: input.perUserLimit ?? 1, startsAt: input.startsAt ?? null, endsAt: input.endsAt ?? null },
      at: deps.clock.now().toISOString(),
    },
    { metadata },
  );
  return { voucher: voucherResource(result.state as ActiveVoucher), position: result.position, created: result.events.length > 0 };
}

export async function getVoucher(deps: Deps, code: string) {
  const { state } = await deps.handlers.voucher.load(voucherStream(normalizeVoucherCode(code)));
  if (state.status === 'none') throw new NotFoundError('voucher');
  return voucherResource(state);
}

/** Ends a voucher now (no payment redeems it from here on); ending an ended one answers it unchanged. */
export async function endVoucher(deps: Deps, code: string, metadata: EventMetadata) {
  const result = await deps.handlers.voucher.handle(voucherStream(normalizeVoucherCode(code)), { type: 'EndVoucher', at: deps.clock.now().toISOString() }, { metadata });
  return { voucher: voucherResource(result.state as ActiveVoucher), position: result.position };
}
