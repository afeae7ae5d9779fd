import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { DomainError, ForbiddenError, ValidationError, type FieldError } from '../../kernel/errors.js';
import { DEFAULT_CURRENCY, type Money } from '../../domain/common/money.js';
import type { Address } from '../../domain/users/user.js';
import { userStream } from '../../domain/users/user.js';
import { productStream, type ActiveProduct } from '../../domain/catalog/product.js';
import { available, inventoryStream, OutOfStock } from '../../domain/inventory/inventory.js';
import { orderStream, type OrderDefinition, type OrderItem } from '../../domain/orders/order.js';
import { payOrderStream, type ActivePayOrder } from '../../domain/orders/pay-order.js';
import { allocate } from '../../domain/orders/allocation.js';
import { orderIdGenerator, type OrderIdGenerator } from '../../domain/orders/order-id.js';
import { discountFor, normalizeCode, promotionStream, refusal, type ActivePromotion } from '../../domain/promotions/promotion.js';
import { lookupSku } from '../catalog/lookups.js';
import { releaseAll, reserveAll, type StockHold } from '../inventory/reservations.js';
import { defaultFraudRules, screen, type FraudRule } from './anti-fraud.js';
import { returnPromotion } from '../promotions/promotions.js';
import { admit as admitToFlashSales, runningFlashSale } from '../flash-sales/gate.js';
import { merchantShippingFee } from '../shipping/fees.js';
import { addressProvince } from '../../domain/shipping/provinces.js';
import { removeOrderedFromCart } from '../carts/checkout.js';

/**
 * Checkout (seed 创单核心逻辑, docs/design.md §5): validate the user, the products, the prices, the promotion,
 * anti-fraud and stock → reserve stock per SKU (keyed by order id, expiring with the payment time-out)
 * → take the promotion budget → append the pay order (the commit point: it holds every order) and its
 * orders (one per merchant) in one multi-stream append → answer. A step that fails gives back what the
 * earlier steps took; a crash in between is repaired by the reservations' expiry
 * (src/commands/orders/expire-unpaid-orders.ts). On an engine without multi-stream transactions
 * (EventStoreDB) the pay order is written first, and a pay order whose orders are missing gets them
 * appended by whoever reads it next (ensureOrders).
 *
 * With an Idempotency-Key the pay order id is derived from (user, key), so a retry after a crash
 * finds the pay order already there, or appends it to the same stream with expected "no stream": two
 * racing attempts cannot both place it.
 */
export interface PlaceOrderLine {
  skuId: string;
  quantity: number;
  expectedUnitPrice: Money;
}

export interface PlaceOrderInput {
  userId: string;
  ip: string;
  items: PlaceOrderLine[];
  shippingAddress: Address;
  promotionCode?: string;
  idempotencyKey?: string;
}

export interface PlacedOrder {
  payOrderId: string;
  orders: Array<{ id: string; status: string; total: Money }>;
  payable: Money;
  expiresAt: string;
  position: number;
}

export const CHECKOUT_LIMITS = { maxLines: 50, maxQuantity: 999 };

const generators = new WeakMap<object, OrderIdGenerator>();
/** The node's order id generator (one per runtime, so its sequence is shared by all checkouts). */
export function orderIds(deps: Pick<Deps, 'config' | 'clock' | 'handlers'>): OrderIdGenerator {
  let generator = generators.get(deps.handlers);
  if (!generator) generators.set(deps.handlers, (generator = orderIdGenerator(deps.config.BAZAAR_NODE_ID, () => deps.clock.now().getTime())));
  return generator;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A ULID-shaped id derived from (user, Idempotency-Key): the same retry always names the same pay order. */
export function derivedPayOrderId(userId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`payorder\u0000${userId}\u0000${idempotencyKey}`).digest();
  let bits = 0n;
  for (const byte of digest.subarray(0, 17)) bits = (bits << 8n) | BigInt(byte);
  let id = '';
  for (let i = 0; i < 26; i++) id += CROCKFORD[Number((bits >> BigInt(5 * i)) & 31n)];
  return `${'01234567'[digest[20]! & 7]}${id.slice(1)}`;
}

