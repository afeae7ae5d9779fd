import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ulid } from 'ulid';
import type { Money } from '../../domain/shared/money.js';
import type { ChargeRequest, PaymentProvider, ProviderCharge, SettlementLine } from '../../ports/payment-provider.js';

/**
 * The sandbox card acquirer (embedded default). Cards: `4242424242424242` is captured,
 * `4000000000000002` is declined (`card_declined`), `4000000000000341` is captured but its callback is
 * lost (only `query` tells; exercises the stuck-payment sweeper); any other card is captured.
 * Each outcome is sent as a JSON callback signed with HMAC-SHA256 (hex) in `X-Signature`, through the
 * `deliver` function wired at start-up (in-process, the same handler as POST /payments/callbacks/sandbox),
 * after `delayMs`, `duplicates` extra times. A refund is answered with its provider reference at once and
 * confirmed later by a signed callback of the same scheme, on the same route, marked `type: "refund"`
 * (SandboxRefundCallback); the refund only counts as done when it arrives. Charges live in memory; `settlement(day)` lists the UTC day's
 * captures and refunds with their fees.
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
}

interface ChargeRecord {
  charge: ProviderCharge;
  capturedAt: string | null;
  lastCallback: string | null;
  refunds: Array<{ refundId: string; providerRef: string; amount: Money; at: string; callback: string }>;
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
  const charges = new Map<string, ChargeRecord>();
  const inFlight = new Set<Promise<unknown>>();
  let deliver: Deliver | null = null;
  let paused = false;
  const queued: string[] = [];

  const sign = (rawBody: string) => createHmac('sha256', options.secret).update(rawBody).digest('hex');
  const feeFor = (amount: Money): Money => ({ amount: Math.floor((amount.amount * feeBps + 5000) / 10000), currency: amount.currency });

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
      const existing = charges.get(request.paymentId);
      if (existing) return { providerRef: existing.charge.providerRef };
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
      const record: ChargeRecord = { charge, capturedAt: declined ? null : at, lastCallback: null, refunds: [] };
      charges.set(request.paymentId, record);
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
      record.lastCallback = JSON.stringify(callback);
      if (number !== SANDBOX_CARDS.lostCallback) schedule(record.lastCallback, 1 + (options.duplicates ?? 0));
      return { providerRef };
    },
    async query(paymentId) {
      const record = charges.get(paymentId);
      return record ? { ...record.charge } : null;
    },
    async refund(request) {
      const record = charges.get(request.paymentId);
      if (!record || record.charge.status === 'declined') throw new Error(`sandbox: no captured charge for payment ${request.paymentId}`);
      const existing = record.refunds.find((refund) => refund.refundId === request.refundId);
      if (existing) return { providerRef: existing.providerRef };
      const refunded = record.refunds.reduce((sum, refund) => sum + refund.amount.amount, 0);
      if (refunded + request.amount.amount > record.charge.amount.amount) throw new Error('sandbox: refund exceeds the captured amount');
      const providerRef = `re_${ulid()}`;
      const at = now().toISOString();
      const callback: SandboxRefundCallback = { type: 'refund', deliveryId: ulid(), refundId: request.refundId, paymentId: request.paymentId, providerRef, status: 'refunded', amount: request.amount, at };
      const body = JSON.stringify(callback);
      record.refunds.push({ refundId: request.refundId, providerRef, amount: request.amount, at, callback: body });
      if (refunded + request.amount.amount === record.charge.amount.amount) record.charge = { ...record.charge, status: 'refunded' };
      schedule(body, 1 + (options.duplicates ?? 0));
      return { providerRef };
    },
    verify(rawBody, signature) {
      if (!signature || !/^[0-9a-f]{64}$/i.test(signature)) return false;
      return timingSafeEqual(Buffer.from(sign(rawBody), 'hex'), Buffer.from(signature, 'hex'));
    },
    async settlement(day) {
      const lines: SettlementLine[] = [];
      for (const record of charges.values()) {
        const { charge } = record;
        if (record.capturedAt?.startsWith(day)) lines.push({ paymentId: charge.paymentId, providerRef: charge.providerRef, kind: 'capture', amount: charge.amount, fee: charge.fee, at: record.capturedAt });
        for (const refund of record.refunds) {
          if (refund.at.startsWith(day)) lines.push({ paymentId: charge.paymentId, providerRef: refund.providerRef, kind: 'refund', amount: refund.amount, fee: { amount: 0, currency: refund.amount.currency }, at: refund.at });
        }
      }
      return lines.sort((a, b) => a.at.localeCompare(b.at));
    },
    async redeliver(paymentId, times) {
      const record = charges.get(paymentId);
      if (!record?.lastCallback) return false;
      const body = record.lastCallback;
      const work = (async () => {
        for (let i = 0; i < times; i++) await send(body);
      })();
      track(work);
      await work;
      return true;
    },
    async redeliverRefund(refundId, times) {
      let body: string | null = null;
      for (const record of charges.values()) body ??= record.refunds.find((refund) => refund.refundId === refundId)?.callback ?? null;
      if (!body) return false;
      const callback = body;
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
