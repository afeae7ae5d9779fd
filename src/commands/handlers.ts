import { CommandHandler } from '../kernel/command-handler.js';
import type { EventStore } from '../ports/event-store.js';
import { userDecider } from '../domain/users/user.js';
import { sessionDecider } from '../domain/users/session.js';
import { reservationDecider } from '../domain/uniqueness/reservation.js';

/** One command handler per aggregate type, each with its own cache of folded state. */
export function createHandlers(store: EventStore) {
  return {
    user: new CommandHandler(store, userDecider),
    session: new CommandHandler(store, sessionDecider),
    reservation: new CommandHandler(store, reservationDecider),
  };
}

export type Handlers = ReturnType<typeof createHandlers>;