export const requestHash = (input: Pick<PlaceOrderInput, 'items' | 'shippingAddress' | 'promotionCode'>) =>
  createHash('sha256').update(JSON.stringify([input.items, input.shippingAddress, input.promotionCode ?? null])).digest('base64url');

const fraudRuleCache = new WeakMap<object, FraudRule[]>();
function fraudRulesOf(deps: Pick<Deps, 'kv' | 'config'>): FraudRule[] {
  let rules = fraudRuleCache.get(deps.kv);
  if (!rules) fraudRuleCache.set(deps.kv, (rules = defaultFraudRules(deps)));
  return rules;
}

export const productUnavailable = (skuIds: string[]) =>
  new DomainError('PRODUCT_UNAVAILABLE', `not on sale: SKU ${skuIds.join(', ')}`, { skuIds });

interface PricedLine {
  line: PlaceOrderLine;
  product: ActiveProduct;
  sku: ActiveProduct['skus'][number];
  /** The running flash sale that sets this line's price (and whose gate admitted it). */
  flashSaleId?: string;
}

/** Validation steps shared by checkout and its preview: user, products, prices, promotion. Throws on the first failing step. */
export async function priceCheckout(
  deps: Deps,
  input: Pick<PlaceOrderInput, 'userId' | 'items' | 'promotionCode'> & { checkPrices?: boolean; shippingAddress?: Address | null },
  at: string,
): Promise<{
  lines: PricedLine[];
  groups: Array<{ merchantId: string; lines: PricedLine[]; subtotal: number; shipping: number }>;
  subtotal: number;
  discount: number;
  shipping: number;
  promotion: ActivePromotion | null;
}> {
  // 1. the user
  const { state: user } = await deps.handlers.user.load(userStream(input.userId));
  if (user.status !== 'active') throw new ForbiddenError('only an active account can place orders');

  // input shape beyond the schema: one line per SKU
  const errors: FieldError[] = [];
  if (input.items.length === 0) errors.push({ path: 'items', message: 'at least one item' });
  if (input.items.length > CHECKOUT_LIMITS.maxLines) errors.push({ path: 'items', message: `at most ${CHECKOUT_LIMITS.maxLines} lines` });
  const seen = new Set<string>();
  input.items.forEach((item, index) => {
    if (seen.has(item.skuId)) errors.push({ path: `items.${index}.skuId`, message: 'this SKU is already in another line; one line per SKU' });
    seen.add(item.skuId);
    if (!Number.isSafeInteger(item.quantity) || item.quantity < 1 || item.quantity > CHECKOUT_LIMITS.maxQuantity) {
      errors.push({ path: `items.${index}.quantity`, message: `an integer from 1 to ${CHECKOUT_LIMITS.maxQuantity}` });
    }
  });
  if (errors.length > 0) throw new ValidationError('the order is not valid', errors);

  // 2. the products: every SKU exists and its product is listed (read from the product streams)
  const lines: PricedLine[] = [];
  const unavailable: string[] = [];
  for (const line of input.items) {
    const skuDoc = await lookupSku(deps, line.skuId);
    const product = skuDoc ? (await deps.handlers.product.load(productStream(skuDoc.productId))).state : null;
    const sku = product && product.status !== 'none' ? product.skus.find((candidate) => candidate.skuId === line.skuId) : undefined;
    if (!product || product.status !== 'listed' || !sku) unavailable.push(line.skuId);
    else lines.push({ line, product, sku });
  }
  if (unavailable.length > 0) throw productUnavailable(unavailable);
  // a running flash sale sets its SKU's unit price (src/commands/flash-sales/gate.ts)
  for (const [index, priced] of lines.entries()) {
    const sale = await runningFlashSale(deps, priced.line.skuId, at);
    if (sale) lines[index] = { ...priced, sku: { ...priced.sku, price: sale.price ?? priced.sku.price }, flashSaleId: sale.flashSaleId };
  }

  // 3. the prices: what the buyer saw is what the SKU costs now
  if (input.checkPrices !== false) {
    const changed = lines.filter(({ line, sku }) => line.expectedUnitPrice.amount !== sku.price.amount || line.expectedUnitPrice.currency !== sku.price.currency);
    if (changed.length > 0) {
      const items = changed.map(({ line, sku }) => ({ skuId: line.skuId, expectedUnitPrice: line.expectedUnitPrice, currentUnitPrice: sku.price }));
      throw new DomainError('PRICE_CHANGED', `the price of ${items.length === 1 ? 'an item' : 'some items'} changed; review the order and send the current price`, {
        skuId: items[0]!.skuId,
        currentUnitPrice: items[0]!.currentUnitPrice,
        items,
      });
    }
  }

  const byMerchant = new Map<string, PricedLine[]>();
  for (const priced of lines) byMerchant.set(priced.product.merchantId, [...(byMerchant.get(priced.product.merchantId) ?? []), priced]);
  const groups = [...byMerchant.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([merchantId, group]) => ({ merchantId, lines: group, subtotal: group.reduce((total, { line, sku }) => total + sku.price.amount * line.quantity, 0) }));
  const subtotal = groups.reduce((total, group) => total + group.subtotal, 0);

  // 4. the promotion
  let promotion: ActivePromotion | null = null;
  let discount = 0;
  if (input.promotionCode !== undefined) {
    const { state } = await deps.handlers.promotion.load(promotionStream(normalizeCode(input.promotionCode)));
    if (state.status === 'active') discount = discountFor(state, subtotal);
    const refused = refusal(state, { userId: input.userId, subtotal: { amount: subtotal, currency: DEFAULT_CURRENCY }, discount, at });
    if (refused) throw refused;
    promotion = state as ActivePromotion;
  }

  // shipping: each merchant's templates, on that merchant's goods subtotal and the address's province (src/commands/shipping/fees.ts)
  const shipped = [];
  for (const group of groups) {
    const shippedLines = group.lines.map(({ line, product, sku }) => ({ product, sku, quantity: line.quantity }));
    const fee = await merchantShippingFee(deps, group.merchantId, shippedLines, { orderSubtotal: group.subtotal, province: addressProvince(input.shippingAddress) });
    shipped.push({ ...group, shipping: fee });
  }
  const shipping = shipped.reduce((total, group) => total + group.shipping, 0);
  return { lines, groups: shipped, subtotal, discount, shipping, promotion };
}

