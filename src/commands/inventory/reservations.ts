import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import type { CommandResult } from '../../kernel/command-handler.js';
import { forkForReservations, inventoryStream, type Inventory, type InventoryCommand, type InventoryEvent } from '../../domain/inventory/inventory.js';

/**
 * Reservation commands on `inventory-<skuId>`. A popular SKU is a hot stream, so commands on one stream are
 * queued in-process (docs/design.md §7) and never conflict with each other. While one append is in flight the
 * queue fills; the ReserveStock commands waiting at its head are then decided together and appended at
 * once, so a flash sale's buyers share appends instead of waiting for one each. A conflict with another
 * process is retried by the command handler (more attempts than the default, as the stream is hot).
 */
const HOT_STREAM_ATTEMPTS = 50;
const MAX_BATCH = 256;

interface Queued {
  command: InventoryCommand;
  metadata: EventMetadata;
  resolve: (result: CommandResult<InventoryEvent, Inventory>) => void;
  reject: (error: unknown) => void;
}

type Handler = Deps['handlers']['inventory'];
const queues = new WeakMap<Handler, Map<string, Queued[]>>();

export function inventoryCommand(deps: Pick<Deps, 'handlers'>, skuId: string, command: InventoryCommand, metadata: EventMetadata): Promise<CommandResult<InventoryEvent, Inventory>> {
  const handler = deps.handlers.inventory;
  let byKey = queues.get(handler);
  if (!byKey) queues.set(handler, (byKey = new Map()));
  return new Promise((resolve, reject) => {
    const queue = byKey.get(skuId);
    if (queue) {
      queue.push({ command, metadata, resolve, reject });
      return;
    }
    const started: Queued[] = [{ command, metadata, resolve, reject }];
    byKey.set(skuId, started);
    void drain(handler, byKey, skuId, started);
  });
}

/** Runs a SKU's queue until it is empty: consecutive reservations as one batch, anything else alone. */
async function drain(handler: Handler, byKey: Map<string, Queued[]>, skuId: string, queue: Queued[]): Promise<void> {
  const streamId = inventoryStream(skuId);
  while (queue.length > 0) {
    let count = 1;
    if (queue[0]!.command.type === 'ReserveStock') {
      while (count < queue.length && count < MAX_BATCH && queue[count]!.command.type === 'ReserveStock') count++;
    }
    const taken = queue.splice(0, count);
    try {
      if (taken.length === 1) {
        const [only] = taken as [Queued];
        only.resolve(await handler.handle(streamId, only.command, { metadata: only.metadata, maxAttempts: HOT_STREAM_ATTEMPTS }));
        continue;
      }
      const outcomes = await handler.handleBatch(
        streamId,
        taken.map(({ command, metadata }) => ({ command, metadata })),
        { fork: forkForReservations, maxAttempts: HOT_STREAM_ATTEMPTS },
      );
      outcomes.forEach((outcome, index) => (outcome.ok ? taken[index]!.resolve(outcome.result) : taken[index]!.reject(outcome.error)));
    } catch (error) {
      for (const queued of taken) queued.reject(error);
    }
  }
  byKey.delete(skuId);
}

export interface StockHold {
  skuId: string;
  orderId: string;
  quantity: number;
  /** The flash sale whose gate admitted the units. */
  flashSaleId?: string;
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
        {
          type: 'ReserveStock',
          orderId: hold.orderId,
          payOrderId: input.payOrderId,
          quantity: hold.quantity,
          expiresAt: input.expiresAt,
          at: input.at,
          ...(hold.flashSaleId ? { flashSaleId: hold.flashSaleId } : {}),
        },
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

/**
 * Releases reservations (idempotent); a failure is logged, as the reservation's expiry repairs it. Returns
 * the reservations this call released (the others were released before, or never taken), with their units.
 */
export async function releaseAll(
  deps: Pick<Deps, 'handlers' | 'logger'>,
  holds: Array<Pick<StockHold, 'skuId' | 'orderId'>>,
  reason: string,
  at: string,
  metadata: EventMetadata,
): Promise<StockHold[]> {
  const released: StockHold[] = [];
  for (const hold of holds) {
    try {
      const result = await inventoryCommand(deps, hold.skuId, { type: 'ReleaseReservation', orderId: hold.orderId, reason, at }, metadata);
      for (const event of result.events) if (event.type === 'ReservationReleased') released.push({ ...hold, quantity: event.data.quantity });
    } catch (error) {
      deps.logger.error({ err: error, ...hold }, 'could not release a stock reservation; its expiry will');
    }
  }
  return released;
}
