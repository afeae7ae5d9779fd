import type { Logger } from 'pino';
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

export interface ReactorTargetOptions {
  /**
   * Logs each reaction with the event's correlation id (and the event id as the causation of the commands
   * it sends), so one request can be followed from HTTP through its events into the reactors.
   */
  logger?: () => Logger | undefined;
}

export function reactorTarget(reactor: Reactor, views: ViewStore, options: ReactorTargetOptions = {}): ProjectionTarget {
  const checkpointName = `reactor:${reactor.name}`;
  const react = async (event: RecordedEvent) => {
    const logger = options.logger?.();
    if (!logger) return reactor.react(event);
    const log = logger.child({ reactor: reactor.name, correlationId: event.metadata.correlationId, causationId: event.id, eventType: event.type, position: event.position });
    const started = performance.now();
    try {
      await reactor.react(event);
      log.debug({ ms: Math.round((performance.now() - started) * 10) / 10 }, 'reacted');
    } catch (error) {
      log.error({ err: error }, 'reaction failed; the batch is retried');
      throw error;
    }
  };
  return {
    name: reactor.name,
    kind: 'reactor',
    checkpoint: () => views.checkpoint(checkpointName),
    async apply(events, from) {
      for (const event of events) if (reactor.handles(event)) await react(event);
      await views.commit(checkpointName, [], from, events[events.length - 1]!.position);
    },
    // A reactor's effects are commands, not a read model: resetting only rewinds its checkpoint.
    reset: () => views.reset(checkpointName, []),
  };
}
