import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { KeyValue } from '../../ports/key-value.js';
import { ConcurrencyError } from '../../kernel/errors.js';
import { emptyCart, type Cart } from '../../domain/carts/cart.js';

/**
 * Carts over the KeyValue port: one JSON value per cart, `cart:user:<userId>` (kept) and
 * `cart:guest:<token>` (expires after GUEST_CART_TTL_MS without a write). A change is a
 * read → pure rule → compareAndSet loop, so concurrent writers never lose an update; writers of one
 * cart in this process also queue behind each other, so they do not spin on conflicts.
 */
export const GUEST_CART_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** A guest cart that is only read still counts as active: its expiry is renewed at most this often. */
export const GUEST_TOUCH_INTERVAL_MS = 24 * 60 * 60 * 1000;
const MAX_ATTEMPTS = 25;

export type CartOwner = { kind: 'user'; userId: string } | { kind: 'guest'; token: string };

export const cartKey = (owner: CartOwner) => (owner.kind === 'user' ? `cart:user:${owner.userId}` : `cart:guest:${owner.token}`);

/** 32 random bytes, base64url: the guest cart token the server issues. */
export const newCartToken = () => randomBytes(32).toString('base64url');
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** A header value that could be a token this server issued (anything else is ignored). */
export const isCartToken = (value: string | undefined | null): value is string => typeof value === 'string' && TOKEN_SHAPE.test(value);

const Money = z.object({ amount: z.number().int(), currency: z.string() });
const Stored = z.object({
  lines: z.array(z.object({ skuId: z.string(), productId: z.string(), quantity: z.number().int(), price: Money, addedAt: z.string() })),
  touchedAt: z.string(),
});
type Stored = z.infer<typeof Stored>;

export interface LoadedCart {
  cart: Cart;
  /** Whether the key holds a cart. */
  exists: boolean;
}

export interface CartStore {
  load(owner: CartOwner): Promise<LoadedCart>;
  /**
   * Applies `change` to the current cart (empty when absent) and stores the result. `change` returns the
   * same object to leave the cart as it is, and may throw to refuse. With `onlyIfExists`, an absent cart
   * is left absent and null is returned.
   */
  update(owner: CartOwner, change: (cart: Cart) => Cart, options?: { onlyIfExists?: boolean }): Promise<Cart | null>;
  /** Takes the whole cart away atomically: of concurrent callers only one receives it. Null when there is none. */
  take(owner: CartOwner): Promise<Cart | null>;
}

/** One queue per KeyValue instance, shared by every store made over it. */
const queues = new WeakMap<KeyValue, KeyedQueue>();

/** The carts kept in `kv`; `now` stamps the writes. */
export function cartStore(kv: KeyValue, now: () => Date = () => new Date()): CartStore {
  let queue = queues.get(kv);
  if (!queue) {
    queue = keyedQueue();
    queues.set(kv, queue);
  }
  const ttlOf = (owner: CartOwner) => (owner.kind === 'guest' ? { ttlMs: GUEST_CART_TTL_MS } : {});
  const serialize = (cart: Cart) => JSON.stringify({ lines: cart.lines, touchedAt: now().toISOString() } satisfies Stored);

  return {
    async load(owner) {
      const key = cartKey(owner);
      const raw = await kv.get(key);
      const stored = parse(raw);
      if (!stored) return { cart: emptyCart(), exists: false };
      if (owner.kind === 'guest' && now().getTime() - Date.parse(stored.touchedAt) > GUEST_TOUCH_INTERVAL_MS) {
        // Renews the expiry; if the cart changed meanwhile, that write renewed it already.
        await kv.compareAndSet(key, raw, serialize({ lines: stored.lines }), ttlOf(owner));
      }
      return { cart: { lines: stored.lines }, exists: true };
    },

    update(owner, change, options = {}) {
      const key = cartKey(owner);
      return queue.run(key, async () => {
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          const raw = await kv.get(key);
          const stored = parse(raw);
          if (!stored && options.onlyIfExists) return null;
          const current: Cart = stored ? { lines: stored.lines } : emptyCart();
          const next = change(current);
          if (next === current) return current;
          if (await kv.compareAndSet(key, raw, serialize(next), ttlOf(owner))) return next;
          await sleep(Math.random() * 5 * attempt); // another process wrote this cart: read it again
        }
        throw new ConcurrencyError(key, 'unchanged cart', 'changed on every attempt');
      });
    },

    take(owner) {
      const key = cartKey(owner);
      return queue.run(key, async () => {
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          const raw = await kv.get(key);
          if (raw === null) return null;
          if (await kv.compareAndSet(key, raw, null)) return { lines: parse(raw)?.lines ?? [] };
          await sleep(Math.random() * 5 * attempt);
        }
        throw new ConcurrencyError(key, 'unchanged cart', 'changed on every attempt');
      });
    },
  };
}

/** A stored cart, or null when absent; a value that is not a cart (corrupt, an old shape) counts as absent and is overwritten. */
function parse(raw: string | null): Stored | null {
  if (raw === null) return null;
  try {
    const result = Stored.safeParse(JSON.parse(raw));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}

interface KeyedQueue {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

/** Runs tasks of the same key one after the other (in this process). */
function keyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<void>>();
  return {
    async run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const tail = previous.then(() => finished);
      tails.set(key, tail);
      await previous;
      try {
        return await task();
      } finally {
        done();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
