/** Opaque keyset cursors for list endpoints: base64url of the last item's sort key and id. */
export function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** The longest cursor accepted (route schemas also bound the query parameter). */
const MAX_CURSOR_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function decodeCursor(cursor: string): unknown[] {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw new InvalidCursor();
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts)) return parts;
  } catch {
    // fall through
  }
  throw new InvalidCursor();
}

/** A sort key a keyset cursor may carry: a scalar the view stores compare, never an object or array. */
export type CursorKey = string | number | boolean | null;

const isCursorKey = (value: unknown): value is CursorKey =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

/**
 * A keyset cursor `[sortKey, id]` as the view stores issue it: exactly two parts, a scalar sort key and
 * a non-empty string id. Anything else (other types inside valid base64url JSON included) is InvalidCursor,
 * so a crafted cursor is a 400, never a driver error.
 */
export function decodeKeysetCursor(cursor: string): { sortKey: CursorKey; id: string } {
  const parts = decodeCursor(cursor);
  if (parts.length !== 2) throw new InvalidCursor();
  const [sortKey, id] = parts;
  if (!isCursorKey(sortKey) || typeof id !== 'string' || id.length === 0) throw new InvalidCursor();
  return { sortKey, id };
}

export class InvalidCursor extends Error {
  constructor() {
    super('the cursor is not one this server issued');
  }
}

/**
 * A keyset cursor that starts a page at a sort key rather than after a row: ascending, the page starts
 * at the first row whose key is ≥ `sortKey` (prefix and range scans); descending, at the first row whose
 * key is < `sortKey` (an exclusive upper bound, e.g. "created before"). Ids are never empty, so `'\u0000'`
 * sorts before every id of the boundary key.
 */
export const keysetStart = (sortKey: CursorKey): string => encodeCursor([sortKey, '\u0000']);