/**
 * Checkout behind the flash-sale gates: a line of a SKU on a running flash sale first takes its units'
 * tokens (refused at once with OUT_OF_STOCK when too few are left, without touching the event store);
 * a checkout that then fails, or answers an earlier pay order (an Idempotency-Key retry), gives them back.
 */
export async function placeOrder(deps: Deps, input: PlaceOrderInput, metadata: EventMetadata, options: { fraudRules?: FraudRule[] } = {}): Promise<PlacedOrder> {
  const now = deps.clock.now();
  const admission = await admitToFlashSales(deps, input.items, now.toISOString());
  if (!admission) return placeOrderAt(deps, input, metadata, options, now);
  try {
    const placed = await placeOrderAt(deps, input, metadata, options, now);
    // A pay order placed by this call expires exactly one payment time-out after `now`; an earlier one was answered.
    if (placed.expiresAt !== new Date(now.getTime() + deps.config.BAZAAR_PAYMENT_TIMEOUT_SECONDS * 1000).toISOString()) await admission.giveBack();
    return placed;
  } catch (error) {
    await admission.giveBack();
    throw error;
  }
}

async function placeOrderAt(deps: Deps, input: PlaceOrderInput, metadata: EventMetadata, options: { fraudRules?: FraudRule[] }, now: Date): Promise<PlacedOrder> {
  const at = now.toISOString();
  const hash = requestHash(input);
  const payOrderId = input.idempotencyKey ? derivedPayOrderId(input.userId, input.idempotencyKey) : ulid();
  if (input.idempotencyKey) {
    const existing = await deps.handlers.payOrder.load(payOrderStream(payOrderId));
    if (existing.state.status !== 'none') return answerFor(deps, existing.state, hash, metadata);
  }

  const { groups, subtotal, discount, shipping, promotion } = await priceCheckout(deps, input, at);

  // 5. anti-fraud
  const payable = subtotal - discount + shipping;
  const undoFraud = await screen(options.fraudRules ?? fraudRulesOf(deps), {
    userId: input.userId,
    ip: input.ip,
    payable: { amount: payable, currency: DEFAULT_CURRENCY },
    itemCount: input.items.length,
  });

  // build the orders: ids, discount shares (largest remainder: per order, then per item), totals
  const expiresAt = new Date(now.getTime() + deps.config.BAZAAR_PAYMENT_TIMEOUT_SECONDS * 1000).toISOString();
  const orderShares = allocate(discount, groups.map((group) => group.subtotal));
  const nextId = orderIds(deps);
  const cny = (amount: number): Money => ({ amount, currency: DEFAULT_CURRENCY });
  const orders: OrderDefinition[] = groups.map((group, index) => {
    const orderId = nextId(input.userId);
    const itemShares = allocate(orderShares[index]!, group.lines.map(({ line, sku }) => sku.price.amount * line.quantity));
    const items: OrderItem[] = group.lines.map(({ line, product, sku, flashSaleId }, n) => ({
      id: `${orderId}-${n + 1}`,
      skuId: sku.skuId,
      productId: product.productId,
      title: product.title,
      skuCode: sku.skuCode,
      salesAttributes: sku.salesAttributes,
      quantity: line.quantity,
      unitPrice: sku.price,
      lineTotal: cny(sku.price.amount * line.quantity),
      discount: cny(itemShares[n]!),
      snapshotId: product.currentSnapshotId,
      reserved: product.takeStockAt === 'order',
      ...(flashSaleId ? { flashSaleId } : {}),
    }));
    return {
      orderId,
      payOrderId,
      userId: input.userId,
      merchantId: group.merchantId,
      items,
      subtotal: cny(group.subtotal),
      discount: cny(orderShares[index]!),
      shipping: cny(group.shipping),
      total: cny(group.subtotal - orderShares[index]! + group.shipping),
      promotionCode: promotion ? promotion.code : null,
      shippingAddress: input.shippingAddress,
      expiresAt,
    };
  });

  let holds: StockHold[] = [];
  let redeemed = false;
  let committed = false;
  /** The commit's append failed and the store could not be read to tell whether it was written (an outage). */
  let outcomeUnknown = false;
  let givenBack = false;
  const giveBack = async () => {
    if (givenBack) return;
    givenBack = true;
    await compensate(deps, holds, redeemed ? payOrderId : null, promotion?.code ?? null, at, metadata, undoFraud);
  };
  try {
    // 6. stock: "take stock at payment" items are only checked; the others are reserved
    for (const order of orders) {
      for (const item of order.items.filter((candidate) => !candidate.reserved)) {
        const { state } = await deps.handlers.inventory.load(inventoryStream(item.skuId));
        if (available(state) < item.quantity) throw new OutOfStock(item.skuId, item.quantity, available(state));
      }
    }
    const wanted = orders.flatMap((order) =>
      order.items
        .filter((item) => item.reserved)
        .map((item) => ({ skuId: item.skuId, orderId: order.orderId, quantity: item.quantity, ...(item.flashSaleId ? { flashSaleId: item.flashSaleId } : {}) })),
    );
    holds = (await reserveAll(deps, wanted, { payOrderId, expiresAt, at }, metadata)).taken;

    // 7. the promotion budget
    if (promotion && discount > 0) {
      const shares = Object.fromEntries(orders.map((order) => [order.orderId, order.discount.amount]));
      await deps.handlers.promotion.handle(
        promotionStream(promotion.code),
        { type: 'RedeemPromotion', redemptionId: payOrderId, userId: input.userId, subtotal: cny(subtotal), discount: cny(discount), shares, expiresAt, at },
        { metadata, maxAttempts: 20 },
      );
      redeemed = true;
    }

    // 8. the pay order (the commit point) and its orders, in one multi-stream append
    const payOrder = await deps.handlers.payOrder.prepare(
      payOrderStream(payOrderId),
      {
        type: 'PlacePayOrder',
        payOrder: {
          payOrderId,
          userId: input.userId,
          orders,
          subtotal: cny(subtotal),
          discount: cny(discount),
          shipping: cny(shipping),
          payable: cny(payable),
          promotionCode: promotion ? promotion.code : null,
          expiresAt,
          requestHash: hash,
        },
        at,
      },
      // Read above when an Idempotency-Key names it; else a new id. A pay order placed since fails the append.
      { metadata, assumeNew: true },
    );
    const placements = await Promise.all(orders.map((order) => deps.handlers.order.prepare(orderStream(order.orderId), { type: 'PlaceOrder', order, at }, { metadata, assumeNew: true })));
    let appended;
    try {
      appended = await deps.store.appendAll([payOrder.append, ...placements.map((placement) => placement.append)]);
    } catch (error) {
      // What is stored decides: nothing (give back and fail), a concurrent attempt's pay order with the same
      // Idempotency-Key (give back ours, answer with theirs), or ours (an engine without multi-stream
      // transactions failed after the commit point: complete its orders).
      let stored;
      try {
        ({ state: stored } = await deps.handlers.payOrder.load(payOrderStream(payOrderId)));
      } catch (readError) {
        // The engine is away: the pay order may be written. Giving the stock back now could release the holds
        // of a placed order; the payment time-out's sweep settles them either way (docs/orders.md).
        outcomeUnknown = true;
        throw readError;
      }
      if (stored.status === 'none') throw error;
      committed = stored.orders[0]?.orderId === orders[0]?.orderId;
      if (!committed) await giveBack();
      else await removeOrderedFromCart(deps, input.userId, input.items);
      return answerFor(deps, stored, hash, metadata);
    }
    committed = true;
    payOrder.committed(appended[0]!);
    placements.forEach((placement, index) => placement.committed(appended[index + 1]!));
    // the order is placed: its units leave the buyer's cart (a refused checkout never gets here)
    await removeOrderedFromCart(deps, input.userId, input.items);
    return {
      payOrderId,
      orders: orders.map((order) => ({ id: order.orderId, status: 'pending_payment', total: order.total })),
      payable: cny(payable),
      expiresAt,
      position: Math.max(...appended.map((result) => result.position)),
    };
  } catch (error) {
    // Before the commit point what was taken goes back; after it the pay order stands (expiry or payment settles it).
    if (!committed && !outcomeUnknown) await giveBack();
    throw error;
  }
}

