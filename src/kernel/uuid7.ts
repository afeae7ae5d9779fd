import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Time-ordered, so a B-tree index
 * of them grows at its right edge. Built on node:crypto's randomUUID (its entropy is pooled: about 0.1 µs),
 * keeping its random bits and RFC variant and setting the time and the version.
 */
export function uuid7(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
