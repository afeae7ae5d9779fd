import type { Deps } from '../../deps.js';
import type { Money } from '../../domain/common/money.js';
import { DEFAULT_CURRENCY } from '../../domain/common/money.js';
import { lineStatus, priceChangedFrom, type Cart, type LineStatus, type Offer } from '../../domain/carts/cart.js';
import { PRODUCTS, STOCK, type ProductDoc, type SkuDoc, type StockDoc } from './documents.js';

type Views = Pick<Deps, 'views'>;

/** A SKU as the cart shows it: the offer (current price, availability) and what the buyer recognises it by. */
export interface SkuOffer extends Offer {
  title: string;
  skuCode: string;
  salesAttributes: Record<string, string>;
  image: string | null;
}

export interface CartItemView {
  skuId: string;
  productId: string;
  title: string;
  skuCode: string;
  salesAttributes: Record<string, string>;
  image: string | null;
  quantity: number;
  unitPrice: Money;
  lineTotal: Money;
  available: number;
  status: LineStatus;
  priceChangedFrom?: Money;
}

export interface CartView {
  items: CartItemView[];
  /** The lines that can be bought as they stand (status `ok`). */
  subtotal: Money;
  /** Units in the cart, every line counted. */
  itemCount: number;
}

/** The offer of a SKU of a known product, from the catalog view (product document and stock); null when the product or SKU is unknown. */
function offerFrom(product: ProductDoc | null, stock: StockDoc | null, skuId: string): SkuOffer | null {
  const sku = product?.skus.find((candidate) => candidate.skuId === skuId);
  if (!product || !sku) return null;
  const listed = product.status === 'listed';
  return {
    skuId,
    productId: product.productId,
    price: sku.price,
    available: listed && stock ? Math.max(0, stock.onHand - stock.reserved) : 0,
    listed,
    title: product.title,
    skuCode: sku.skuCode,
    salesAttributes: sku.salesAttributes,
    image: product.images[0] ?? null,
  };
}

/** The current offer of one SKU, given its product (from the SKU → product lookup or a cart line). */
export async function skuOffer(deps: Views, sku: Pick<SkuDoc, 'id' | 'productId'>): Promise<SkuOffer | null> {
  const [product, stock] = await Promise.all([deps.views.get<ProductDoc>(PRODUCTS, sku.productId), deps.views.get<StockDoc>(STOCK, sku.id)]);
  return offerFrom(product, stock, sku.id);
}

/** Current offers of the lines' SKUs (each product read once). SKUs whose product is unknown are missing. */
export async function offersFor(deps: Views, lines: ReadonlyArray<{ skuId: string; productId: string }>): Promise<Map<string, SkuOffer>> {
  const productIds = [...new Set(lines.map((line) => line.productId))];
  const [products, stocks] = await Promise.all([
    Promise.all(productIds.map((id) => deps.views.get<ProductDoc>(PRODUCTS, id))),
    Promise.all(lines.map((line) => deps.views.get<StockDoc>(STOCK, line.skuId))),
  ]);
  const productById = new Map(productIds.map((id, index) => [id, products[index] ?? null]));
  const offers = new Map<string, SkuOffer>();
  lines.forEach((line, index) => {
    const offer = offerFrom(productById.get(line.productId) ?? null, stocks[index] ?? null, line.skuId);
    if (offer) offers.set(line.skuId, offer);
  });
  return offers;
}

/** The cart with the current price and availability of every line. */
export async function cartView(deps: Views, cart: Cart): Promise<CartView> {
  const offers = await offersFor(deps, cart.lines);
  let subtotal = 0;
  let itemCount = 0;
  const items = cart.lines.map((line): CartItemView => {
    const offer = offers.get(line.skuId) ?? null;
    const status = lineStatus(line, offer);
    const unitPrice = offer?.price ?? line.price;
    const lineTotal = { amount: unitPrice.amount * line.quantity, currency: unitPrice.currency };
    const changedFrom = priceChangedFrom(line, offer);
    if (status === 'ok') subtotal += lineTotal.amount;
    itemCount += line.quantity;
    return {
      skuId: line.skuId,
      productId: line.productId,
      title: offer?.title ?? '',
      skuCode: offer?.skuCode ?? '',
      salesAttributes: offer?.salesAttributes ?? {},
      image: offer?.image ?? null,
      quantity: line.quantity,
      unitPrice,
      lineTotal,
      available: offer?.available ?? 0,
      status,
      ...(changedFrom ? { priceChangedFrom: changedFrom } : {}),
    };
  });
  return { items, subtotal: { amount: subtotal, currency: DEFAULT_CURRENCY }, itemCount };
}
