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

/** `returned`: the parcel of a failed delivery is back at the merchant (its goods return to stock). */
export type FulfillmentOutcome = 'delivered' | 'failed' | 'returned';

export interface FulfillmentProvider {
  readonly name: string;
  dispatch(request: DispatchRequest): Promise<void>;
  /** Verifies the signature of a callback over its raw body. */
  verify(rawBody: string, signature: string | undefined): boolean;
  /**
   * A sandbox's test dashboard (the dev routes drive it; real carriers have none): the carrier reports an
   * outcome and sends its signed callback; false when it never dispatched the shipment.
   */
  report?(shipmentId: string, status: FulfillmentOutcome, reason?: string): Promise<boolean>;
}
