import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { DomainError, InvalidStateTransition, NotFoundError, ValidationError } from '../../kernel/errors.js';
import { accountIds } from '../../domain/accounts/account-ids.js';
import { InsufficientFunds } from '../../domain/accounts/account.js';
import { payOrderStream, type ActivePayOrder } from '../../domain/orders/pay-order.js';
import { allocate } from '../../domain/orders/allocation.js';
import { promotionStream } from '../../domain/promotions/promotion.js';
import { paymentStream, WALLET_PROVIDER, type Allocation, type PaymentMethod } from '../../domain/payments/payment.js';
import { normalizeVoucherCode, voucherRefusal, voucherStream, VoucherInvalid } from '../../domain/vouchers/voucher.js';
import { formatMoney, type Money } from '../../domain/common/money.js';
import { accountBalance, postTransfer } from '../accounts/transfers.js';
import { ensureOrders } from '../orders/place-order.js';
import { applyCapture, applyDecline, loadPayment } from './settle.js';
import { paymentCause, plannedTransfers } from '../../domain/payments/transfers-plan.js';

/**
 * POST /pay-orders/:id/payments (seed: OrderPayService). Validates in the seed's order: user, order
 * status, price, promotion, e-voucher, coins, method, fee; then takes the pay order's one in-flight
 * slot (PAYMENT_IN_PROGRESS), records the payment, redeems the voucher, holds the coins and either
 * captures from the wallet at once or asks the card provider (whose signed callback settles it).
 * A step that fails gives back the earlier ones by declining the payment.
 */
export interface PayInput {
  userId: string;
  payOrderId: string;
  method: PaymentMethod;
  card?: { number: string } | undefined;
  voucherCode?: string | undefined;
  coins?: number | undefined;
  idempotencyKey?: string | undefined;
}

export interface PaymentAnswer {
  paymentId: string;
  payOrderId: string;
  status: string;
  method: PaymentMethod;
  amount: Money;
  fee: Money;
  coins: number;
  coinsValue: Money;
  voucherValue: Money;
  position: number;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A ULID-shaped id derived from (user, pay order, Idempotency-Key). */
export function derivedId(kind: string, ...parts: string[]): string {
  const digest = createHash('sha256').update([kind, ...parts].join('\u0000')).digest();
  let bits = 0n;
  for (const byte of digest.subarray(0, 17)) bits = (bits << 8n) | BigInt(byte);
  let id = '';
  for (let i = 0; i < 26; i++) id += CROCKFORD[Number((bits >> BigInt(5 * i)) & 31n)];
  return `${'01234567'[digest[20]! & 7]}${id.slice(1)}`;
}

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

type PayDeps = Deps;

export async function payPayOrder(deps: PayDeps, input: PayInput, metadata: EventMetadata): Promise<PaymentAnswer> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const config = deps.config;
  // 1. user: the pay order is the caller's (another's is 404)
  const { state: payOrderState } = await deps.handlers.payOrder.load(payOrderStream(input.payOrderId));
  if (payOrderState.status === 'none' || payOrderState.userId !== input.userId) throw new NotFoundError('pay order');
  const payOrder: ActivePayOrder = payOrderState;
  const cardNumber = input.card?.number.replace(/[\s-]/g, '');
  const voucherCode = input.voucherCode ? normalizeVoucherCode(input.voucherCode) : null;
  const coins = input.coins ?? 0;
  const requestHash = createHash('sha256').update(JSON.stringify([input.payOrderId, input.method, cardNumber ?? null, voucherCode, coins])).digest('base64url');
  const paymentId = input.idempotencyKey ? derivedId('payment', input.userId, input.payOrderId, input.idempotencyKey) : ulid();
  if (input.idempotencyKey) {
    const { state: existing } = await deps.handlers.payment.load(paymentStream(paymentId));
    if (existing.status !== 'none') {
      if (existing.requestHash !== requestHash) throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another payment request');
      return answer(deps, paymentId);
    }
  }

