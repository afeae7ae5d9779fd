import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { ConflictError, InvalidStateTransition, NotFoundError } from '../../../src/kernel/errors.js';
import { paymentDecider, type PaymentEvent, type PaymentTerms } from '../../../src/domain/payments/payment.js';
import { plannedTransfers } from '../../../src/domain/payments/transfers-plan.js';
import { payOrderDecider } from '../../../src/domain/orders/pay-order.js';

const at = '2030-01-01T00:00:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const common = { paymentId: 'P', payOrderId: 'PO', userId: 'U', method: 'card' as const, provider: 'sandbox' };
const terms: PaymentTerms = {
  amount: cny(8_500),
  fee: cny(51),
  payable: cny(10_000),
  coins: 1_000,
  coinsValue: cny(1_000),
  voucherCode: 'V1',
  voucherValue: cny(500),
  allocations: [
    { orderId: 'O1', merchantId: 'A', total: cny(6_000), charged: 5_100, coins: 600, coinsValue: 600, voucherValue: 300, commission: 0 },
    { orderId: 'O2', merchantId: 'B', total: cny(4_000), charged: 3_400, coins: 400, coinsValue: 400, voucherValue: 200, commission: 40 },
  ],
  cardLast4: '4242',
  requestHash: 'h',
};
const initiated: PaymentEvent = { type: 'PaymentInitiated', data: { ...common, ...terms, at } };
const captured = (refundedOrderIds: string[] = [], afterDecline = false): PaymentEvent => ({
  type: 'PaymentCaptured',
  data: { ...common, at, providerRef: 'ch', amount: terms.amount, fee: terms.fee, coins: 1_000, coinsValue: terms.coinsValue, voucherCode: 'V1', voucherValue: terms.voucherValue, allocations: terms.allocations, refundedOrderIds, afterDecline },
});
const declined: PaymentEvent = { type: 'PaymentDeclined', data: { ...common, at, reason: 'card_declined', coins: 1_000, coinsHeld: true, voucherCode: 'V1' } };

describe('payment decider', () => {
  it('initiates once; the same request again decides nothing; another request behind the id is refused', () => {
    spec(paymentDecider).given().when({ type: 'InitiatePayment', payment: { ...common, ...terms }, at }).then(initiated);
    spec(paymentDecider).given(initiated).when({ type: 'InitiatePayment', payment: { ...common, ...terms }, at }).thenNothing();
    spec(paymentDecider).given(initiated).when({ type: 'InitiatePayment', payment: { ...common, ...terms, requestHash: 'other' }, at }).thenThrows(ConflictError, 'IDEMPOTENCY_KEY_REUSED');
    spec(paymentDecider).given().when({ type: 'RecordDecline', reason: 'x', coinsHeld: false, at }).thenThrows(NotFoundError);
  });
  it('records the submission once', () => {
    spec(paymentDecider).given(initiated).when({ type: 'RecordSubmission', providerRef: 'ch', at }).then({ type: 'PaymentSubmitted', data: { ...common, at, providerRef: 'ch' } });
    spec(paymentDecider).given(initiated, { type: 'PaymentSubmitted', data: { ...common, at, providerRef: 'ch' } }).when({ type: 'RecordSubmission', providerRef: 'ch', at }).thenNothing();
  });
  it('pending → captured; duplicates and a late decline decide nothing', () => {
    spec(paymentDecider).given(initiated).when({ type: 'RecordCapture', providerRef: 'ch', cancelledOrderIds: [], at }).then(captured());
    spec(paymentDecider).given(initiated, captured()).when({ type: 'RecordCapture', providerRef: 'ch', cancelledOrderIds: [], at }).thenNothing();
    spec(paymentDecider).given(initiated, captured()).when({ type: 'RecordDecline', reason: 'late', coinsHeld: true, at }).thenNothing();
  });
  it('pending → declined; a second decline decides nothing; a success after it is recorded for refund', () => {
    spec(paymentDecider).given(initiated).when({ type: 'RecordDecline', reason: 'card_declined', coinsHeld: true, at }).then(declined);
    spec(paymentDecider).given(initiated, declined).when({ type: 'RecordDecline', reason: 'again', coinsHeld: true, at }).thenNothing();
    spec(paymentDecider).given(initiated, declined).when({ type: 'RecordCapture', providerRef: 'ch', cancelledOrderIds: [], at }).then(captured(['O1', 'O2'], true));
  });
  it('a capture with cancelled orders is refunded, then flagged, once each', () => {
    const late = captured(['O2']);
    spec(paymentDecider).given(initiated).when({ type: 'RecordCapture', providerRef: 'ch', cancelledOrderIds: ['O2', 'X'], at }).then(late);
    const refunded: PaymentEvent = { type: 'PaymentRefundedAfterCancel', data: { ...common, at, refundId: 'P-late', providerRef: 're', amount: cny(3_400), orderIds: ['O2'], allocations: [terms.allocations[1]!] } };
    spec(paymentDecider).given(initiated, late).when({ type: 'RecordRefundAfterCancel', providerRef: 're', at }).then(refunded);
    spec(paymentDecider).given(initiated, late, refunded).when({ type: 'RecordRefundAfterCancel', providerRef: 're', at }).thenNothing();
    spec(paymentDecider).given(initiated, captured()).when({ type: 'RecordRefundAfterCancel', providerRef: 're', at }).thenThrows(InvalidStateTransition);
    const flag: PaymentEvent = { type: 'PaymentFlaggedForReview', data: { ...common, at, reason: 'captured_after_cancel', amount: cny(3_400), orderIds: ['O2'] } };
    spec(paymentDecider).given(initiated, late, refunded).when({ type: 'FlagForReview', reason: 'captured_after_cancel', at }).then(flag);
    spec(paymentDecider).given(initiated, late, refunded, flag).when({ type: 'FlagForReview', reason: 'captured_after_cancel', at }).thenNothing();
    const all = [initiated, captured(['O1', 'O2'])].reduce(paymentDecider.evolve, paymentDecider.initialState());
    const everything = paymentDecider.decide({ type: 'RecordRefundAfterCancel', providerRef: 're', at }, all);
    expect(everything.reduce(paymentDecider.evolve, all).status).toBe('refunded');
  });
});

