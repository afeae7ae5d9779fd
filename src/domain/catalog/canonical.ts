import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level: equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A 26-character id (ulid alphabet) derived from a seed: the same seed always gives the same id. */
export function idFromSeed(seed: string): string {
  const bytes = createHash('sha256').update(seed).digest();
  let id = '';
  for (let i = 0; i < 26; i++) id += CROCKFORD[bytes[i]! % 32];
  return id;
}
