import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the scheduling priority of the calling thread (Linux: a thread is a task with its own id, and
 * setpriority on that id touches it alone). The background threads of a process (projections, WAL
 * checkpoints) take this so that on a machine with as many busy threads as cores, the API's event loop
 * is the one that keeps its core: the background work only needs to keep up on average. Returns whether it
 * took effect (elsewhere, or without /proc, it does nothing).
 */
export function deprioritizeThisThread(niceness = 10): boolean {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return false;
    setPriority(threadId, niceness);
    return true;
  } catch {
    return false;
  }
}
