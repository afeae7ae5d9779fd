import { createHash } from 'node:crypto';

/**
 * Order ids (seed, 系统中的分布式ID: 时间戳 + 机器ID + uid % 100 + sequence), as a fixed-width decimal
 * string so that ids sort by time as strings and as numbers:
 *
 *   ttttttttttttt nnnn ss qqq   (22 digits)
 *   │             │    │  └ sequence within the millisecond on this node (000-999)
 *   │             │    └ the user's shard: userShard(userId), 00-99
 *   │             └ node id (BAZAAR_NODE_ID, 0000-1023)
 *   └ milliseconds since the Unix epoch (13 digits, good until the year 2286)
 *
 * Unique across nodes with distinct node ids; within a node the generator never repeats (when a
 * millisecond's 1000 sequence numbers are spent, or the clock steps back, it borrows the next
 * millisecond). The shard lets an order table split by user find the user's shard from the id alone.
 */
export const ORDER_ID_PATTERN = /^\d{13}\d{4}\d{2}\d{3}$/;
const MAX_NODE_ID = 1023;
const SEQUENCE_LIMIT = 1000;

export interface ParsedOrderId {
  at: Date;
  nodeId: number;
  shard: number;
  sequence: number;
}

/**
 * The user's shard, 0-99. The seed's `uid % 100` assumes numeric ids; user ids here are ULIDs, so a
 * numeric id is taken modulo 100 and any other id through a stable hash.
 */
export function userShard(userId: string): number {
  if (/^\d{1,15}$/.test(userId)) return Number(userId) % 100;
  return createHash('sha256').update(userId).digest().readUInt32BE(0) % 100;
}

export function parseOrderId(id: string): ParsedOrderId | null {
  if (!ORDER_ID_PATTERN.test(id)) return null;
  const nodeId = Number(id.slice(13, 17));
  if (nodeId > MAX_NODE_ID) return null;
  return { at: new Date(Number(id.slice(0, 13))), nodeId, shard: Number(id.slice(17, 19)), sequence: Number(id.slice(19, 22)) };
}

export const isOrderId = (id: string): boolean => parseOrderId(id) !== null;

export type OrderIdGenerator = (userId: string) => string;

/** A generator for one node; `now` gives the current time in ms (the application clock). */
export function orderIdGenerator(nodeId: number, now: () => number): OrderIdGenerator {
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > MAX_NODE_ID) throw new RangeError(`node id must be 0-${MAX_NODE_ID}`);
  let lastMs = 0;
  let sequence = 0;
  return (userId) => {
    const ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      sequence = 0;
    } else if (++sequence >= SEQUENCE_LIMIT) {
      lastMs += 1;
      sequence = 0;
    }
    return `${String(lastMs).padStart(13, '0')}${String(nodeId).padStart(4, '0')}${String(userShard(userId)).padStart(2, '0')}${String(sequence).padStart(3, '0')}`;
  };
}
