import { ConflictError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/**
 * A reservation stream (`unique-<kind>-<value>`) makes a value unique across aggregates: the store,
 * not a racy read, refuses the second owner.
 */
export type ReservationEvent =
  | { type: 'ValueReserved'; data: { value: string; ownerId: string; at: string } }
  | { type: 'ValueReleased'; data: { value: string; ownerId: string; at: string } };

export type ReservationCommand =
  | { type: 'Reserve'; value: string; ownerId: string; at: string; conflictCode: string; conflictMessage: string }
  | { type: 'Release'; value: string; ownerId: string; at: string };

export type Reservation = { ownerId: string | null; reservedAt: string | null };

export const reservationDecider: Decider<ReservationCommand, ReservationEvent, Reservation> = {
  initialState: () => ({ ownerId: null, reservedAt: null }),
  evolve(state, event) {
    switch (event.type) {
      case 'ValueReserved':
        return { ownerId: event.data.ownerId, reservedAt: event.data.at };
      case 'ValueReleased':
        return state.ownerId === event.data.ownerId ? { ownerId: null, reservedAt: null } : state;
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'Reserve':
        if (state.ownerId === command.ownerId) return [];
        if (state.ownerId !== null) throw new ConflictError(command.conflictCode, command.conflictMessage);
        return [{ type: 'ValueReserved', data: { value: command.value, ownerId: command.ownerId, at: command.at } }];
      case 'Release':
        if (state.ownerId !== command.ownerId) return [];
        return [{ type: 'ValueReleased', data: { value: command.value, ownerId: command.ownerId, at: command.at } }];
    }
  },
};

export const reservationStream = (kind: string, value: string) => `unique-${kind}-${value}`;
