import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ulid } from 'ulid';
import type { Money } from '../../domain/common/money.js';
import type { ChargeRequest, PaymentProvider, ProviderCharge, SettlementLine } from '../../ports/payment-provider.js';

/**
 * The sandbox card acquirer (embedded default). Cards: `4242424242424242` is captured,
 * `4000000000000002` is declined (`card_declined`), `4000000000000341` is captured but its callback is
 * lost (only `query` tells; exercises the stuck-payment sweeper); any other card is captured.
 * Each outcome is sent as a JSON callback signed with HMAC-SHA256 (hex) in `X-Signature`, through the
 * `deliver` function wired at start-up (in-process, the same handler as POST /payments/callbacks/sandbox),
 * after `delayMs`, `duplicates` extra times. A refund is answered with its provider reference at once and
 * confirmed later by a signed callback of the same scheme, on the same route, marked `type: "refund"`
 * (SandboxRefundCallback); the refund only counts as done when it arrives. Charges, refunds and the last
 * callback of each are kept in SQLite (`sandbox.db` in the data dir, as an acquirer keeps its books), so
 * `query`, `settlement(day)` (the UTC day's captures and refunds with their fees) and redelivery answer the
 * same after a restart and from another process (`bazaar reconcile`). Deliveries still scheduled when the
 * process stops are lost, as a real provider's callbacks can be: the stuck-payment sweeper queries them.
 */
export const SANDBOX_CARDS = { success: '4242424242424242', declined: '4000000000000002', lostCallback: '4000000000000341' } as const;

export interface SandboxCallback {
  deliveryId: string;
  paymentId: string;
  providerRef: string;
  status: 'captured' | 'declined';
  amount: Money;
  fee: Money;
  declineReason?: string;
  at: string;
}

/** The provider's confirmation that a refund was paid back to the card (same signature, same route). */
export interface SandboxRefundCallback {
  type: 'refund';
  deliveryId: string;
  refundId: string;
  paymentId: string;
  providerRef: string;
  status: 'refunded';
  amount: Money;
  at: string;
}

export type Deliver = (rawBody: string, signature: string) => Promise<unknown>;

export interface SandboxOptions {
  secret: string;
  name?: string;
  /** Fee in basis points of the amount (default 60 = 0.6 %), rounded half up. */
  feeBps?: number;
  delayMs?: number;
  duplicates?: number;
  now?: () => Date;
  onDeliveryError?: (error: unknown) => void;
  /** Where the sandbox keeps its books (tables `sandbox_charges`, `sandbox_refunds`); an in-memory database by default. */
  db?: Database.Database;
}

interface ChargeRow {
  charge: string;
  captured_at: string | null;
  last_callback: string | null;
}
interface RefundRow {
  refund_id: string;
  payment_id: string;
  provider_ref: string;
  amount: string;
  at: string;
  callback: string;
}

/** The sandbox's books: one row per charge (its ProviderCharge as JSON) and one per refund. */
function sandboxBooks(db: Database.Database) {
  // Waits for a lock first: switching to WAL takes one, and several processes may open the file at once.
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = normal');
  db.exec(`
    CREATE TABLE IF NOT EXISTS sandbox_charges (payment_id TEXT PRIMARY KEY, charge TEXT NOT NULL, captured_at TEXT, last_callback TEXT) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS sandbox_charges_captured_at ON sandbox_charges (captured_at) WHERE captured_at IS NOT NULL;
    CREATE TABLE IF NOT EXISTS sandbox_refunds (refund_id TEXT PRIMARY KEY, payment_id TEXT NOT NULL, provider_ref TEXT NOT NULL, amount TEXT NOT NULL, at TEXT NOT NULL, callback TEXT NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS sandbox_refunds_payment ON sandbox_refunds (payment_id);
    CREATE INDEX IF NOT EXISTS sandbox_refunds_at ON sandbox_refunds (at);
  `);
  return {
    charge: db.prepare<[string], ChargeRow>('SELECT charge, captured_at, last_callback FROM sandbox_charges WHERE payment_id = ?'),
    insertCharge: db.prepare<[string, string, string | null, string]>('INSERT INTO sandbox_charges (payment_id, charge, captured_at, last_callback) VALUES (?, ?, ?, ?) ON CONFLICT (payment_id) DO NOTHING'),
    updateCharge: db.prepare<[string, string]>('UPDATE sandbox_charges SET charge = ? WHERE payment_id = ?'),
    refund: db.prepare<[string], RefundRow>('SELECT * FROM sandbox_refunds WHERE refund_id = ?'),
    refundsOf: db.prepare<[string], RefundRow>('SELECT * FROM sandbox_refunds WHERE payment_id = ?'),
    insertRefund: db.prepare<[string, string, string, string, string, string]>('INSERT INTO sandbox_refunds (refund_id, payment_id, provider_ref, amount, at, callback) VALUES (?, ?, ?, ?, ?, ?)'),
    // A UTC day's rows: ISO timestamps of that day sort between 'YYYY-MM-DD' and 'YYYY-MM-DD~'.
    capturedOn: db.prepare<[string, string], ChargeRow>('SELECT charge, captured_at, last_callback FROM sandbox_charges WHERE captured_at >= ? AND captured_at < ?'),
    refundedOn: db.prepare<[string, string], RefundRow>('SELECT * FROM sandbox_refunds WHERE at >= ? AND at < ?'),
  };
}

