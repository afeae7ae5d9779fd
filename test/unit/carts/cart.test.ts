import { describe, expect, it } from 'vitest';
import {
  addLine,
  emptyCart,
  lineStatus,
  MAX_LINES,
  MAX_QUANTITY,
  mergeCarts,
  priceChangedFrom,
  removeLine,
  setQuantity,
  type Cart,
  type CartLine,
  type Offer,
} from '../../../src/domain/carts/cart.js';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../../src/kernel/errors.js';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const T1 = '2025-01-01T00:00:00.000Z';
const T2 = '2025-01-02T00:00:00.000Z';
const T3 = '2025-01-03T00:00:00.000Z';

const offer = (skuId: string, overrides: Partial<Offer> = {}): Offer => ({ skuId, productId: `p-${skuId}`, price: cny(1000), available: 10, listed: true, ...overrides });
const line = (skuId: string, quantity: number, overrides: Partial<CartLine> = {}): CartLine => ({
  skuId,
  productId: `p-${skuId}`,
  quantity,
  price: cny(1000),
  addedAt: T1,
  ...overrides,
});
const cart = (...lines: CartLine[]): Cart => ({ lines });

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('addLine', () => {
  it('adds a new line first, with the current price and the time it was added', () => {
    const result = addLine(cart(line('a', 1)), { offer: offer('b', { price: cny(500) }), quantity: 2, at: T2 });
    expect(result.lines).toEqual([line('b', 2, { price: cny(500), addedAt: T2 }), line('a', 1)]);
  });

  it('adds to the quantity already in the cart and remembers the price seen now', () => {
    const result = addLine(cart(line('x', 1), line('a', 3)), { offer: offer('a', { price: cny(1200) }), quantity: 2, at: T2 });
    expect(result.lines).toEqual([line('x', 1), line('a', 5, { price: cny(1200), addedAt: T2 })]);
  });

  it('refuses more units than available, counting those in the cart (OUT_OF_STOCK with available)', () => {
    const error = thrown(() => addLine(cart(line('a', 8)), { offer: offer('a', { available: 10 }), quantity: 3, at: T2 }));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'OUT_OF_STOCK', details: { skuId: 'a', available: 10, inCart: 8 } });
    expect(addLine(cart(line('a', 8)), { offer: offer('a'), quantity: 2, at: T2 }).lines[0]!.quantity).toBe(10);
    expect(thrown(() => addLine(emptyCart(), { offer: offer('a', { available: 0 }), quantity: 1, at: T2 }))).toMatchObject({ code: 'OUT_OF_STOCK', details: { available: 0 } });
  });

  it('refuses a product that is not listed', () => {
    expect(thrown(() => addLine(emptyCart(), { offer: offer('a', { listed: false }), quantity: 1, at: T2 }))).toMatchObject({ code: 'PRODUCT_UNAVAILABLE' });
  });

  it.each([0, -1, 1.5, MAX_QUANTITY + 1, Number.NaN])('refuses the quantity %s', (quantity) => {
    expect(thrown(() => addLine(emptyCart(), { offer: offer('a'), quantity, at: T2 }))).toBeInstanceOf(ValidationError);
  });

  it(`keeps a line at ${MAX_QUANTITY} units at most`, () => {
    const plenty = offer('a', { available: 5000 });
    const full = addLine(emptyCart(), { offer: plenty, quantity: MAX_QUANTITY, at: T2 });
    expect(thrown(() => addLine(full, { offer: plenty, quantity: 1, at: T2 }))).toMatchObject({ code: 'QUANTITY_LIMIT' });
  });

  it(`holds ${MAX_LINES} different SKUs at most (CART_FULL), yet still adds to a line already there`, () => {
    const full = cart(...Array.from({ length: MAX_LINES }, (_, n) => line(`s${n}`, 1)));
    const error = thrown(() => addLine(full, { offer: offer('new'), quantity: 1, at: T2 }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'CART_FULL' });
    expect(addLine(full, { offer: offer('s5'), quantity: 1, at: T2 }).lines.find((l) => l.skuId === 's5')!.quantity).toBe(2);
  });
});

describe('setQuantity and removeLine', () => {
  it('sets the quantity, keeping the remembered price', () => {
    const result = setQuantity(cart(line('a', 2, { price: cny(900) })), { skuId: 'a', quantity: 5, offer: offer('a') });
    expect(result.lines).toEqual([line('a', 5, { price: cny(900) })]);
  });

  it('removes the line at 0; removing what is not there changes nothing', () => {
    const start = cart(line('a', 2), line('b', 1));
    expect(setQuantity(start, { skuId: 'a', quantity: 0, offer: null }).lines).toEqual([line('b', 1)]);
    expect(setQuantity(start, { skuId: 'zzz', quantity: 0, offer: null })).toBe(start);
    expect(removeLine(start, 'b').lines).toEqual([line('a', 2)]);
    expect(removeLine(start, 'zzz')).toBe(start);
  });

  it('a SKU that is not in the cart is NOT_FOUND', () => {
    expect(thrown(() => setQuantity(cart(line('a', 1)), { skuId: 'b', quantity: 1, offer: offer('b') }))).toBeInstanceOf(NotFoundError);
  });

  it('raising needs the units and a listed product; lowering is always allowed', () => {
    const start = cart(line('a', 4));
    expect(thrown(() => setQuantity(start, { skuId: 'a', quantity: 6, offer: offer('a', { available: 5 }) }))).toMatchObject({ code: 'OUT_OF_STOCK', details: { available: 5 } });
    expect(thrown(() => setQuantity(start, { skuId: 'a', quantity: 5, offer: offer('a', { listed: false }) }))).toMatchObject({ code: 'PRODUCT_UNAVAILABLE' });
    expect(thrown(() => setQuantity(start, { skuId: 'a', quantity: 5, offer: null }))).toMatchObject({ code: 'PRODUCT_UNAVAILABLE' });
    expect(setQuantity(start, { skuId: 'a', quantity: 2, offer: offer('a', { available: 0, listed: false }) }).lines[0]!.quantity).toBe(2);
    expect(setQuantity(start, { skuId: 'a', quantity: 4, offer: null })).toBe(start);
  });

  it.each([-1, 2.5, MAX_QUANTITY + 1])('refuses the quantity %s', (quantity) => {
    expect(thrown(() => setQuantity(cart(line('a', 1)), { skuId: 'a', quantity, offer: offer('a', { available: 5000 }) }))).toBeInstanceOf(ValidationError);
  });
});