  // 2. order status: every open order of the pay order is still pending_payment and inside its deadline
  await ensureOrders(deps, payOrder, metadata);
  if (payOrder.status === 'cancelled') throw new InvalidStateTransition('cancelled', 'pay a cancelled pay order');
  if (payOrder.paymentStatus === 'paid') throw new InvalidStateTransition('paid', 'pay a paid pay order');
  const open = payOrder.orders.filter((order) => !payOrder.cancelledOrderIds.includes(order.orderId));
  const orders = [];
  for (const definition of open) {
    const { state } = await deps.handlers.order.load(`order-${definition.orderId}`);
    if (state.status === 'none') throw new NotFoundError('order');
    if (state.status !== 'pending_payment') throw new InvalidStateTransition(state.status, `pay order ${state.orderId}`);
    if (now.getTime() >= Date.parse(state.expiresAt)) throw new InvalidStateTransition('expired', `pay order ${state.orderId} after its payment deadline`);
    orders.push(state);
  }
  if (orders.length === 0) throw new InvalidStateTransition('cancelled', 'pay a pay order without open orders');

  // 3. price: the open orders add up to the payable
  const payable = payOrder.payable;
  const sum = orders.reduce((total, order) => total + order.total.amount, 0);
  if (sum !== payable.amount || orders.some((order) => order.total.currency !== payable.currency)) {
    throw new DomainError('PAYABLE_CHANGED', `the orders add up to ${sum}, not the payable ${payable.amount}`);
  }

  // 4. promotion: the checkout's redemption still holds
  if (payOrder.promotionCode && payOrder.discount.amount > 0) {
    const { state: promotion } = await deps.handlers.promotion.load(promotionStream(payOrder.promotionCode));
    const redemption = promotion.status === 'active' ? promotion.redemptions[payOrder.payOrderId] : undefined;
    const expired = promotion.status === 'active' && promotion.endsAt !== null && promotion.endsAt !== undefined && now.getTime() >= Date.parse(promotion.endsAt);
    if (!redemption || expired) throw new DomainError('PROMOTION_INVALID', 'the promotion of this checkout is no longer valid', { promotionCode: payOrder.promotionCode, reason: redemption ? 'expired' : 'returned' });
  }

  // 5. e-voucher
  let voucherValue = 0;
  if (voucherCode) {
    const { state: voucher } = await deps.handlers.voucher.load(voucherStream(voucherCode));
    const refusal = voucherRefusal(voucher, input.userId, at);
    if (refusal) throw refusal;
    if (voucher.status === 'active') {
      if (voucher.amount.currency !== payable.currency) throw new VoucherInvalid('currency', `the voucher is in ${voucher.amount.currency}`);
      voucherValue = Math.min(voucher.amount.amount, payable.amount);
    }
  }

  // 6. coins: whole, worth an exact amount, within the cap, available
  let coinsValue = 0;
  if (coins !== 0) {
    if (!Number.isSafeInteger(coins) || coins < 0) throw new ValidationError('invalid coins', [{ path: 'coins', message: 'must be a non-negative integer' }]);
    if ((coins * 100) % config.BAZAAR_COINS_PER_CNY !== 0) {
      throw new ValidationError('coins must be worth whole fen', [{ path: 'coins', message: `must be a multiple of ${config.BAZAAR_COINS_PER_CNY / gcd(100, config.BAZAAR_COINS_PER_CNY)}` }]);
    }
    coinsValue = (coins * 100) / config.BAZAAR_COINS_PER_CNY;
    const cap = Math.min(Math.floor((payable.amount * config.BAZAAR_COINS_MAX_SHARE_PERCENT) / 100), payable.amount - voucherValue);
    if (coinsValue > cap) {
      const most = `coins may pay at most ${formatMoney(cap, payable.currency)} of this payable (${Math.floor((cap * config.BAZAAR_COINS_PER_CNY) / 100)} coins)`;
      throw new ValidationError(most, [{ path: 'coins', message: most }]);
    }
    const { balance } = await accountBalance(deps, accountIds.coins(input.userId));
    if (balance < coins) throw new InsufficientFunds(accountIds.coins(input.userId), balance, coins);
  }

  // 7. method
  const amount = payable.amount - voucherValue - coinsValue;
  if (input.method === 'card') {
    if (!cardNumber) throw new ValidationError('a card payment needs a card', [{ path: 'card.number', message: 'required for method card' }]);
    if (!luhnValid(cardNumber)) throw new ValidationError('invalid card number', [{ path: 'card.number', message: 'not a valid card number (Luhn check)' }]);
  } else if (amount > 0) {
    const { balance } = await accountBalance(deps, accountIds.wallet(input.userId));
    if (balance < amount) throw new InsufficientFunds(accountIds.wallet(input.userId), balance, amount);
  }

