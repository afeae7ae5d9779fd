import { z } from 'zod';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError, UnauthenticatedError, ValidationError } from '../../kernel/errors.js';
import { applyCapture, applyDecline } from './settle.js';
import { confirmCardRefund } from '../refunds/refunds.js';

const CallbackSchema = z.object({
  paymentId: z.string().min(1).max(100),
  providerRef: z.string().min(1).max(200),
  status: z.enum(['captured', 'declined']),
  declineReason: z.string().max(200).optional(),
});

const RefundCallbackSchema = z.object({
  type: z.literal('refund'),
  refundId: z.string().min(1).max(200),
  paymentId: z.string().min(1).max(100),
  providerRef: z.string().min(1).max(200),
  status: z.literal('refunded'),
});

/**
 * POST /payments/callbacks/:provider. Payment outcomes, and refund confirmations (`type: "refund"`: the
 * card refund completes only when this arrives). The signature is checked over the raw body before anything else
 * (bad or missing → 401, nothing recorded); duplicates and out-of-order deliveries decide nothing.
 */
export async function receiveCallback(deps: Deps, providerName: string, rawBody: string, signature: string | undefined, metadata: EventMetadata = {}): Promise<{ paymentId: string; status: string; refundId?: string }> {
  const provider = deps.paymentProvider;
  if (providerName !== provider.name) throw new NotFoundError('payment provider');
  if (!provider.verify(rawBody, signature)) throw new UnauthenticatedError('the callback signature is missing or wrong');
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new ValidationError('the callback body is not JSON');
  }
  if (typeof parsed === 'object' && parsed !== null && (parsed as { type?: unknown }).type === 'refund') {
    const refund = RefundCallbackSchema.safeParse(parsed);
    if (!refund.success) throw new ValidationError('the refund callback body has an unexpected shape', refund.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
    const meta: EventMetadata = { ...metadata, actor: { id: `provider:${provider.name}`, role: 'system' }, causationId: refund.data.providerRef };
    const confirmed = await confirmCardRefund(deps, refund.data, meta);
    return { paymentId: refund.data.paymentId, refundId: confirmed.refundId, status: confirmed.status };
  }
  const result = CallbackSchema.safeParse(parsed);
  if (!result.success) throw new ValidationError('the callback body has an unexpected shape', result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
  const callback = result.data;
  const meta: EventMetadata = { ...metadata, actor: { id: `provider:${provider.name}`, role: 'system' }, causationId: callback.providerRef };
  const payment =
    callback.status === 'captured'
      ? await applyCapture(deps, callback.paymentId, callback.providerRef, meta)
      : await applyDecline(deps, callback.paymentId, callback.declineReason ?? 'declined', meta);
  return { paymentId: callback.paymentId, status: payment.status };
}
