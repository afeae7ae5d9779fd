import { createHmac, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';
import { ulid } from 'ulid';
import type { DispatchRequest, FulfillmentOutcome, FulfillmentProvider } from '../../ports/fulfillment-provider.js';

/**
 * The sandbox carrier (embedded default). It remembers dispatched shipments and, when told (the dev routes
 * POST /api/v1/dev/sandbox/shipments/:id/delivered|failed, or tests), sends the signed callback
 * `{ deliveryId, shipmentId, status, reason?, at }` (X-Signature: HMAC-SHA256 hex of the raw body) through
 * the `deliver` function wired at start-up (in-process, the handler of POST /fulfillment/callbacks/sandbox),
 * `duplicates` extra times. The dispatched shipments are kept in SQLite (table `sandbox_shipments` of
 * `sandbox.db` in the data dir), so the carrier still knows them after a restart.
 */
export type Deliver = (rawBody: string, signature: string) => Promise<unknown>;

export interface SandboxFulfillmentOptions {
  secret: string;
  name?: string;
  duplicates?: number;
  now?: () => Date;
  onDeliveryError?: (error: unknown) => void;
  /** Where the dispatched shipments are kept; an in-memory database by default. */
  db?: Database.Database;
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
  const shipments = shipmentBook(options.db ?? new Database(':memory:'));
  let deliver: Deliver | null = null;
  const sign = (rawBody: string) => createHmac('sha256', options.secret).update(rawBody).digest('hex');

  return {
    name,
    sign,
    connect(fn) {
      deliver = fn;
    },
    async dispatch(request) {
      shipments.add(request);
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

/** The carrier's record of dispatched shipments: the first dispatch of a shipment id stands. */
function shipmentBook(db: Database.Database) {
  // Waits for a lock first: switching to WAL takes one, and several processes may open the file at once.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = normal');
  db.exec('CREATE TABLE IF NOT EXISTS sandbox_shipments (shipment_id TEXT PRIMARY KEY, request TEXT NOT NULL) WITHOUT ROWID');
  const select = db.prepare<[string], { request: string }>('SELECT request FROM sandbox_shipments WHERE shipment_id = ?');
  const insert = db.prepare<[string, string]>('INSERT INTO sandbox_shipments (shipment_id, request) VALUES (?, ?) ON CONFLICT (shipment_id) DO NOTHING');
  return {
    has: (shipmentId: string) => select.get(shipmentId) !== undefined,
    get(shipmentId: string): DispatchRequest | undefined {
      const row = select.get(shipmentId);
      return row ? (JSON.parse(row.request) as DispatchRequest) : undefined;
    },
    add(request: DispatchRequest): void {
      const { shipmentId, orderId, carrier, trackingNumber } = request;
      insert.run(shipmentId, JSON.stringify({ shipmentId, orderId, carrier, trackingNumber }));
    },
  };
}
