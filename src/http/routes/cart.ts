import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Deps } from '../../deps.js';
import { MAX_LINES, MAX_QUANTITY } from '../../domain/carts/cart.js';
import { addToCart, changeCartQuantity, removeFromCart, showCart, type CartAnswer, type CartHolder } from '../../commands/carts/carts.js';
import type { AppEnv } from '../env.js';
import { signalRecorder } from '../../commands/personalization/signals.js';
import { bearer, errors, jsonBody, MoneySchema, router } from '../openapi.js';

const tags = ['Cart'];
/** A bearer token is optional: without one the cart is a guest cart. */
const security = [{}, ...bearer];
export const CART_TOKEN_HEADER = 'X-Cart-Token';

const CartTokenHeader = z.object({
  'x-cart-token': z.string().optional().openapi({
    description: 'the guest cart token a previous answer gave (ignored with a bearer token; an unknown or expired one reads as an empty cart)',
  }),
});

const CartItem = z
  .object({
    skuId: z.string(),
    productId: z.string(),
    title: z.string(),
    skuCode: z.string(),
    salesAttributes: z.record(z.string(), z.string()),
    image: z.string().nullable(),
    quantity: z.number().int(),
    unitPrice: MoneySchema.openapi({ description: 'the current price' }),
    lineTotal: MoneySchema,
    available: z.number().int().openapi({ description: 'units that can be bought now (0 when the product is not on sale)' }),
    status: z.enum(['ok', 'insufficient_stock', 'unavailable']),
    priceChangedFrom: MoneySchema.optional().openapi({ description: 'the price when this SKU was last added, when it has changed since' }),
  })
  .openapi('CartItem');

const CartSchema = z
  .object({
    items: z.array(CartItem).openapi({ description: 'newest first' }),
    subtotal: MoneySchema.openapi({ description: 'sum of the lines with status `ok`' }),
    itemCount: z.number().int().openapi({ description: 'units in the cart, every line counted' }),
  })
  .openapi('Cart');

const Quantity = (min: number) => z.number().int().min(min).max(MAX_QUANTITY);
const SkuId = z.string().trim().min(1).max(100);
const SkuParam = z.object({ skuId: SkuId.openapi({ param: { name: 'skuId', in: 'path' } }) });

const cartAnswer = (description: string) => ({
  content: { 'application/json': { schema: CartSchema } },
  description,
  headers: z.object({ [CART_TOKEN_HEADER]: z.string().optional().openapi({ description: 'guest carts: the token to send back' }) }),
});

const description = `Without a bearer token the cart is a guest cart named by \`${CART_TOKEN_HEADER}\`: the server issues the token (answer header) when it creates the cart; send it back on every cart call, and on login or register to merge the guest cart into the user's. Guest carts expire after 30 days without use. At most ${MAX_LINES} SKUs and ${MAX_QUANTITY} units per SKU.`;

function holder(c: Context<AppEnv>): CartHolder {
  const user = c.get('user');
  return user ? { userId: user.id } : { cartToken: c.req.header(CART_TOKEN_HEADER) };
}

function respond(c: Context<AppEnv>, result: CartAnswer) {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (result.cartToken) headers[CART_TOKEN_HEADER] = result.cartToken;
  return c.json(result.cart, 200, headers);
}

export function cartRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      security,
      summary: 'My cart, with current prices and availability',
      description,
      request: { headers: CartTokenHeader },
      responses: { 200: cartAnswer('the cart (empty when there is none)'), ...errors(401) },
    }),
    async (c) => respond(c, await showCart(deps, holder(c))),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/items',
      tags,
      security,
      summary: 'Add units of a SKU (to those already in the cart)',
      description: `${description} Unknown SKU: 404. Product not on sale: 409 PRODUCT_UNAVAILABLE. More than available: 409 OUT_OF_STOCK with \`available\`. A new SKU in a full cart: 409 CART_FULL; over ${MAX_QUANTITY} units: 409 QUANTITY_LIMIT.`,
      request: {
        headers: CartTokenHeader,
        body: jsonBody(z.object({ skuId: SkuId, quantity: Quantity(1) }).strict()),
      },
      responses: { 200: cartAnswer('the cart after the change'), ...errors(400, 401, 404, 409, 415) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const result = await addToCart(deps, holder(c), body);
      const user = c.get('user');
      const line = user ? result.cart.items.find((item) => item.skuId === body.skuId) : undefined;
      if (user && line) signalRecorder(deps).record(user.id, { kind: 'cart', productId: line.productId, skuId: body.skuId });
      return respond(c, result);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/items/{skuId}',
      tags,
      security,
      summary: 'Set the quantity of a SKU in the cart (0 removes it)',
      description: `${description} A SKU not in the cart: 404. Raising the quantity needs the units (409 OUT_OF_STOCK, PRODUCT_UNAVAILABLE); lowering is always allowed.`,
      request: { params: SkuParam, headers: CartTokenHeader, body: jsonBody(z.object({ quantity: Quantity(0) }).strict()) },
      responses: { 200: cartAnswer('the cart after the change'), ...errors(400, 401, 404, 409, 415) },
    }),
    async (c) => respond(c, await changeCartQuantity(deps, holder(c), { skuId: c.req.valid('param').skuId, quantity: c.req.valid('json').quantity })),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/items/{skuId}',
      tags,
      security,
      summary: 'Remove a SKU from the cart (no error when it is not there)',
      description,
      request: { params: SkuParam, headers: CartTokenHeader },
      responses: { 200: cartAnswer('the cart after the change'), ...errors(401) },
    }),
    async (c) => respond(c, await removeFromCart(deps, holder(c), c.req.valid('param').skuId)),
  );

  return app;
}
