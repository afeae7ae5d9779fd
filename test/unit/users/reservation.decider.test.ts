import { describe, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { reservationDecider, type ReservationEvent } from '../../../src/domain/uniqueness/reservation.js';
import { ConflictError } from '../../../src/kernel/errors.js';

const at = '2026-11-25T10:00:00.000Z';
const reserve = (ownerId: string) => ({ type: 'Reserve' as const, value: '+8613800138000', ownerId, at, conflictCode: 'PHONE_TAKEN', conflictMessage: 'taken' });
const reserved: ReservationEvent = { type: 'ValueReserved', data: { value: '+8613800138000', ownerId: 'u1', at } };
const released: ReservationEvent = { type: 'ValueReleased', data: { value: '+8613800138000', ownerId: 'u1', at } };
const reservation = spec(reservationDecider);

describe('reservation decider (uniqueness)', () => {
  it('reserves a free value', () => reservation.given().when(reserve('u1')).then(reserved));
  it('is idempotent for the same owner', () => reservation.given(reserved).when(reserve('u1')).thenNothing());
  it('refuses another owner with the given code', () => reservation.given(reserved).when(reserve('u2')).thenThrows(ConflictError, 'PHONE_TAKEN'));
  it('can be reserved again after release', () =>
    reservation.given(reserved, released).when(reserve('u2')).then({ type: 'ValueReserved', data: { value: '+8613800138000', ownerId: 'u2', at } }));
  it('only the owner releases', () => reservation.given(reserved).when({ type: 'Release', value: '+8613800138000', ownerId: 'u2', at }).thenNothing());
});
