import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';
import { MAX_STOCK } from '../../kernel/limits.js';

/**
 * The stock of one SKU (`inventory-<skuId>`): `onHand` (StockSet, StockAdjusted) and the units reserved
 * by unpaid orders. The units that can be sold are `available = onHand − reserved`, and no change may
 * leave available below 0. A reservation is keyed by its order id (docs/design.md §1): reserving for the
 * same order again, or releasing / committing one already settled, decides nothing. It carries its
 * expiry, so one whose order never got written is found and released by the expiry sweeper.
 * Every reservation event carries the resulting `onHand` and `reserved` for the read models.
 */
export type InventoryEvent =
  | { type: 'StockSet'; data: { skuId: string; productId: string; onHand: number; previousOnHand: number; at: string } }
  | { type: 'StockAdjusted'; data: { skuId: string; productId: string; delta: number; onHand: number; at: string } }
  | {
      type: 'StockReserved';
      /** `flashSaleId`: the flash sale whose gate admitted these units (they go back to it if the reservation is abandoned). */
      data: { skuId: string; productId: string; orderId: string; payOrderId: string | null; quantity: number; expiresAt: string; onHand: number; reserved: number; at: string; flashSaleId?: string };
    }
  | { type: 'ReservationReleased'; data: { skuId: string; productId: string; orderId: string; quantity: number; reason: string; onHand: number; reserved: number; at: string } }
  | { type: 'ReservationCommitted'; data: { skuId: string; productId: string; orderId: string; quantity: number; onHand: number; reserved: number; at: string } }
  /** Returned goods back on the shelf, once per refund (RestockReturn). */
  | { type: 'StockReturned'; data: { skuId: string; productId: string; refundId: string; quantity: number; onHand: number; at: string } };

export const RESERVATION_EVENTS = ['StockReserved', 'ReservationReleased', 'ReservationCommitted'] as const;

export type InventoryCommand =
  /** First stock of a new SKU; a resend (or any stock already there) appends nothing. */
  | { type: 'InitializeStock'; skuId: string; productId: string; onHand: number; at: string }
  | { type: 'SetStock'; skuId: string; productId: string; onHand: number; at: string }
  | { type: 'AdjustStock'; delta: number; at: string }
  /** Holds units for an unpaid order until `expiresAt`; OUT_OF_STOCK when fewer are available. */
  | { type: 'ReserveStock'; orderId: string; payOrderId?: string; quantity: number; expiresAt: string; at: string; flashSaleId?: string }
  /** Gives the units back (cancel, time-out, a checkout step that failed). */
  | { type: 'ReleaseReservation'; orderId: string; reason: string; at: string }
  /** The order was paid: the units leave the shelf (onHand −= quantity). */
  | { type: 'CommitReservation'; orderId: string; at: string }
  /**
   * The goods of a return-and-refund are back: onHand += quantity, once per refund id (a resend — the
   * request and the refund reactor both send it — decides nothing), so it is safe to repeat after a crash.
   */
  | { type: 'RestockReturn'; refundId: string; quantity: number; at: string };

export interface Reservation {
  quantity: number;
  expiresAt: string;
}

export type Inventory =
  | { status: 'none' }
  | {
      status: 'tracked';
      skuId: string;
      productId: string;
      onHand: number;
      reserved: number;
      /** Open reservations by order id. */
      reservations?: Record<string, Reservation>;
      /** Order ids whose reservation was released or committed: a late resend must not take the units again. */
      settled?: Record<string, 'released' | 'committed'>;
      /** Refund ids whose returned goods were put back (StockReturned): a resend must not add them again. */
      returned?: Record<string, true>;
    };

export class OutOfStock extends DomainError {
  constructor(skuId: string, requested: number, availableUnits: number) {
    super('OUT_OF_STOCK', `only ${Math.max(0, availableUnits)} units of SKU ${skuId} are available, ${requested} requested`, {
      skuId,
      requested,
      available: Math.max(0, availableUnits),
    });
  }
}

export const available = (inventory: Inventory): number => (inventory.status === 'tracked' ? inventory.onHand - inventory.reserved : 0);

/**
 * `reservations`, `settled` and `returned` are extended in place: copying them per event would make folding a hot
 * SKU's stream quadratic. States are never shared across revisions (the command handler evolves only
 * committed events), so no one sees the change behind their back.
 */
export function evolve(state: Inventory, event: InventoryEvent): Inventory {
  switch (event.type) {
    case 'StockSet':
      return state.status === 'tracked'
        ? { ...state, onHand: event.data.onHand }
        : { status: 'tracked', skuId: event.data.skuId, productId: event.data.productId, onHand: event.data.onHand, reserved: 0 };
    case 'StockAdjusted':
      return state.status === 'tracked' ? { ...state, onHand: event.data.onHand } : state;
    case 'StockReturned': {
      if (state.status !== 'tracked') return state;
      const returned = state.returned ?? {};
      returned[event.data.refundId] = true;
      return { ...state, onHand: event.data.onHand, returned };
    }
    case 'StockReserved': {
      if (state.status !== 'tracked') return state;
      const { orderId, quantity, expiresAt } = event.data;
      const reservations = state.reservations ?? {};
      reservations[orderId] = { quantity, expiresAt };
      return { ...state, reserved: state.reserved + quantity, reservations };
    }
    case 'ReservationReleased':
    case 'ReservationCommitted': {
      if (state.status !== 'tracked') return state;
      const committed = event.type === 'ReservationCommitted';
      const reservations = state.reservations ?? {};
      delete reservations[event.data.orderId];
      const settled = state.settled ?? {};
      settled[event.data.orderId] = committed ? 'committed' : 'released';
      return {
        ...state,
        onHand: committed ? state.onHand - event.data.quantity : state.onHand,
        reserved: state.reserved - event.data.quantity,
        reservations,
        settled,
      };
    }
  }
}

