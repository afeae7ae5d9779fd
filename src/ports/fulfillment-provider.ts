/**
 * FulfillmentProvider port: the carriers' gateway (seed: FulfillmentService). A shipment is handed over
 * with `dispatch`; the carrier later reports delivery or failure with a signed callback to
 * POST /api/v1/fulfillment/callbacks/<name> (`{ shipmentId, status: "delivered" | "failed" }`,
 * X-Signature = HMAC-SHA256 hex of the raw body), which `verify` checks. The embedded default is a
 * sandbox (src/adapters/fulfillment/sandbox.ts).
 */
export interface DispatchRequest {
  shipmentId: string;
  orderId: string;
  carrier: string;
  trackingNumber: string;
}

export type FulfillmentOutcome = 'delivered' | 'failed';

export interface FulfillmentProvider {
  readonly name: string;
  dispatch(request: DispatchRequest): Promise<void>;
  /** Verifies the signature of a callback over its raw body. */
  verify(rawBody: string, signature: string | undefined): boolean;
}
