import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { addLine, mergeCarts, removeLine, setQuantity, type Cart, type MergeResult } from '../../domain/carts/cart.js';
import { cartView, offersFor, skuOffer, type CartView } from '../../projections/catalog/cart-offers.js';
import { lookupSku } from '../catalog/lookups.js';
import { cartStore, isCartToken, newCartToken, type CartOwner } from './cart-store.js';

/**
 * Cart operations (docs/api.md "Cart"). Whose cart: a signed-in user's, or a guest's named by the token the
 * server issued (`X-Cart-Token`). Current prices and availability come from the catalog view.
 */
export type CartHolder = { userId: string } | { cartToken: string | undefined };

export interface CartAnswer {
  cart: CartView;
  /** For a guest: the token of the cart in use (issued by this call when it created the cart); null when there is none. */
  cartToken: string | null;
}

const storeOf = (deps: Pick<Deps, 'kv' | 'clock'>) => cartStore(deps.kv, () => deps.clock.now());
const userOwner = (userId: string): CartOwner => ({ kind: 'user', userId });
/** The guest token sent, when it has the shape of one this server issues (anything else is treated as no token). */
const sentToken = (holder: CartHolder): string | null => ('cartToken' in holder && isCartToken(holder.cartToken) ? holder.cartToken : null);

async function answer(deps: Deps, cart: Cart, cartToken: string | null): Promise<CartAnswer> {
  return { cart: await cartView(deps, cart), cartToken };
}

/** The cart; an unknown or expired guest token reads as an empty cart (and no token is issued). */
export async function showCart(deps: Deps, holder: CartHolder): Promise<CartAnswer> {
  const store = storeOf(deps);
  if ('userId' in holder) return answer(deps, (await store.load(userOwner(holder.userId))).cart, null);
  const token = sentToken(holder);
  if (!token) return answer(deps, { lines: [] }, null);
  const loaded = await store.load({ kind: 'guest', token });
  return answer(deps, loaded.cart, loaded.exists ? token : null);
}

/**
 * Adds units of a SKU (to those already in the cart). Unknown SKU → 404; product not listed → 409
 * PRODUCT_UNAVAILABLE; more than available → 409 OUT_OF_STOCK with `available`. A guest without a
 * live cart gets a new cart and token.
 */
export async function addToCart(deps: Deps, holder: CartHolder, input: { skuId: string; quantity: number }): Promise<CartAnswer> {
  const sku = await lookupSku(deps, input.skuId);
  const offer = sku ? await skuOffer(deps, sku) : null;
  if (!offer) throw new NotFoundError('SKU');
  const at = deps.clock.now().toISOString();
  const change = (cart: Cart) => addLine(cart, { offer, quantity: input.quantity, at });
  const store = storeOf(deps);
  if ('userId' in holder) return answer(deps, (await store.update(userOwner(holder.userId), change))!, null);
  const token = sentToken(holder);
  if (token) {
    const cart = await store.update({ kind: 'guest', token }, change, { onlyIfExists: true });
    if (cart) return answer(deps, cart, token);
  }
  const issued = newCartToken();
  return answer(deps, (await store.update({ kind: 'guest', token: issued }, change))!, issued);
}

/** Sets the quantity of a line in the cart (0 removes it); a SKU not in the cart → 404. Raising it needs the units. */
export async function changeCartQuantity(deps: Deps, holder: CartHolder, input: { skuId: string; quantity: number }): Promise<CartAnswer> {
  const sku = input.quantity > 0 ? await lookupSku(deps, input.skuId) : null;
  const offer = sku ? await skuOffer(deps, sku) : null;
  return changeCart(deps, holder, (cart) => setQuantity(cart, { skuId: input.skuId, quantity: input.quantity, offer }), () => {
    if (input.quantity > 0) throw new NotFoundError('cart line');
  });
}

/** Removes a SKU from the cart (nothing to remove is fine). */
export async function removeFromCart(deps: Deps, holder: CartHolder, skuId: string): Promise<CartAnswer> {
  return changeCart(deps, holder, (cart) => removeLine(cart, skuId), () => {});
}

/** A change of an existing cart; without a cart, `whenAbsent` may refuse, else the answer is an empty cart. */
async function changeCart(deps: Deps, holder: CartHolder, change: (cart: Cart) => Cart, whenAbsent: () => void): Promise<CartAnswer> {
  const store = storeOf(deps);
  if ('userId' in holder) return answer(deps, (await store.update(userOwner(holder.userId), change))!, null);
  const token = sentToken(holder);
  const cart = token ? await store.update({ kind: 'guest', token }, change, { onlyIfExists: true }) : null;
  if (cart) return answer(deps, cart, token);
  whenAbsent();
  return answer(deps, { lines: [] }, null);
}

/**
 * Merges the guest cart of `cartToken` into the user's cart (quantities add up, capped by what is
 * available; see mergeCarts) and deletes the guest cart. The guest cart is taken atomically first, so a
 * retried or concurrent sign-in with the same token merges it once; if the merge then fails, it is put back.
 * Null when there was nothing to merge.
 */
export async function mergeGuestCart(deps: Deps, input: { userId: string; cartToken: string | undefined }): Promise<MergeResult | null> {
  if (!isCartToken(input.cartToken)) return null;
  const store = storeOf(deps);
  const guestOwner: CartOwner = { kind: 'guest', token: input.cartToken };
  const guest = await store.take(guestOwner);
  if (!guest || guest.lines.length === 0) return null;
  try {
    const offers = await offersFor(deps, guest.lines);
    let result: MergeResult | undefined;
    await store.update(userOwner(input.userId), (cart) => (result = mergeCarts(cart, guest, offers)).cart);
    return result!;
  } catch (error) {
    await store.update(guestOwner, (current) => (current.lines.length > 0 ? current : guest)).catch(() => {});
    throw error;
  }
}

/** For the sign-in routes: merges the guest cart named by the `X-Cart-Token` header; a failure is logged, never fails the sign-in. */
export async function mergeGuestCartOnSignIn(deps: Deps, userId: string, cartToken: string | undefined): Promise<void> {
  if (cartToken === undefined) return;
  try {
    const merged = await mergeGuestCart(deps, { userId, cartToken });
    if (merged) deps.logger.debug({ userId, lines: merged.cart.lines.length, capped: merged.capped, dropped: merged.dropped }, 'guest cart merged');
  } catch (error) {
    deps.logger.warn({ err: error, userId }, 'could not merge the guest cart at sign-in');
  }
}
