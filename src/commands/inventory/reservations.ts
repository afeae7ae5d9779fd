import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import type { CommandResult } from '../../kernel/command-handler.js';
import { inventoryStream, type Inventory, type InventoryCommand, type InventoryEvent } from '../../domain/inventory/inventory.js';

/**
 * Reservation commands on `inventory-<skuId>`. A popular SKU is a hot stream: commands on one stream
 * are queued in-process (DESIGN.md §7) so they never conflict with each other; a conflict with another
 * process is retried by the command handler (more attempts than the default, as the stream is hot).
 */
const queues = new WeakMap<object, Map<string, Promise<unknown>>>();
const HOT_STREAM_ATTEMPTS = 50;

function serialized<T>(owner: object, key: string, work: () => Promise<T>): Promise<T> {
  let byKey = queues.get(owner);
  if (!byKey) queues.set(owner, (byKey = new Map()));
  const previous = byKey.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.catch(() => undefined);
  byKey.set(key, tail);
  void tail.then(() => {
    if (byKey.get(key) === tail) byKey.delete(key);
  });
  return run;
}

export function inventoryCommand(deps: Pick<Deps, 'handlers'>, skuId: string, command: InventoryCommand, metadata: EventMetadata): Promise<CommandResult<InventoryEvent, Inventory>> {
  const handler = deps.handlers.inventory;
  return serialized(handler, skuId, () => handler.handle(inventoryStream(skuId), command, { metadata, maxAttempts: HOT_STREAM_ATTEMPTS }));
}

export interface StockHold {
  skuId: string;
  orderId: string;
  quantity: number;
}

/** Reserves each hold in a consistent order (sorted by SKU id); on a refusal releases those already taken and rethrows. */
export async function reserveAll(
  deps: Pick<Deps, 'handlers' | 'logger'>,
  holds: StockHold[],
  input: { payOrderId: string; expiresAt: string; at: string },
  metadata: EventMetadata,
): Promise<{ taken: StockHold[]; position: number }> {
  const sorted = [...holds].sort((a, b) => (a.skuId < b.skuId ? -1 : a.skuId > b.skuId ? 1 : 0));
  const taken: StockHold[] = [];
  let position = 0;
  try {
    for (const hold of sorted) {
      const result = await inventoryCommand(
        deps,
        hold.skuId,
        { type: 'ReserveStock', orderId: hold.orderId, payOrderId: input.payOrderId, quantity: hold.quantity, expiresAt: input.expiresAt, at: input.at },
        metadata,
      );
      taken.push(hold);
      position = Math.max(position, result.position);
    }
    return { taken, position };
  } catch (error) {
    await releaseAll(deps, taken, 'checkout_failed', input.at, metadata);
    throw error;
  }
}

/** Releases reservations (idempotent); a failure is logged, as the reservation's expiry repairs it. */
export async function releaseAll(deps: Pick<Deps, 'handlers' | 'logger'>, holds: Array<Pick<StockHold, 'skuId' | 'orderId'>>, reason: string, at: string, metadata: EventMetadata): Promise<void> {
  for (const hold of holds) {
    try {
      await inventoryCommand(deps, hold.skuId, { type: 'ReleaseReservation', orderId: hold.orderId, reason, at }, metadata);
    } catch (error) {
      deps.logger.error({ err: error, ...hold }, 'could not release a stock reservation; its expiry will');
    }
  }
}
