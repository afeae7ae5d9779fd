/**
 * ViewStore port: JSON documents in named collections (order views, lookups, profiles), written
 * only by projections, atomically with their checkpoint. SQLite by default, MongoDB in production.
 */
export type ViewDocument = Record<string, unknown>;

export interface ViewWrite {
  collection: string;
  id: string;
  /** The new document, or null to delete it. */
  doc: ViewDocument | null;
}

export type FieldValue = string | number | boolean | null;

export interface FindQuery {
  /** Equality on top-level or dotted fields. */
  where?: Record<string, FieldValue>;
  /** Sort by one field, ties broken by id. Default: id ascending. */
  orderBy?: { field: string; direction: 'asc' | 'desc' };
  limit?: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | null;
  /**
   * Only documents where one of the string `fields` contains `text`, ignoring the case of ASCII letters
   * (an empty text matches every document). A scan over what the other conditions select: for consoles'
   * keyword filters, not for hot paths.
   */
  contains?: { fields: string[]; text: string };
}

/** ASCII-only lower case: what `FindQuery.contains` folds, the same on every adapter. */
export const foldAscii = (text: string): string => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

export interface FindPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** The stored checkpoint is not the one the writer started from: another writer moved it. */
export class CheckpointMoved extends Error {
  constructor(
    readonly projection: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`projection ${projection}: checkpoint is ${actual}, not ${expected}`);
  }
}

/**
 * A projection's collections being rebuilt in a new generation beside the live one (blue-green): queries
 * and the projection's writer keep using the live generation until `switch`. Reads and commits here touch
 * only the new generation and its own checkpoint.
 */
export interface ViewRebuild {
  readonly generation: number;
  get<T extends ViewDocument = ViewDocument>(collection: string, id: string): Promise<T | null>;
  find<T extends ViewDocument = ViewDocument>(collection: string, query?: FindQuery): Promise<FindPage<T>>;
  /** The new generation's checkpoint (0 at the start). */
  checkpoint(): Promise<number>;
  /** As ViewStore.commit, into the new generation; CheckpointMoved also when another rebuild replaced this one. */
  commit(writes: ViewWrite[], from: number, to: number): Promise<void>;
  /**
   * In one atomic step, makes the new generation the one queries read and the projection writes, with its
   * checkpoint as the projection's: a writer that read the old checkpoint gets CheckpointMoved on its next
   * commit. Then drops the old generation (after a short grace for reads already under way).
   */
  switch(): Promise<void>;
  /** Drops the new generation; the live one is untouched. */
  abort(): Promise<void>;
}

export interface ViewStore {
  get<T extends ViewDocument = ViewDocument>(collection: string, id: string): Promise<T | null>;
  find<T extends ViewDocument = ViewDocument>(collection: string, query?: FindQuery): Promise<FindPage<T>>;
  /** Declares the fields queries filter and sort on, so the adapter can index them. */
  ensureIndex(collection: string, fields: string[]): Promise<void>;
  checkpoint(projection: string): Promise<number>;
  /**
   * Writes the documents and moves the projection's checkpoint from `from` to `to` in one atomic
   * step. Throws CheckpointMoved (writing nothing) when the stored checkpoint is not `from`, or when a
   * rebuild switched generations since this store last read the projection's `checkpoint` (what the writer
   * read may come from the old generation).
   */
  commit(projection: string, writes: ViewWrite[], from: number, to: number): Promise<void>;
  /** Deletes every document of the collections and sets the projection's checkpoint to 0. */
  reset(projection: string, collections: string[]): Promise<void>;
  /**
   * Starts a rebuild of the projection's collections in a new, empty generation (indexed as the live one).
   * What an interrupted rebuild left behind is dropped first, so a rebuild can always be started again.
   */
  beginRebuild(projection: string, collections: string[]): Promise<ViewRebuild>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
