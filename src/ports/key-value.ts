/**
 * KeyValue port: short-lived and hot data (SMS codes, rate limits, idempotency records, carts,
 * caches, flash-sale gates). In-process by default, Redis in production.
 */
export interface SetOptions {
  /** Expire the key after this many milliseconds. */
  ttlMs?: number;
  /** Write only if the key does not exist (SET NX). */
  ifAbsent?: boolean;
}

/** What `takeTokens` did: took them, refused (fewer remain than asked), or found no counter at the key. */
export type TakeTokens = 'taken' | 'insufficient' | 'absent';

export interface KeyValue {
  get(key: string): Promise<string | null>;
  /** Returns false when `ifAbsent` was set and the key already existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  /** Deletes the key; true if it existed. Only one of several concurrent callers gets true. */
  del(key: string): Promise<boolean>;
  /** Atomically adds `by` (default 1) and returns the new value; `ttlMs` applies when the key is created. */
  incr(key: string, by?: number, options?: { ttlMs?: number }): Promise<number>;
  /**
   * Atomically: when the current value is `expected` (null: the key is absent or has expired), writes
   * `value` (null: deletes the key) and returns true; otherwise changes nothing and returns false.
   * A write behaves as a plain `set`: the old ttl is dropped and `ttlMs`, when given, applies.
   * The building block for read-modify-write of one JSON value without lost updates.
   */
  compareAndSet(key: string, expected: string | null, value: string | null, options?: { ttlMs?: number }): Promise<boolean>;
  /**
   * A token bucket without refill (the flash-sale gate): atomically, when the integer at `key` is at
   * least `count`, subtracts `count` and answers 'taken'; when it is smaller, changes nothing and answers
   * 'insufficient'; when the key is absent (or has expired), changes nothing and answers 'absent' (the
   * caller rebuilds the counter from its source of truth). `count` is a positive integer.
   */
  takeTokens(key: string, count: number): Promise<TakeTokens>;
  /**
   * Atomically adds `count` tokens back to an existing counter and returns the new value; when the key
   * is absent nothing is written and the answer is null (a counter rebuilt later counts from the source).
   */
  returnTokens(key: string, count: number): Promise<number | null>;
  /** Remaining time to live in ms; null when the key is absent or never expires. */
  ttl(key: string): Promise<number | null>;
  /** Reachability check for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
