import type { Deps } from '../../deps.js';
import { ValidationError } from '../../kernel/errors.js';
import { DEFAULT_CURRENCY, type Money } from '../../domain/common/money.js';
import { allocate } from '../../domain/orders/allocation.js';
import { cartStore } from '../carts/cart-store.js';
import { userStream, type Address } from '../../domain/users/user.js';
import { priceCheckout } from './place-order.js';

/**
 * POST /checkout/preview: what placing these items (or the cart) would cost now, split per merchant,
 * with the promotion's discount allocated as the order would be, and each merchant's shipping fee for the
 * given address (none given: the buyer's profile shipping address; none there: the templates' own rates,
 * without a province's override). Nothing is reserved or taken.
 */
export interface CheckoutPreview {
  orders: Array<{
    merchantId: string;
    items: Array<{ skuId: string; title: string; quantity: number; unitPrice: Money; lineTotal: Money }>;
    subtotal: Money;
    discount: Money;
    shipping: Money;
    total: Money;
  }>;
  subtotal: Money;
  discount: Money;
  shipping: Money;
  payable: Money;
  promotionCode: string | null;
}

export async function previewCheckout(
  deps: Deps,
  input: { userId: string; items?: Array<{ skuId: string; quantity: number }>; promotionCode?: string; shippingAddress?: Address },
): Promise<CheckoutPreview> {
  let items = input.items;
  if (!items) {
    const { cart } = await cartStore(deps.kv, () => deps.clock.now()).load({ kind: 'user', userId: input.userId });
    items = cart.lines.map((line) => ({ skuId: line.skuId, quantity: line.quantity }));
    if (items.length === 0) throw new ValidationError('the cart is empty', [{ path: 'items', message: 'give items, or add them to the cart first' }]);
  }
  const at = deps.clock.now().toISOString();
  const lines = items.map((item) => ({ ...item, expectedUnitPrice: { amount: 0, currency: DEFAULT_CURRENCY } }));
  const { state: user } = await deps.handlers.user.load(userStream(input.userId));
  const shippingAddress = input.shippingAddress ?? (user.status === 'active' ? user.profile.shippingAddress : null);
  const priced = await priceCheckout(deps, { userId: input.userId, items: lines, promotionCode: input.promotionCode, checkPrices: false, shippingAddress }, at);
  const cny = (amount: number): Money => ({ amount, currency: DEFAULT_CURRENCY });
  const shares = allocate(priced.discount, priced.groups.map((group) => group.subtotal));
  return {
    orders: priced.groups.map((group, index) => ({
      merchantId: group.merchantId,
      items: group.lines.map(({ line, product, sku }) => ({ skuId: sku.skuId, title: product.title, quantity: line.quantity, unitPrice: sku.price, lineTotal: cny(sku.price.amount * line.quantity) })),
      subtotal: cny(group.subtotal),
      discount: cny(shares[index]!),
      shipping: cny(group.shipping),
      total: cny(group.subtotal - shares[index]! + group.shipping),
    })),
    subtotal: cny(priced.subtotal),
    discount: cny(priced.discount),
    shipping: cny(priced.shipping),
    payable: cny(priced.subtotal - priced.discount + priced.shipping),
    promotionCode: priced.promotion?.code ?? null,
  };
}
