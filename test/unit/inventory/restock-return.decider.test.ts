import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { available, inventoryDecider, type InventoryEvent } from '../../../src/domain/inventory/inventory.js';
import { NotFoundError, ValidationError } from '../../../src/kernel/errors.js';

const at = '2030-01-01T00:00:00.000Z';
const stocked = (onHand: number): InventoryEvent => ({ type: 'StockSet', data: { skuId: 'S', productId: 'P', onHand, previousOnHand: 0, at } });
const returned = (refundId: string, quantity: number, onHand: number): InventoryEvent => ({ type: 'StockReturned', data: { skuId: 'S', productId: 'P', refundId, quantity, onHand, at } });
const inventory = spec(inventoryDecider);

describe('inventory: returned goods back to stock (RestockReturn)', () => {
  it('puts the returned units back on hand, carrying the refund id and the resulting onHand', () => {
    inventory.given(stocked(5)).when({ type: 'RestockReturn', refundId: 'R1', quantity: 2, at }).then(returned('R1', 2, 7));
    inventory
      .given(stocked(5))
      .when({ type: 'RestockReturn', refundId: 'R1', quantity: 2, at })
      .thenState((state) => {
        expect(state).toMatchObject({ onHand: 7, returned: { R1: true } });
        expect(available(state)).toBe(7);
      });
  });

  it('is idempotent per refund: the same refund again decides nothing, even after other changes', () => {
    inventory.given(stocked(5), returned('R1', 2, 7)).when({ type: 'RestockReturn', refundId: 'R1', quantity: 2, at }).thenNothing();
    const adjusted: InventoryEvent = { type: 'StockAdjusted', data: { skuId: 'S', productId: 'P', delta: -3, onHand: 4, at } };
    inventory.given(stocked(5), returned('R1', 2, 7), adjusted).when({ type: 'RestockReturn', refundId: 'R1', quantity: 2, at }).thenNothing();
  });

  it('another refund is restocked on top', () => {
    inventory.given(stocked(5), returned('R1', 2, 7)).when({ type: 'RestockReturn', refundId: 'R2', quantity: 1, at }).then(returned('R2', 1, 8));
  });

  it('refuses a non-positive quantity, a missing refund id, and an untracked SKU', () => {
    inventory.given(stocked(5)).when({ type: 'RestockReturn', refundId: 'R1', quantity: 0, at }).thenThrows(ValidationError);
    inventory.given(stocked(5)).when({ type: 'RestockReturn', refundId: 'R1', quantity: 1.5, at }).thenThrows(ValidationError);
    inventory.given(stocked(5)).when({ type: 'RestockReturn', refundId: ' ', quantity: 1, at }).thenThrows(ValidationError);
    inventory.given().when({ type: 'RestockReturn', refundId: 'R1', quantity: 1, at }).thenThrows(NotFoundError);
  });

  it('keeps reservations intact (onHand grows, reserved unchanged)', () => {
    const reserved: InventoryEvent = { type: 'StockReserved', data: { skuId: 'S', productId: 'P', orderId: 'O1', payOrderId: 'PO', quantity: 3, expiresAt: at, onHand: 5, reserved: 3, at } };
    inventory
      .given(stocked(5), reserved)
      .when({ type: 'RestockReturn', refundId: 'R1', quantity: 1, at })
      .thenState((state) => expect(state).toMatchObject({ onHand: 6, reserved: 3 }));
  });
});
