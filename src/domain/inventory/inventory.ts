import { ConflictError, NotFoundError, ValidationError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/**
 * The stock of one SKU (`inventory-<skuId>`). Today only `onHand` moves (StockSet, StockAdjusted);
 * `reserved` is kept in the state at 0 so the reservations of checkout extend it naturally: the units
 * that can be sold are `available = onHand − reserved`, and no change may leave available below 0.
 */
export type InventoryEvent =
  | { type: 'StockSet'; data: { skuId: string; productId: string; onHand: number; previousOnHand: number; at: string } }
  | { type: 'StockAdjusted'; data: { skuId: string; productId: string; delta: number; onHand: number; at: string } };

export type InventoryCommand =
  /** First stock of a new SKU; a resend (or any stock already there) appends nothing. */
  | { type: 'InitializeStock'; skuId: string; productId: string; onHand: number; at: string }
  | { type: 'SetStock'; skuId: string; productId: string; onHand: number; at: string }
  | { type: 'AdjustStock'; delta: number; at: string };

export type Inventory = { status: 'none' } | { status: 'tracked'; skuId: string; productId: string; onHand: number; reserved: number };

export const available = (inventory: Inventory): number => (inventory.status === 'tracked' ? inventory.onHand - inventory.reserved : 0);

export function evolve(state: Inventory, event: InventoryEvent): Inventory {
  switch (event.type) {
    case 'StockSet':
      return { status: 'tracked', skuId: event.data.skuId, productId: event.data.productId, onHand: event.data.onHand, reserved: state.status === 'tracked' ? state.reserved : 0 };
    case 'StockAdjusted':
      return state.status === 'tracked' ? { ...state, onHand: event.data.onHand } : state;
  }
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
      if (onHand - state.reserved < 0) throw negative(`stock would go negative: ${state.onHand - state.reserved} available, change ${command.delta}`);
      return [{ type: 'StockAdjusted', data: { skuId: state.skuId, productId: state.productId, delta: command.delta, onHand, at: command.at } }];
    }
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
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