export interface SandboxProvider extends PaymentProvider {
  /** Wires the callback handler (done by the composition root). */
  connect(deliver: Deliver): void;
  sign(rawBody: string): string;
  /** Sends the last callback of a payment again `times` times; false when it has none. */
  redeliver(paymentId: string, times: number): Promise<boolean>;
  /** Sends the refund callback of a refund again `times` times; false when there is no such refund. */
  redeliverRefund(refundId: string, times: number): Promise<boolean>;
  /** While paused, callbacks queue up until `resume`. */
  pause(): void;
  resume(): Promise<void>;
  /** Resolves when every scheduled delivery is done. */
  idle(): Promise<void>;
}

export function sandboxPaymentProvider(options: SandboxOptions): SandboxProvider {
  const name = options.name ?? 'sandbox';
  const feeBps = options.feeBps ?? 60;
  const now = options.now ?? (() => new Date());
  const db = options.db ?? new Database(':memory:');
  const books = sandboxBooks(db);
  const inFlight = new Set<Promise<unknown>>();
  let deliver: Deliver | null = null;
  let paused = false;
  const queued: string[] = [];

  const sign = (rawBody: string) => createHmac('sha256', options.secret).update(rawBody).digest('hex');
  const feeFor = (amount: Money): Money => ({ amount: Math.floor((amount.amount * feeBps + 5000) / 10000), currency: amount.currency });

  /** Books a refund once (by its id) in one transaction: the refunded total never exceeds the capture. */
  const recordRefund = db.transaction((request: { refundId: string; paymentId: string; amount: Money }): { existing: string } | { providerRef: string; body: string } => {
    const existing = books.refund.get(request.refundId);
    if (existing) return { existing: existing.provider_ref };
    const row = books.charge.get(request.paymentId);
    const charge = row ? (JSON.parse(row.charge) as ProviderCharge) : null;
    if (!charge || charge.status === 'declined') throw new Error(`sandbox: no captured charge for payment ${request.paymentId}`);
    const refunded = books.refundsOf.all(request.paymentId).reduce((sum, refund) => sum + (JSON.parse(refund.amount) as Money).amount, 0);
    if (refunded + request.amount.amount > charge.amount.amount) throw new Error('sandbox: refund exceeds the captured amount');
    const providerRef = `re_${ulid()}`;
    const at = now().toISOString();
    const callback: SandboxRefundCallback = { type: 'refund', deliveryId: ulid(), refundId: request.refundId, paymentId: request.paymentId, providerRef, status: 'refunded', amount: request.amount, at };
    const body = JSON.stringify(callback);
    books.insertRefund.run(request.refundId, request.paymentId, providerRef, JSON.stringify(request.amount), at, body);
    if (refunded + request.amount.amount === charge.amount.amount) books.updateCharge.run(JSON.stringify({ ...charge, status: 'refunded' }), request.paymentId);
    return { providerRef, body };
  });

  const send = (rawBody: string): Promise<void> => {
    if (!deliver) return Promise.resolve();
    const target = deliver;
    return target(rawBody, sign(rawBody)).then(
      () => undefined,
      (error: unknown) => options.onDeliveryError?.(error),
    );
  };
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const schedule = (rawBody: string, times: number) => {
    if (paused) {
      for (let i = 0; i < times; i++) queued.push(rawBody);
      return;
    }
    const delay = options.delayMs ?? 0;
    const work = new Promise<void>((resolve) => setTimeout(resolve, delay)).then(async () => {
      for (let i = 0; i < times; i++) await send(rawBody);
    });
    track(work);
  };

  return {
    name,
    feeFor,
    connect(fn) {
      deliver = fn;
    },
    sign,
    async charge(request: ChargeRequest) {
      const existing = books.charge.get(request.paymentId);
      if (existing) return { providerRef: (JSON.parse(existing.charge) as ProviderCharge).providerRef };
      const providerRef = `ch_${ulid()}`;
      const number = request.card.number.replace(/\s+/g, '');
      const declined = number === SANDBOX_CARDS.declined;
      const at = now().toISOString();
      const charge: ProviderCharge = {
        paymentId: request.paymentId,
        providerRef,
        status: declined ? 'declined' : 'captured',
        amount: request.amount,
        fee: declined ? { amount: 0, currency: request.amount.currency } : feeFor(request.amount),
        ...(declined ? { declineReason: 'card_declined' } : {}),
      };
      const callback: SandboxCallback = {
        deliveryId: ulid(),
        paymentId: request.paymentId,
        providerRef,
        status: declined ? 'declined' : 'captured',
        amount: charge.amount,
        fee: charge.fee,
        ...(declined ? { declineReason: 'card_declined' } : {}),
        at,
      };
      const body = JSON.stringify(callback);
      if (books.insertCharge.run(request.paymentId, JSON.stringify(charge), declined ? null : at, body).changes === 0) {
        // another process charged this payment first: its charge stands
        return { providerRef: (JSON.parse(books.charge.get(request.paymentId)!.charge) as ProviderCharge).providerRef };
      }
      if (number !== SANDBOX_CARDS.lostCallback) schedule(body, 1 + (options.duplicates ?? 0));
      return { providerRef };
    },
    async query(paymentId) {
      const row = books.charge.get(paymentId);
      return row ? (JSON.parse(row.charge) as ProviderCharge) : null;
    },
    async queryRefund(refundId) {
      const row = books.refund.get(refundId);
      // The sandbox pays a refund back when it accepts it; the callback only tells.
      return row ? { refundId, paymentId: row.payment_id, providerRef: row.provider_ref, status: 'refunded', amount: JSON.parse(row.amount) as Money } : null;
    },
    async refund(request) {
      const refunded = recordRefund(request);
      if ('existing' in refunded) return { providerRef: refunded.existing };
      schedule(refunded.body, 1 + (options.duplicates ?? 0));
      return { providerRef: refunded.providerRef };
    },
    verify(rawBody, signature) {
      if (!signature || !/^[0-9a-f]{64}$/i.test(signature)) return false;
      return timingSafeEqual(Buffer.from(sign(rawBody), 'hex'), Buffer.from(signature, 'hex'));
    },
    async settlement(day) {
      const lines: SettlementLine[] = [];
      for (const row of books.capturedOn.all(day, `${day}~`)) {
        const charge = JSON.parse(row.charge) as ProviderCharge;
        lines.push({ paymentId: charge.paymentId, providerRef: charge.providerRef, kind: 'capture', amount: charge.amount, fee: charge.fee, at: row.captured_at! });
      }
      for (const refund of books.refundedOn.all(day, `${day}~`)) {
        const amount = JSON.parse(refund.amount) as Money;
        lines.push({ paymentId: refund.payment_id, providerRef: refund.provider_ref, kind: 'refund', amount, fee: { amount: 0, currency: amount.currency }, at: refund.at });
      }
      return lines.sort((a, b) => a.at.localeCompare(b.at));
    },
    async redeliver(paymentId, times) {
      const body = books.charge.get(paymentId)?.last_callback;
      if (!body) return false;
      const work = (async () => {
        for (let i = 0; i < times; i++) await send(body);
      })();
      track(work);
      await work;
      return true;
    },
    async redeliverRefund(refundId, times) {
      const callback = books.refund.get(refundId)?.callback;
      if (!callback) return false;
      const work = (async () => {
        for (let i = 0; i < times; i++) await send(callback);
      })();
      track(work);
      await work;
      return true;
    },
    pause() {
      paused = true;
    },
    async resume() {
      paused = false;
      const bodies = queued.splice(0);
      const work = (async () => {
        for (const body of bodies) await send(body);
      })();
      track(work);
      await work;
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/** Without BAZAAR_SANDBOX_SECRET, a random signing key is generated once and kept in the data directory. */
export function sandboxSecretFromDataDir(dataDir: string): string {
  const file = join(dataDir, 'sandbox-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