describe('plannedTransfers', () => {
  it('a capture: coins hold, fee, per order capture, coins value, voucher, commission; sums balance', () => {
    const ids = plannedTransfers(captured()).map((transfer) => transfer.transferId);
    expect(ids).toEqual([
      'payment-P-coins-hold',
      'payment-P-fee',
      'payment-P-capture-O1',
      'payment-P-coins-value-O1',
      'payment-P-voucher-O1',
      'payment-P-capture-O2',
      'payment-P-coins-value-O2',
      'payment-P-voucher-O2',
      'payment-P-commission-O2',
    ]);
    const merchantIn = plannedTransfers(captured()).filter((t) => t.to.startsWith('merchant.')).reduce((sum, t) => sum + t.amount, 0);
    expect(merchantIn).toBe(10_000);
  });
  it('a late capture moves the cancelled order share to refunds payable and gives its coins back; the refund pays it out', () => {
    const ids = plannedTransfers(captured(['O2'])).map((transfer) => transfer.transferId);
    expect(ids).toContain('payment-P-late-O2');
    expect(ids).toContain('payment-P-coins-return-O2');
    expect(ids).not.toContain('payment-P-capture-O2');
    const refund = plannedTransfers({ type: 'PaymentRefundedAfterCancel', data: { ...common, at, refundId: 'P-late', providerRef: 're', amount: cny(3_400), orderIds: ['O2'], allocations: [terms.allocations[1]!] } });
    expect(refund).toEqual([{ transferId: 'payment-P-refund-O2', from: 'platform.refunds', to: 'clearing.sandbox', amount: 3_400, currency: 'CNY', cause: { type: 'payment', id: 'P' } }]);
  });
  it('a decline lists the hold and its return; a wallet capture debits the wallet; other events nothing', () => {
    expect(plannedTransfers(declined).map((t) => t.transferId)).toEqual(['payment-P-coins-hold', 'payment-P-coins-return']);
    const wallet = captured();
    (wallet.data as { method: string; provider: string }).method = 'wallet';
    (wallet.data as { method: string; provider: string }).provider = 'wallet';
    expect(plannedTransfers(wallet)[1]).toMatchObject({ transferId: 'payment-P-wallet', from: 'wallet.U', to: 'clearing.wallet', amount: 8_500 });
    expect(plannedTransfers(initiated)).toEqual([]);
    expect(plannedTransfers(captured([], true)).map((t) => t.transferId)).not.toContain('payment-P-coins-hold');
  });
});

describe('pay order payment slot', () => {
  const placed = {
    type: 'PayOrderPlaced' as const,
    data: { payOrderId: 'PO', userId: 'U', orders: [], subtotal: cny(1), discount: cny(0), shipping: cny(0), payable: cny(1), promotionCode: null, expiresAt: at, requestHash: 'h', at },
  };
  it('one payment in flight; ended → another may start; paid → refused', () => {
    const started = { type: 'PayOrderPaymentStarted' as const, data: { payOrderId: 'PO', paymentId: 'P1', at } };
    spec(payOrderDecider).given(placed).when({ type: 'StartPayment', paymentId: 'P1', at }).then(started);
    spec(payOrderDecider).given(placed, started).when({ type: 'StartPayment', paymentId: 'P1', at }).thenNothing();
    spec(payOrderDecider).given(placed, started).when({ type: 'StartPayment', paymentId: 'P2', at }).thenThrows(ConflictError, 'PAYMENT_IN_PROGRESS');
    const ended = { type: 'PayOrderPaymentEnded' as const, data: { payOrderId: 'PO', paymentId: 'P1', outcome: 'declined' as const, at } };
    spec(payOrderDecider).given(placed, started).when({ type: 'EndPayment', paymentId: 'P1', outcome: 'declined', at }).then(ended);
    spec(payOrderDecider).given(placed, started, ended).when({ type: 'StartPayment', paymentId: 'P2', at }).then({ type: 'PayOrderPaymentStarted', data: { payOrderId: 'PO', paymentId: 'P2', at } });
    const paid = { type: 'PayOrderPaid' as const, data: { payOrderId: 'PO', paymentId: 'P1', at } };
    spec(payOrderDecider).given(placed, started, paid, ended).when({ type: 'StartPayment', paymentId: 'P3', at }).thenThrows(InvalidStateTransition);
    spec(payOrderDecider).given(placed, paid).when({ type: 'RecordPaid', paymentId: 'P1', at }).thenNothing();
  });
});