describe('mergeCarts', () => {
  const offers = (...list: Offer[]) => new Map(list.map((o) => [o.skuId, o]));

  it('adds quantities of the same SKU and puts guest-only lines first', () => {
    const user = cart(line('a', 2), line('b', 1));
    const guest = cart(line('c', 1, { addedAt: T2 }), line('a', 3, { addedAt: T2 }));
    const result = mergeCarts(user, guest, offers(offer('a'), offer('b'), offer('c')));
    expect(result.cart.lines).toEqual([line('c', 1, { addedAt: T2 }), line('a', 5, { addedAt: T2 }), line('b', 1)]);
    expect(result.capped).toEqual([]);
    expect(result.dropped).toEqual([]);
  });

  it('caps the sum at what is available, but never lowers what the user had', () => {
    const result = mergeCarts(cart(line('a', 2), line('b', 6)), cart(line('a', 3), line('b', 1), line('c', 9)), offers(offer('a', { available: 4 }), offer('b', { available: 5 }), offer('c', { available: 7 })));
    expect(result.cart.lines.map((l) => [l.skuId, l.quantity])).toEqual([
      ['c', 7],
      ['a', 4],
      ['b', 6],
    ]);
    expect(result.capped).toEqual(['a', 'b', 'c']);
  });

  it(`caps at ${MAX_QUANTITY} units`, () => {
    const result = mergeCarts(cart(line('a', 900)), cart(line('a', 900)), offers(offer('a', { available: 5000 })));
    expect(result.cart.lines[0]!.quantity).toBe(MAX_QUANTITY);
    expect(result.capped).toEqual(['a']);
  });

  it('carries lines with nothing available (sold out, delisted, unknown) over unchanged, to be shown as such', () => {
    const result = mergeCarts(
      cart(line('a', 2)),
      cart(line('a', 1), line('gone', 2), line('sold', 3)),
      offers(offer('a', { listed: false }), offer('sold', { available: 0 })),
    );
    expect(result.cart.lines.map((l) => [l.skuId, l.quantity])).toEqual([
      ['gone', 2],
      ['sold', 3],
      ['a', 2],
    ]);
  });

  it('remembers the price of the line added last', () => {
    const user = cart(line('a', 1, { price: cny(100), addedAt: T1 }), line('b', 1, { price: cny(300), addedAt: T3 }));
    const guest = cart(line('a', 1, { price: cny(200), addedAt: T2 }), line('b', 1, { price: cny(400), addedAt: T2 }));
    const result = mergeCarts(user, guest, offers(offer('a'), offer('b')));
    expect(result.cart.lines).toEqual([line('a', 2, { price: cny(200), addedAt: T2 }), line('b', 2, { price: cny(300), addedAt: T3 })]);
  });

  it(`keeps ${MAX_LINES} lines at most, dropping the guest lines that do not fit`, () => {
    const user = cart(...Array.from({ length: MAX_LINES - 1 }, (_, n) => line(`u${n}`, 1)));
    const guest = cart(line('g1', 1), line('u0', 1), line('g2', 1));
    const result = mergeCarts(user, guest, offers(offer('g1'), offer('g2'), offer('u0')));
    expect(result.cart.lines).toHaveLength(MAX_LINES);
    expect(result.cart.lines[0]!.skuId).toBe('g1');
    expect(result.cart.lines.find((l) => l.skuId === 'u0')!.quantity).toBe(2);
    expect(result.dropped).toEqual(['g2']);
  });

  it('merging an empty guest cart changes nothing', () => {
    const user = cart(line('a', 2));
    expect(mergeCarts(user, emptyCart(), offers()).cart).toEqual(user);
  });
});

describe('line status and price change', () => {
  it('is ok, insufficient_stock or unavailable', () => {
    expect(lineStatus(line('a', 3), offer('a', { available: 3 }))).toBe('ok');
    expect(lineStatus(line('a', 4), offer('a', { available: 3 }))).toBe('insufficient_stock');
    expect(lineStatus(line('a', 1), offer('a', { listed: false }))).toBe('unavailable');
    expect(lineStatus(line('a', 1), null)).toBe('unavailable');
  });

  it('shows the price the buyer saw when the current one differs', () => {
    expect(priceChangedFrom(line('a', 1, { price: cny(1000) }), offer('a', { price: cny(1000) }))).toBeUndefined();
    expect(priceChangedFrom(line('a', 1, { price: cny(1000) }), offer('a', { price: cny(800) }))).toEqual(cny(1000));
    expect(priceChangedFrom(line('a', 1), null)).toBeUndefined();
  });
});
