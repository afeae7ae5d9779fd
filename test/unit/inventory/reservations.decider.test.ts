import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { available, forkForReservations, inventoryDecider, type InventoryEvent } from '../../../src/domain/inventory/inventory.js';
import { ConflictError, DomainError, ValidationError } from '../../../src/kernel/errors.js';

const at = '2030-01-01T00:00:00.000Z';
const expiresAt = '2030-01-01T00:30:00.000Z';
const stocked = (onHand: number): InventoryEvent => ({ type: 'StockSet', data: { skuId: 'S', productId: 'P', onHand, previousOnHand: 0, at } });
const reserved = (orderId: string, quantity: number, onHand: number, total: number): InventoryEvent => ({
  type: 'StockReserved',
  data: { skuId: 'S', productId: 'P', orderId, payOrderId: 'PO', quantity, expiresAt, onHand, reserved: total, at },
});
const inventory = spec(inventoryDecider);

describe('inventory reservations', () => {
  it('reserves available units for an order, with its expiry and the resulting counts', () => {
    inventory
      .given(stocked(10))
      .when({ type: 'ReserveStock', orderId: 'O1', payOrderId: 'PO', quantity: 3, expiresAt, at })
      .then(reserved('O1', 3, 10, 3));
  });

  it('decides a batch on a view that sees the reservations made so far and leaves the original untouched', () => {
    const original = inventory.given(stocked(10), reserved('O1', 3, 10, 3)).state;
    let view = forkForReservations(original);
    expect(inventoryDecider.decide({ type: 'ReserveStock', orderId: 'O1', quantity: 3, expiresAt, at }, view)).toEqual([]); // resent, seen through the view
    for (const event of inventoryDecider.decide({ type: 'ReserveStock', orderId: 'O2', quantity: 5, expiresAt, at }, view)) view = inventoryDecider.evolve(view, event);
    expect(available(view)).toBe(2);
    expect(() => inventoryDecider.decide({ type: 'ReserveStock', orderId: 'O3', quantity: 3, expiresAt, at }, view)).toThrow(expect.objectContaining({ code: 'OUT_OF_STOCK' }));
    expect(available(original)).toBe(7);
    expect(original.status === 'tracked' && Object.keys(original.reservations ?? {})).toEqual(['O1']);
  });

  it('tracks available = onHand − reserved', () => {
    const state = inventory.given(stocked(10), reserved('O1', 3, 10, 3), reserved('O2', 4, 10, 7)).state;
    expect(available(state)).toBe(3);
  });

  it('is idempotent per order: the same order again decides nothing', () => {
    inventory.given(stocked(10), reserved('O1', 3, 10, 3)).when({ type: 'ReserveStock', orderId: 'O1', quantity: 3, expiresAt, at }).thenNothing();
  });

  it('refuses more than available with OUT_OF_STOCK naming what is available', () => {
    const when = inventory.given(stocked(5), reserved('O1', 4, 5, 4)).when({ type: 'ReserveStock', orderId: 'O2', quantity: 2, expiresAt, at });
    when.thenThrows(DomainError, 'OUT_OF_STOCK');
    expect(() => inventoryDecider.decide({ type: 'ReserveStock', orderId: 'O2', quantity: 2, expiresAt, at }, inventory.given(stocked(5), reserved('O1', 4, 5, 4)).state)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ available: 1, requested: 2 }) }),
    );
  });

  it('refuses an untracked SKU as OUT_OF_STOCK and a non-positive quantity as invalid', () => {
    inventory.given().when({ type: 'ReserveStock', orderId: 'O1', quantity: 1, expiresAt, at }).thenThrows(DomainError, 'OUT_OF_STOCK');
    inventory.given(stocked(5)).when({ type: 'ReserveStock', orderId: 'O1', quantity: 0, expiresAt, at }).thenThrows(ValidationError);
  });

  it('releases a reservation once; a second release and a late resend of the reservation decide nothing', () => {
    const history = [stocked(10), reserved('O1', 3, 10, 3)];
    inventory
      .given(...history)
      .when({ type: 'ReleaseReservation', orderId: 'O1', reason: 'customer', at })
      .then({ type: 'ReservationReleased', data: { skuId: 'S', productId: 'P', orderId: 'O1', quantity: 3, reason: 'customer', onHand: 10, reserved: 0, at } });
    const released: InventoryEvent = { type: 'ReservationReleased', data: { skuId: 'S', productId: 'P', orderId: 'O1', quantity: 3, reason: 'customer', onHand: 10, reserved: 0, at } };
    inventory.given(...history, released).when({ type: 'ReleaseReservation', orderId: 'O1', reason: 'customer', at }).thenNothing();
    inventory.given(...history, released).when({ type: 'ReserveStock', orderId: 'O1', quantity: 3, expiresAt, at }).thenNothing();
    inventory.given(stocked(10)).when({ type: 'ReleaseReservation', orderId: 'never', reason: 'x', at }).thenNothing();
  });

  it('commits a reservation: the units leave on hand and reserved together', () => {
    inventory
      .given(stocked(10), reserved('O1', 3, 10, 3))
      .when({ type: 'CommitReservation', orderId: 'O1', at })
      .thenState((state) => {
        expect(state).toMatchObject({ onHand: 7, reserved: 0 });
        expect(available(state)).toBe(7);
      });
    const committed: InventoryEvent = { type: 'ReservationCommitted', data: { skuId: 'S', productId: 'P', orderId: 'O1', quantity: 3, onHand: 7, reserved: 0, at } };
    inventory.given(stocked(10), reserved('O1', 3, 10, 3), committed).when({ type: 'CommitReservation', orderId: 'O1', at }).thenNothing();
    inventory.given(stocked(10), reserved('O1', 3, 10, 3), committed).when({ type: 'ReleaseReservation', orderId: 'O1', reason: 'x', at }).thenNothing();
  });

  it('keeps stock changes from cutting into reserved units', () => {
    const history = [stocked(10), reserved('O1', 8, 10, 8)];
    inventory.given(...history).when({ type: 'AdjustStock', delta: -3, at }).thenThrows(ConflictError, 'STOCK_NEGATIVE');
    inventory.given(...history).when({ type: 'SetStock', skuId: 'S', productId: 'P', onHand: 7, at }).thenThrows(ConflictError, 'STOCK_NEGATIVE');
    inventory.given(...history).when({ type: 'AdjustStock', delta: -2, at }).thenState((state) => expect(available(state)).toBe(0));
    inventory.given(...history).when({ type: 'SetStock', skuId: 'S', productId: 'P', onHand: 20, at }).thenState((state) => expect(state).toMatchObject({ onHand: 20, reserved: 8 }));
  });

  it('keeps open reservations when the stock is set again: releasing afterwards still gives the units back', () =>
    inventory
      .given(stocked(10), reserved('O1', 3, 10, 3), stocked(20))
      .when({ type: 'ReleaseReservation', orderId: 'O1', reason: 'customer', at })
      .thenState((state) => {
        expect(available(state)).toBe(20);
        expect(state).toMatchObject({ onHand: 20, reserved: 0 });
      }));
});
