import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { ConflictError } from '../../kernel/errors.js';
import { reservationStream } from '../../domain/uniqueness/reservation.js';

/** A reservation left by a command that crashed before its owner existed may be taken over after this. */
const ORPHAN_RESERVATION_MS = 60_000;

export interface UniqueValue {
  /** Reservation kind: the stream is `unique-<kind>-<value>`. */
  kind: 'category-name' | 'brand-name' | 'sku-code';
  value: string;
}

/**
 * Reserves a unique value for `ownerId` (the store refuses a second owner). A reservation whose owner
 * no longer holds the value (`stillOwned` false) and is older than a minute is taken over: that is a
 * command that crashed between reserving and appending its aggregate.
 */
export async function reserveUnique(
  deps: Deps,
  unique: UniqueValue,
  ownerId: string,
  conflict: ConflictError,
  stillOwned: (ownerId: string) => Promise<boolean>,
  metadata: EventMetadata,
): Promise<void> {
  const stream = reservationStream(unique.kind, unique.value);
  const at = () => deps.clock.now().toISOString();
  const command = { type: 'Reserve' as const, value: unique.value, ownerId, at: at(), conflictCode: conflict.code, conflictMessage: conflict.message };
  try {
    await deps.handlers.reservation.handle(stream, command, { metadata });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const { state } = await deps.handlers.reservation.load(stream);
    const old = Date.parse(state.reservedAt ?? '') < deps.clock.now().getTime() - ORPHAN_RESERVATION_MS;
    if (state.ownerId === null || !old || (await stillOwned(state.ownerId))) throw conflict;
    await deps.handlers.reservation.handle(stream, { type: 'Release', value: unique.value, ownerId: state.ownerId, at: at() }, { metadata });
    await deps.handlers.reservation.handle(stream, command, { metadata });
  }
}

export async function releaseUnique(deps: Deps, unique: UniqueValue, ownerId: string, metadata: EventMetadata): Promise<void> {
  await deps.handlers.reservation.handle(
    reservationStream(unique.kind, unique.value),
    { type: 'Release', value: unique.value, ownerId, at: deps.clock.now().toISOString() },
    { metadata },
  );
}

/** Releases what a failed command took, logging (not throwing) a release that fails in turn. */
export async function releaseAll(deps: Deps, taken: Array<{ unique: UniqueValue; ownerId: string }>, metadata: EventMetadata): Promise<void> {
  for (const { unique, ownerId } of taken) {
    try {
      await releaseUnique(deps, unique, ownerId, metadata);
    } catch (error) {
      deps.logger.error({ err: error, unique }, 'could not release a reservation; it will be taken over as an orphan');
    }
  }
}
