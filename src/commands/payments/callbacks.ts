import { z } from 'zod';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { callbackOfShape, verifiedCallbackBody } from '../../kernel/signed-callback.js';
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
  const parsed = verifiedCallbackBody(provider, providerName, rawBody, signature, 'payment provider');
  if (typeof parsed === 'object' && parsed !== null && (parsed as { type?: unknown }).type === 'refund') {
    const refund = callbackOfShape(RefundCallbackSchema, parsed, 'refund callback');
    const meta: EventMetadata = { ...metadata, actor: { id: `provider:${provider.name}`, role: 'system' }, causationId: refund.providerRef };
    const confirmed = await confirmCardRefund(deps, refund, meta);
    return { paymentId: refund.paymentId, refundId: confirmed.refundId, status: confirmed.status };
  }
  const callback = callbackOfShape(CallbackSchema, parsed);
  const meta: EventMetadata = { ...metadata, actor: { id: `provider:${provider.name}`, role: 'system' }, causationId: callback.providerRef };
  const payment =
    callback.status === 'captured'
      ? await applyCapture(deps, callback.paymentId, callback.providerRef, meta)
      : await applyDecline(deps, callback.paymentId, callback.declineReason ?? 'declined', meta);
  return { paymentId: callback.paymentId, status: payment.status };
}