/**
 * A view of the state on which a batch of reservations is decided without touching the original:
 * StockReserved only adds to `reservations`, so the view's map is a layer over the original's (reads fall
 * through, additions stay in the layer). Copying the map instead cost O(open reservations) per batch: tens
 * of milliseconds on a hot SKU with tens of thousands of them. The view is thrown away after deciding
 * (BatchOptions.fork); `settled` and `returned` stay shared, as reservations never write them.
 */
export function forkForReservations(state: Inventory): Inventory {
  return state.status === 'tracked' ? { ...state, reservations: Object.create(state.reservations ?? null) as Record<string, Reservation> } : state;
}

export function decide(command: InventoryCommand, state: Inventory): InventoryEvent[] {
  switch (command.type) {
    case 'InitializeStock':
      if (state.status === 'tracked') return [];
      requireCount(command.onHand, 'stock');
      return [{ type: 'StockSet', data: { skuId: command.skuId, productId: command.productId, onHand: command.onHand, previousOnHand: 0, at: command.at } }];
    case 'SetStock': {
      requireCount(command.onHand, 'set');
      const reserved = state.status === 'tracked' ? state.reserved : 0;
      if (state.status === 'tracked' && state.onHand === command.onHand) return [];
      if (command.onHand < reserved) throw negative(`${reserved} units are reserved by orders; stock cannot go below that`);
      const previousOnHand = state.status === 'tracked' ? state.onHand : 0;
      return [{ type: 'StockSet', data: { skuId: command.skuId, productId: command.productId, onHand: command.onHand, previousOnHand, at: command.at } }];
    }
    case 'AdjustStock': {
      if (state.status !== 'tracked') throw new NotFoundError('inventory');
      if (!Number.isSafeInteger(command.delta) || command.delta === 0) {
        throw new ValidationError('invalid stock change', [{ path: 'delta', message: 'must be a non-zero integer' }]);
      }
      const onHand = state.onHand + command.delta;
      if (onHand > MAX_STOCK) throw new ValidationError('too much stock', [{ path: 'delta', message: `the units on hand would be ${onHand}; at most ${MAX_STOCK}` }]);
      if (onHand - state.reserved < 0) throw negative(`stock would go negative: ${state.onHand - state.reserved} available, change ${command.delta}`);
      return [{ type: 'StockAdjusted', data: { skuId: state.skuId, productId: state.productId, delta: command.delta, onHand, at: command.at } }];
    }
    case 'ReserveStock':
      return reserve(command, state);
    case 'RestockReturn': {
      if (!Number.isSafeInteger(command.quantity) || command.quantity <= 0) {
        throw new ValidationError('invalid quantity', [{ path: 'quantity', message: 'must be a positive integer' }]);
      }
      if (command.refundId.trim() === '') throw new ValidationError('invalid refund id', [{ path: 'refundId', message: 'required' }]);
      if (state.status !== 'tracked') throw new NotFoundError('inventory');
      if (state.returned?.[command.refundId]) return []; // restocked already
      const onHand = state.onHand + command.quantity;
      return [{ type: 'StockReturned', data: { skuId: state.skuId, productId: state.productId, refundId: command.refundId, quantity: command.quantity, onHand, at: command.at } }];
    }
    case 'ReleaseReservation':
    case 'CommitReservation': {
      if (state.status !== 'tracked') return [];
      const reservation = state.reservations?.[command.orderId];
      if (!reservation) return []; // never reserved, or already settled
      const base = { skuId: state.skuId, productId: state.productId, orderId: command.orderId, quantity: reservation.quantity, reserved: state.reserved - reservation.quantity, at: command.at };
      if (command.type === 'CommitReservation') return [{ type: 'ReservationCommitted', data: { ...base, onHand: state.onHand - reservation.quantity } }];
      return [{ type: 'ReservationReleased', data: { ...base, reason: command.reason, onHand: state.onHand } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

function reserve(command: Extract<InventoryCommand, { type: 'ReserveStock' }>, state: Inventory): InventoryEvent[] {
  if (!Number.isSafeInteger(command.quantity) || command.quantity <= 0) {
    throw new ValidationError('invalid quantity', [{ path: 'quantity', message: 'must be a positive integer' }]);
  }
  if (state.status !== 'tracked') throw new OutOfStock('(untracked)', command.quantity, 0);
  if (state.reservations?.[command.orderId] || state.settled?.[command.orderId]) return []; // resent
  const free = available(state);
  if (free < command.quantity) throw new OutOfStock(state.skuId, command.quantity, free);
  return [
    {
      type: 'StockReserved',
      data: {
        skuId: state.skuId,
        productId: state.productId,
        orderId: command.orderId,
        payOrderId: command.payOrderId ?? null,
        quantity: command.quantity,
        expiresAt: command.expiresAt,
        onHand: state.onHand,
        reserved: state.reserved + command.quantity,
        at: command.at,
        ...(command.flashSaleId ? { flashSaleId: command.flashSaleId } : {}),
      },
    },
  ];
}

function requireCount(value: number, path: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError('invalid stock', [{ path, message: 'must be an integer ≥ 0' }]);
}

const negative = (message: string) => new ConflictError('STOCK_NEGATIVE', message);

export const inventoryDecider: Decider<InventoryCommand, InventoryEvent, Inventory> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const inventoryStream = (skuId: string) => `inventory-${skuId}`;
