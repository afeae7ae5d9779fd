import { createHmac, timingSafeEqual } from 'node:crypto';
import { ulid } from 'ulid';
import type { DispatchRequest, FulfillmentOutcome, FulfillmentProvider } from '../../ports/fulfillment-provider.js';

/**
 * The sandbox carrier (embedded default). It remembers dispatched shipments and, when told (the dev routes
 * POST /api/v1/dev/sandbox/shipments/:id/delivered|failed, or tests), sends the signed callback
 * `{ deliveryId, shipmentId, status, reason?, at }` (X-Signature: HMAC-SHA256 hex of the raw body) through
 * the `deliver` function wired at start-up (in-process, the handler of POST /fulfillment/callbacks/sandbox),
 * `duplicates` extra times.
 */
export type Deliver = (rawBody: string, signature: string) => Promise<unknown>;

export interface SandboxFulfillmentOptions {
  secret: string;
  name?: string;
  duplicates?: number;
  now?: () => Date;
  onDeliveryError?: (error: unknown) => void;
}

export interface SandboxFulfillmentProvider extends FulfillmentProvider {
  connect(deliver: Deliver): void;
  sign(rawBody: string): string;
  /** The carrier reports an outcome; false when the shipment was never dispatched here. */
  report(shipmentId: string, status: FulfillmentOutcome, reason?: string): Promise<boolean>;
  dispatched(shipmentId: string): DispatchRequest | null;
}

export function sandboxFulfillmentProvider(options: SandboxFulfillmentOptions): SandboxFulfillmentProvider {
  const name = options.name ?? 'sandbox';
  const now = options.now ?? (() => new Date());
  const shipments = new Map<string, DispatchRequest>();
  let deliver: Deliver | null = null;
  const sign = (rawBody: string) => createHmac('sha256', options.secret).update(rawBody).digest('hex');

  return {
    name,
    sign,
    connect(fn) {
      deliver = fn;
    },
    async dispatch(request) {
      if (!shipments.has(request.shipmentId)) shipments.set(request.shipmentId, { ...request });
    },
    dispatched: (shipmentId) => shipments.get(shipmentId) ?? null,
    async report(shipmentId, status, reason) {
      if (!shipments.has(shipmentId)) return false;
      const body = JSON.stringify({ deliveryId: ulid(), shipmentId, status, ...(reason ? { reason } : {}), at: now().toISOString() });
      if (!deliver) return true;
      for (let i = 0; i < 1 + (options.duplicates ?? 0); i++) {
        try {
          await deliver(body, sign(body));
        } catch (error) {
          options.onDeliveryError?.(error);
          throw error;
        }
      }
      return true;
    },
    verify(rawBody, signature) {
      if (!signature || !/^[0-9a-f]{64}$/i.test(signature)) return false;
      return timingSafeEqual(Buffer.from(sign(rawBody), 'hex'), Buffer.from(signature, 'hex'));
    },
  };
}