async function compensate(
  deps: Deps,
  holds: StockHold[],
  redemptionId: string | null,
  promotionCode: string | null,
  at: string,
  metadata: EventMetadata,
  undoFraud: () => Promise<void>,
): Promise<void> {
  await releaseAll(deps, holds, 'checkout_failed', at, metadata);
  if (redemptionId && promotionCode) await returnPromotion(deps, { code: promotionCode, redemptionId, at }, metadata);
  await undoFraud();
}

/** Appends the orders of a pay order that are not written yet (a crash between the appends); idempotent. Returns the last position. */
export async function ensureOrders(deps: Deps, payOrder: ActivePayOrder, metadata: EventMetadata): Promise<number> {
  let position = 0;
  for (const order of payOrder.orders) {
    const result = await deps.handlers.order.handle(orderStream(order.orderId), { type: 'PlaceOrder', order, at: payOrder.placedAt }, { metadata });
    position = Math.max(position, result.position);
  }
  return position;
}

/** The checkout's answer for a pay order in the store (completing its orders first). */
async function answerFor(deps: Deps, payOrder: ActivePayOrder, hash: string, metadata: EventMetadata): Promise<PlacedOrder> {
  if (payOrder.requestHash !== hash) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body; use a new key for a new request');
  }
  const position = await ensureOrders(deps, payOrder, metadata);
  const orders = [];
  for (const order of payOrder.orders) {
    const { state } = await deps.handlers.order.load(orderStream(order.orderId));
    orders.push({ id: order.orderId, status: state.status === 'none' ? 'pending_payment' : state.status, total: order.total });
  }
  return { payOrderId: payOrder.payOrderId, orders, payable: payOrder.payable, expiresAt: payOrder.expiresAt, position };
}
