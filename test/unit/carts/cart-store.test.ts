import { afterEach, describe, expect, it } from 'vitest';
import { memoryKeyValue } from '../../../src/adapters/keyvalue/memory.js';
import type { KeyValue } from '../../../src/ports/key-value.js';
import { addLine, type Cart, type Offer } from '../../../src/domain/carts/cart.js';
import { cartKey, cartStore, GUEST_CART_TTL_MS, GUEST_TOUCH_INTERVAL_MS, isCartToken, newCartToken } from '../../../src/commands/carts/cart-store.js';

const offer: Offer = { skuId: 'a', productId: 'p', price: { amount: 100, currency: 'CNY' }, available: 1000, listed: true };
const addOne = (cart: Cart) => addLine(cart, { offer, quantity: 1, at: '2025-01-01T00:00:00.000Z' });
const stores: KeyValue[] = [];
const kv = () => {
  const store = memoryKeyValue();
  stores.push(store);
  return store;
};
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe('cart tokens', () => {
  it('are 32 random bytes in base64url; other shapes are not tokens', () => {
    const token = newCartToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newCartToken()).not.toBe(token);
    expect(isCartToken(token)).toBe(true);
    for (const other of [undefined, null, '', 'short', `${token}x`, `${token.slice(0, 42)}=`, `${token.slice(0, 42)}/`]) expect(isCartToken(other)).toBe(false);
  });

  it('name user and guest carts apart', () => {
    expect(cartKey({ kind: 'user', userId: 'u1' })).toBe('cart:user:u1');
    expect(cartKey({ kind: 'guest', token: 't' })).toBe('cart:guest:t');
  });
});

describe('cartStore', () => {
  it('loses no update: 50 concurrent adds through separate store objects give 50', async () => {
    const store = kv();
    const owner = { kind: 'user', userId: 'u1' } as const;
    await Promise.all(Array.from({ length: 50 }, () => cartStore(store).update(owner, addOne)));
    expect((await cartStore(store).load(owner)).cart.lines[0]!.quantity).toBe(50);
  });

  it('loses no update when another process writes between the read and the write (compareAndSet retries)', async () => {
    const inner = kv();
    let interfere = 3;
    // A KeyValue whose value changes behind the store's back right after each of the first reads.
    const racy: KeyValue = {
      ...inner,
      async get(key) {
        const value = await inner.get(key);
        if (interfere-- > 0) await cartStore(inner).update({ kind: 'user', userId: 'u1' }, addOne);
        return value;
      },
    };
    const result = await cartStore(racy).update({ kind: 'user', userId: 'u1' }, addOne);
    expect(result!.lines[0]!.quantity).toBe(4);
    expect((await cartStore(inner).load({ kind: 'user', userId: 'u1' })).cart.lines[0]!.quantity).toBe(4);
  });

  it('keeps user carts and lets guest carts expire', async () => {
    const store = kv();
    await cartStore(store).update({ kind: 'user', userId: 'u1' }, addOne);
    await cartStore(store).update({ kind: 'guest', token: 't' }, addOne);
    expect(await store.ttl('cart:user:u1')).toBeNull();
    const ttl = await store.ttl('cart:guest:t');
    expect(ttl).toBeGreaterThan(GUEST_CART_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(GUEST_CART_TTL_MS);
  });

  it('renews the expiry of a guest cart that is only read, at most once per interval', async () => {
    let now = Date.parse('2025-01-01T00:00:00.000Z');
    const store = memoryKeyValue({ now: () => now });
    stores.push(store);
    const carts = cartStore(store, () => new Date(now));
    await carts.update({ kind: 'guest', token: 't' }, addOne);
    now += GUEST_TOUCH_INTERVAL_MS / 2;
    await carts.load({ kind: 'guest', token: 't' });
    expect(await store.ttl('cart:guest:t')).toBe(GUEST_CART_TTL_MS - GUEST_TOUCH_INTERVAL_MS / 2);
    now += GUEST_TOUCH_INTERVAL_MS;
    const loaded = await carts.load({ kind: 'guest', token: 't' });
    expect(loaded.cart.lines).toHaveLength(1);
    expect(await store.ttl('cart:guest:t')).toBe(GUEST_CART_TTL_MS);
  });

  it('onlyIfExists leaves an absent cart absent', async () => {
    const store = kv();
    expect(await cartStore(store).update({ kind: 'guest', token: 'nope' }, addOne, { onlyIfExists: true })).toBeNull();
    expect(await store.get('cart:guest:nope')).toBeNull();
  });

  it('a change that returns the same cart writes nothing', async () => {
    const store = kv();
    await cartStore(store).update({ kind: 'user', userId: 'u1' }, (cart) => cart);
    expect(await store.get('cart:user:u1')).toBeNull();
  });

  it('a refused change writes nothing and frees the queue', async () => {
    const store = kv();
    const owner = { kind: 'user', userId: 'u1' } as const;
    await expect(
      cartStore(store).update(owner, () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await store.get('cart:user:u1')).toBeNull();
    expect((await cartStore(store).update(owner, addOne))!.lines).toHaveLength(1);
  });

  it('take gives the cart to exactly one of several callers and deletes it', async () => {
    const store = kv();
    const owner = { kind: 'guest', token: 't' } as const;
    await cartStore(store).update(owner, addOne);
    const taken = await Promise.all(Array.from({ length: 5 }, () => cartStore(store).take(owner)));
    expect(taken.filter((cart) => cart !== null)).toHaveLength(1);
    expect(await store.get('cart:guest:t')).toBeNull();
  });

  it('reads a value that is not a cart as no cart, and replaces it on the next write', async () => {
    const store = kv();
    await store.set('cart:user:u1', '{"not":"a cart"}');
    expect(await cartStore(store).load({ kind: 'user', userId: 'u1' })).toEqual({ cart: { lines: [] }, exists: false });
    expect((await cartStore(store).update({ kind: 'user', userId: 'u1' }, addOne))!.lines).toHaveLength(1);
  });
});
