import type { Deps } from '../../deps.js';
import { ValidationError } from '../../kernel/errors.js';
import type { Money } from '../../domain/common/money.js';
import type { Cart } from '../../domain/carts/cart.js';
import { cartStore } from './cart-store.js';

/**
 * The cart's part in checkout: the order lines of a checkout "from the cart", and the cart after an
 * order is placed (the ordered units leave it; other lines and units stay).
 */
export interface CartCheckoutLine {
  skuId: string;
  quantity: number;
  expectedUnitPrice: Money;
}

const storeOf = (deps: Pick<Deps, 'kv' | 'clock'>) => cartStore(deps.kv, () => deps.clock.now());

/**
 * The user's cart as order lines. The expected unit price of a line is the one given for its SKU (what
 * the checkout preview showed), else the price the cart line remembers (shown when the SKU was added):
 * checkout answers 409 PRICE_CHANGED when it is no longer the current price. An empty cart is 400.
 */
export async function cartCheckoutLines(deps: Pick<Deps, 'kv' | 'clock'>, userId: string, expectedPrices: ReadonlyArray<{ skuId: string; unitPrice: Money }> = []): Promise<CartCheckoutLine[]> {
  const { cart } = await storeOf(deps).load({ kind: 'user', userId });
  if (cart.lines.length === 0) throw new ValidationError('the cart is empty', [{ path: 'fromCart', message: 'add items to the cart first, or send `items`' }]);
  const expected = new Map(expectedPrices.map((entry) => [entry.skuId, entry.unitPrice]));
  // Oldest line first, as the buyer filled the cart (the cart lists newest first).
  return [...cart.lines].reverse().map((line) => ({ skuId: line.skuId, quantity: line.quantity, expectedUnitPrice: expected.get(line.skuId) ?? line.price }));
}

/** The cart without the ordered units: a line loses the quantity ordered, and goes when none is left. Same object when nothing was ordered from it. */
export function withoutOrdered(cart: Cart, ordered: ReadonlyArray<{ skuId: string; quantity: number }>): Cart {
  const quantities = new Map<string, number>();
  for (const line of ordered) quantities.set(line.skuId, (quantities.get(line.skuId) ?? 0) + line.quantity);
  if (!cart.lines.some((line) => quantities.has(line.skuId))) return cart;
  return {
    lines: cart.lines.flatMap((line) => {
      const left = line.quantity - (quantities.get(line.skuId) ?? 0);
      return left > 0 ? [left === line.quantity ? line : { ...line, quantity: left }] : [];
    }),
  };
}

/**
 * After an order is placed: its units leave the buyer's cart (one compare-and-set; no write when the cart
 * holds none of them). The order stands whatever happens here, so a failure is logged, not thrown.
 */
export async function removeOrderedFromCart(deps: Pick<Deps, 'kv' | 'clock' | 'logger'>, userId: string, ordered: ReadonlyArray<{ skuId: string; quantity: number }>): Promise<void> {
  try {
    await storeOf(deps).update({ kind: 'user', userId }, (cart) => withoutOrdered(cart, ordered), { onlyIfExists: true });
  } catch (error) {
    deps.logger.warn({ err: error, userId }, 'could not remove the ordered items from the cart');
  }
}
