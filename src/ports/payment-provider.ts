import type { Money } from '../domain/common/money.js';

/**
 * PaymentProvider port: a card acquirer. A charge is started here and settled later by the provider's
 * signed callback (POST /api/v1/payments/callbacks/<name>); `query` serves the reconciliation reactor
 * (the seed's 查询补单); `settlement` is the provider's daily file that finance matches against
 * captured payments. The embedded default is a sandbox (src/adapters/payments/sandbox.ts).
 */
export type ProviderChargeStatus = 'pending' | 'captured' | 'declined' | 'refunded' | 'unknown';

export interface ChargeRequest {
  paymentId: string;
  amount: Money;
  card: { number: string };
}

export interface ProviderCharge {
  paymentId: string;
  providerRef: string;
  status: ProviderChargeStatus;
  amount: Money;
  /** What the provider keeps (a cost of the platform and merchants, never added to the customer's bill). */
  fee: Money;
  declineReason?: string;
}

export interface SettlementLine {
  paymentId: string;
  providerRef: string;
  /** `capture` for a charge, `refund` for money returned (negative direction). */
  kind: 'capture' | 'refund';
  amount: Money;
  fee: Money;
  at: string;
}

/** A refund as the provider knows it: `refunded` once the money is back on the card. */
export interface ProviderRefund {
  refundId: string;
  paymentId: string;
  providerRef: string;
  status: 'pending' | 'refunded' | 'failed';
  amount: Money;
}

export interface PaymentProvider {
  readonly name: string;
  /** Fee the provider will charge for this amount (known up front, shown at payment). */
  feeFor(amount: Money): Money;
  charge(request: ChargeRequest): Promise<{ providerRef: string }>;
  query(paymentId: string): Promise<ProviderCharge | null>;
  refund(request: { refundId: string; paymentId: string; amount: Money }): Promise<{ providerRef: string }>;
  /** A refund by its id (the refund sweeper re-queries a refund whose callback never came); null when unknown. */
  queryRefund(refundId: string): Promise<ProviderRefund | null>;
  /** Verifies the signature of a callback over its raw body. */
  verify(rawBody: string, signature: string | undefined): boolean;
  /** The provider's settlement for one UTC day (YYYY-MM-DD). */
  settlement(day: string): Promise<SettlementLine[]>;
  /** Sandbox control (dev routes): send a payment's last callback again `times` times; false when unknown. Absent on real providers. */
  redeliver?(paymentId: string, times: number): Promise<boolean>;
}