  // 8. fee: the provider's for a card (a cost of the platform, never added to the customer); none for the wallet
  const fee = input.method === 'card' && amount > 0 ? deps.paymentProvider.feeFor({ amount, currency: payable.currency }) : { amount: 0, currency: payable.currency };
  const provider = input.method === 'card' ? deps.paymentProvider.name : WALLET_PROVIDER;

  const weights = orders.map((order) => order.total.amount);
  const charged = allocate(amount, weights);
  const coinShares = allocate(coins, weights);
  const coinValues = allocate(coinsValue, weights);
  const voucherValues = allocate(voucherValue, weights);
  const allocations: Allocation[] = orders.map((order, index) => ({
    orderId: order.orderId,
    merchantId: order.merchantId,
    total: order.total,
    charged: charged[index]!,
    coins: coinShares[index]!,
    coinsValue: coinValues[index]!,
    voucherValue: voucherValues[index]!,
    commission: Math.round((order.total.amount * config.BAZAAR_COMMISSION_BPS) / 10_000),
  }));

  // One payment in flight per pay order.
  await deps.handlers.payOrder.handle(payOrderStream(payOrder.payOrderId), { type: 'StartPayment', paymentId, at }, { metadata, maxAttempts: 20 });
  await deps.handlers.payment.handle(
    paymentStream(paymentId),
    {
      type: 'InitiatePayment',
      payment: {
        paymentId,
        payOrderId: payOrder.payOrderId,
        userId: input.userId,
        method: input.method,
        provider,
        amount: { amount, currency: payable.currency },
        fee,
        payable,
        coins,
        coinsValue: { amount: coinsValue, currency: payable.currency },
        voucherCode,
        voucherValue: { amount: voucherValue, currency: payable.currency },
        allocations,
        cardLast4: cardNumber ? cardNumber.slice(-4) : null,
        requestHash,
      },
      at,
    },
    { metadata },
  );

  try {
    if (voucherCode) await deps.handlers.voucher.handle(voucherStream(voucherCode), { type: 'RedeemVoucher', redemptionId: paymentId, userId: input.userId, at }, { metadata, maxAttempts: 20 });
    if (coins > 0) {
      const hold = plannedTransfers({ type: 'PaymentDeclined', data: { paymentId, userId: input.userId, coins, coinsHeld: true } })[0]!;
      await postTransfer(deps, hold, metadata);
    }
    if (input.method === 'wallet' || amount === 0) {
      if (input.method === 'wallet' && amount > 0) {
        await postTransfer(
          deps,
          { transferId: `payment-${paymentId}-wallet`, from: accountIds.wallet(input.userId), to: accountIds.providerClearing(WALLET_PROVIDER), amount, currency: payable.currency, cause: paymentCause(paymentId) },
          metadata,
        );
      }
      await applyCapture(deps, paymentId, `${provider}-${paymentId}`, metadata);
    }
  } catch (error) {
    if (error instanceof DomainError) {
      await applyDecline(deps, paymentId, error.code.toLowerCase(), metadata);
      throw error;
    }
    throw error;
  }

  if (input.method === 'card' && amount > 0) {
    try {
      const { providerRef } = await deps.paymentProvider.charge({ paymentId, amount: { amount, currency: payable.currency }, card: { number: cardNumber! } });
      await deps.handlers.payment.handle(paymentStream(paymentId), { type: 'RecordSubmission', providerRef, at: deps.clock.now().toISOString() }, { metadata, maxAttempts: 20 });
    } catch (error) {
      // The provider did not answer: the payment stays pending; the stuck-payment sweeper asks the provider later.
      deps.logger.warn({ err: error, paymentId }, 'card charge not confirmed by the provider');
    }
  }
  return answer(deps, paymentId);
}

async function answer(deps: PayDeps, paymentId: string): Promise<PaymentAnswer> {
  const payment = await loadPayment(deps, paymentId);
  const { position } = await deps.handlers.payment.load(paymentStream(paymentId));
  return {
    paymentId,
    payOrderId: payment.payOrderId,
    status: payment.status,
    method: payment.method,
    amount: payment.amount,
    fee: payment.fee,
    coins: payment.coins,
    coinsValue: payment.coinsValue,
    voucherValue: payment.voucherValue,
    position,
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
