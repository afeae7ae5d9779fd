import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../kernel/errors.js';
import type { Money } from '../common/money.js';

/**
 * A shopping cart (购物车): what a buyer means to buy, one line per SKU. It is not event-sourced:
 * a cart is one value in the KeyValue store (src/commands/carts/cart-store.ts). These rules are pure:
 * what they need about a SKU (current price, availability) arrives as an `Offer`, time as `at`.
 */
export const MAX_LINES = 100;
export const MAX_QUANTITY = 999;

export interface CartLine {
  skuId: string;
  productId: string;
  quantity: number;
  /** The unit price when the buyer last added this SKU: the cart shows `priceChangedFrom` when the current one differs. */
  price: Money;
  /** When the buyer last added this SKU (and saw `price`). */
  addedAt: string;
}

/** Lines newest first. */
export interface Cart {
  lines: CartLine[];
}

/** What the catalog says about a SKU now. */
export interface Offer {
  skuId: string;
  productId: string;
  price: Money;
  /** Units that can be sold now (on hand − reserved), never below 0. */
  available: number;
  /** The product is listed (a draft or delisted product cannot be bought). */
  listed: boolean;
}

export type LineStatus = 'ok' | 'insufficient_stock' | 'unavailable';

export const emptyCart = (): Cart => ({ lines: [] });

export const findLine = (cart: Cart, skuId: string): CartLine | undefined => cart.lines.find((line) => line.skuId === skuId);

export const outOfStock = (skuId: string, available: number, inCart: number) =>
  new DomainError('OUT_OF_STOCK', available > 0 ? `only ${available} units of this SKU are available` : 'this SKU is out of stock', {
    skuId,
    available,
    inCart,
  });

export const productUnavailable = (skuId: string) => new ConflictError('PRODUCT_UNAVAILABLE', 'this product is not on sale', { skuId });

/** Adds `quantity` to the line of the offer's SKU (a new line goes first) and remembers the current price. */
export function addLine(cart: Cart, input: { offer: Offer; quantity: number; at: string }): Cart {
  const { offer, quantity, at } = input;
  requireQuantity(quantity, 1);
  if (!offer.listed) throw productUnavailable(offer.skuId);
  const existing = findLine(cart, offer.skuId);
  const inCart = existing?.quantity ?? 0;
  const total = inCart + quantity;
  if (total > offer.available) throw outOfStock(offer.skuId, Math.max(0, offer.available), inCart);
  if (total > MAX_QUANTITY) {
    throw new ConflictError('QUANTITY_LIMIT', `a cart line holds at most ${MAX_QUANTITY} units; ${inCart} are in the cart`, { max: MAX_QUANTITY, inCart });
  }
  if (!existing) {
    if (cart.lines.length >= MAX_LINES) throw cartFull();
    return { lines: [{ skuId: offer.skuId, productId: offer.productId, quantity, price: offer.price, addedAt: at }, ...cart.lines] };
  }
  return replaceLine(cart, { ...existing, quantity: total, price: offer.price, addedAt: at });
}

/**
 * Sets the quantity of a line already in the cart; 0 removes it (and removing an absent line changes
 * nothing). Lowering is always allowed; raising needs a listed product with enough units (`offer`).
 */
export function setQuantity(cart: Cart, input: { skuId: string; quantity: number; offer: Offer | null }): Cart {
  const { skuId, quantity, offer } = input;
  requireQuantity(quantity, 0);
  const existing = findLine(cart, skuId);
  if (quantity === 0) return removeLine(cart, skuId);
  if (!existing) throw new NotFoundError('cart line');
  if (quantity === existing.quantity) return cart;
  if (quantity > existing.quantity) {
    if (!offer || !offer.listed) throw productUnavailable(skuId);
    if (quantity > offer.available) throw outOfStock(skuId, Math.max(0, offer.available), existing.quantity);
  }
  return replaceLine(cart, { ...existing, quantity });
}

export function removeLine(cart: Cart, skuId: string): Cart {
  return findLine(cart, skuId) ? { lines: cart.lines.filter((line) => line.skuId !== skuId) } : cart;
}

export interface MergeResult {
  cart: Cart;
  /** SKUs whose guest quantity did not fit entirely (availability or the per-line limit). */
  capped: string[];
  /** Guest lines left out because the cart was full. */
  dropped: string[];
}

/**
 * Merges a guest cart into the user's (at sign-in). Quantities of the same SKU add up, capped by what is
 * available now (and MAX_QUANTITY), but the merge never lowers what the user's line already held. A line
 * whose SKU has nothing available (sold out, delisted, unknown) is carried over unchanged so the buyer
 * still sees it, marked in the cart. The remembered price is the one of the line added last. Guest-only
 * lines go first (they are the newest); those beyond MAX_LINES are dropped.
 */
export function mergeCarts(user: Cart, guest: Cart, offers: ReadonlyMap<string, Offer>): MergeResult {
  const capped: string[] = [];
  const dropped: string[] = [];
  const merged = new Map(user.lines.map((line) => [line.skuId, line]));
  const added: CartLine[] = [];
  for (const line of guest.lines) {
    const offer = offers.get(line.skuId);
    const available = offer?.listed ? Math.max(0, offer.available) : 0;
    const mine = merged.get(line.skuId);
    if (mine) {
      const wanted = mine.quantity + line.quantity;
      const quantity = available === 0 ? mine.quantity : Math.max(mine.quantity, Math.min(wanted, available, MAX_QUANTITY));
      if (quantity < wanted) capped.push(line.skuId);
      const newer = line.addedAt > mine.addedAt ? line : mine;
      merged.set(line.skuId, { ...mine, quantity, price: newer.price, addedAt: newer.addedAt });
      continue;
    }
    if (merged.size + added.length >= MAX_LINES) {
      dropped.push(line.skuId);
      continue;
    }
    const quantity = available === 0 ? line.quantity : Math.min(line.quantity, available, MAX_QUANTITY);
    if (quantity < line.quantity) capped.push(line.skuId);
    added.push({ ...line, quantity });
  }
  return { cart: { lines: [...added, ...user.lines.map((line) => merged.get(line.skuId)!)] }, capped, dropped };
}

/** How a line stands against the current offer of its SKU. */
export function lineStatus(line: CartLine, offer: Offer | null): LineStatus {
  if (!offer || !offer.listed) return 'unavailable';
  return line.quantity > offer.available ? 'insufficient_stock' : 'ok';
}

/** The price the buyer saw when adding, when it differs from the current one. */
export function priceChangedFrom(line: CartLine, offer: Offer | null): Money | undefined {
  if (!offer) return undefined;
  return offer.price.amount !== line.price.amount || offer.price.currency !== line.price.currency ? line.price : undefined;
}

export const cartFull = () => new ConflictError('CART_FULL', `a cart holds at most ${MAX_LINES} different SKUs; remove some first`, { maxLines: MAX_LINES });

function requireQuantity(quantity: number, min: number): void {
  if (!Number.isSafeInteger(quantity) || quantity < min || quantity > MAX_QUANTITY) {
    throw new ValidationError('invalid quantity', [{ path: 'quantity', message: `must be an integer from ${min} to ${MAX_QUANTITY}` }]);
  }
}

function replaceLine(cart: Cart, line: CartLine): Cart {
  return { lines: cart.lines.map((candidate) => (candidate.skuId === line.skuId ? line : candidate)) };
}
