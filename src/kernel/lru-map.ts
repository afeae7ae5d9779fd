/**
 * A bounded Map that forgets what has not been used for a while: the in-process caches (folded streams,
 * verified tokens, parsed documents, memoized parses, stream ends). Two generations, as quick-lru keeps
 * them: entries go into `recent`; when it holds half the capacity it becomes `older` and the previous
 * `older` is dropped. An entry read or written since the last turnover survives the next one (a read in
 * `older` moves it back to `recent`); one untouched for two turnovers is gone; never more than `capacity`.
 * A hit in `recent` is a single Map lookup: an exact LRU reorders its Map on every read (a delete and a set,
 * and the rehashing of a large table full of tombstones), which cost the API thread about 5 % at saturation.
 */
export class LruMap<Key, Value> {
  private recent = new Map<Key, Value>();
  private older = new Map<Key, Value>();
  private readonly half: number;

  constructor(readonly capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get size(): number {
    return this.recent.size + this.older.size;
  }

  has(key: Key): boolean {
    return this.recent.has(key) || this.older.has(key);
  }

  get(key: Key): Value | undefined {
    const value = this.recent.get(key);
    if (value !== undefined || this.recent.has(key)) return value;
    if (!this.older.has(key)) return undefined;
    const kept = this.older.get(key) as Value;
    this.older.delete(key);
    this.admit(key, kept);
    return kept;
  }

  set(key: Key, value: Value): this {
    if (this.recent.has(key)) {
      this.recent.set(key, value);
      return this;
    }
    this.older.delete(key);
    this.admit(key, value);
    return this;
  }

  delete(key: Key): boolean {
    const inRecent = this.recent.delete(key);
    return this.older.delete(key) || inRecent;
  }

  clear(): void {
    this.recent.clear();
    this.older.clear();
  }

  private admit(key: Key, value: Value): void {
    this.recent.set(key, value);
    if (this.recent.size < this.half) return;
    this.older = this.recent;
    this.recent = new Map();
  }
}
