import type { RecordedEvent } from '../../ports/event-store.js';

/**
 * The newest events read from the store, kept parsed and frozen: the projections and reactors woken by one
 * append all read the same few events, and this parses them once. It holds a contiguous range of positions
 * (from, to] with every event in it, so an answer served from it equals the store's. Readers behind the
 * range go to the store; a reader past it starts a new range (the store gives a consistent prefix: commits
 * are serialized, so positions become visible in order).
 */
export class TailCache {
  private events: RecordedEvent[] = [];
  private from = -1;
  private to = -1;

  constructor(private readonly capacity = 4096) {}

  read(after: number, maxCount: number, readStore: (after: number, maxCount: number) => RecordedEvent[]): RecordedEvent[] {
    if (maxCount <= 0 || maxCount > this.capacity) return readStore(after, maxCount);
    if (this.from < 0 || after > this.to) {
      const fetched = readStore(after, maxCount).map(deepFreeze);
      this.events = fetched;
      this.from = after;
      this.to = fetched.length > 0 ? fetched[fetched.length - 1]!.position : after;
      return fetched;
    }
    if (after < this.from) return readStore(after, maxCount);

    const start = this.firstAfter(after);
    const cached = this.events.slice(start, start + maxCount);
    if (cached.length === maxCount) return cached;
    const fetched = readStore(this.to, maxCount - cached.length).map(deepFreeze);
    if (fetched.length === 0) return cached;
    this.events.push(...fetched);
    this.to = fetched[fetched.length - 1]!.position;
    this.trim();
    return cached.concat(fetched);
  }

  private firstAfter(position: number): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.events[middle]!.position <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private trim(): void {
    // Trimmed in chunks, so the copy is amortized over many reads.
    if (this.events.length <= 2 * this.capacity) return;
    const drop = this.events.length - this.capacity;
    this.from = this.events[drop - 1]!.position;
    this.events = this.events.slice(drop);
  }
}

/**
 * Readers share these objects: freezing makes a projection that mutates an event fail loudly. A frozen value
 * is left as it is (an event whose body is parsed on first use freezes the body then).
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
