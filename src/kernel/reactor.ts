import type { RecordedEvent } from '../ports/event-store.js';
import type { ViewStore } from '../ports/view-store.js';
import type { ProjectionTarget } from './projection-runner.js';

/**
 * A reactor (process manager) reacts to events with commands: `react` runs for each event it is
 * interested in, then the checkpoint moves. Delivery is at-least-once (a crash before the checkpoint
 * replays the batch), so every command a reactor sends must be idempotent, e.g. by a deterministic id
 * derived from the event (`transfer-<paymentId>-capture`). Reactors run in the ProjectionRunner beside
 * the projections, each from its own checkpoint kept in the ViewStore.
 */
export interface Reactor {
  name: string;
  /** Cheap filter on the event; `react` runs only for events it accepts. */
  handles(event: RecordedEvent): boolean;
  react(event: RecordedEvent): Promise<void>;
}

export function reactorTarget(reactor: Reactor, views: ViewStore): ProjectionTarget {
  const checkpointName = `reactor:${reactor.name}`;
  return {
    name: reactor.name,
    checkpoint: () => views.checkpoint(checkpointName),
    async apply(events, from) {
      for (const event of events) if (reactor.handles(event)) await reactor.react(event);
      await views.commit(checkpointName, [], from, events[events.length - 1]!.position);
    },
    // A reactor's effects are commands, not a read model: resetting only rewinds its checkpoint.
    reset: () => views.reset(checkpointName, []),
  };
}
