import type { StreamAppend } from '../../ports/event-store.js';

/** A multi-stream append names each stream once, and gives each at least one event. */
export function assertDistinctStreams(appends: StreamAppend[]): void {
  if (appends.length === 0) throw new Error('appendAll needs at least one stream');
  const seen = new Set<string>();
  for (const { streamId, events } of appends) {
    if (seen.has(streamId)) throw new Error(`appendAll names stream ${streamId} twice`);
    if (events.length === 0) throw new Error(`append to ${streamId} needs at least one event`);
    seen.add(streamId);
  }
}
