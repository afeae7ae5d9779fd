/** Opaque keyset cursors for list endpoints: base64url of the last item's sort key and id. */
export function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string): unknown[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts)) return parts;
  } catch {
    // fall through
  }
  throw new InvalidCursor();
}

export class InvalidCursor extends Error {
  constructor() {
    super('the cursor is not one this server issued');
  }
}
