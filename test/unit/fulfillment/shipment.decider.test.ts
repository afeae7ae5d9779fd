import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { InvalidStateTransition, NotFoundError, ValidationError } from '../../../src/kernel/errors.js';
import { SHIPMENT_STATUSES, shipmentDecider, type ShipmentCommand, type ShipmentEvent, type ShipmentStatus } from '../../../src/domain/fulfillment/shipment.js';

const at = '2030-01-01T00:00:00.000Z';
const definition = { shipmentId: 'S', orderId: 'O', userId: 'U', merchantId: 'M', carrier: 'SF', trackingNumber: '123' };
const created: ShipmentEvent = { type: 'ShipmentCreated', data: { ...definition, at } };
const delivered: ShipmentEvent = { type: 'ShipmentDelivered', data: { shipmentId: 'S', orderId: 'O', at } };
const failed: ShipmentEvent = { type: 'ShipmentFailed', data: { shipmentId: 'S', orderId: 'O', reason: 'lost', at } };
const returned: ShipmentEvent = { type: 'ShipmentReturned', data: { shipmentId: 'S', orderId: 'O', at } };
const history: Record<ShipmentStatus, ShipmentEvent[]> = { in_transit: [created], delivered: [created, delivered], failed: [created, failed], returned: [created, failed, returned] };

const commands: Record<string, ShipmentCommand> = {
  change: { type: 'ChangeTrackingNumber', trackingNumber: '456', at },
  deliver: { type: 'RecordDelivered', at },
  fail: { type: 'RecordFailed', reason: 'lost', at },
  return: { type: 'RecordReturned', at },
};
const target: Record<string, ShipmentStatus> = { change: 'in_transit', deliver: 'delivered', fail: 'failed', return: 'returned' };

type Outcome = 'event' | 'nothing' | 'refused';
/** Every state × command: what the decider does. */
const table: Record<ShipmentStatus, Record<keyof typeof commands, Outcome>> = {
  in_transit: { change: 'event', deliver: 'event', fail: 'event', return: 'refused' },
  delivered: { change: 'refused', deliver: 'nothing', fail: 'refused', return: 'refused' },
  failed: { change: 'refused', deliver: 'refused', fail: 'nothing', return: 'event' },
  returned: { change: 'refused', deliver: 'refused', fail: 'nothing', return: 'nothing' },
};

describe('shipment decider', () => {
  it('covers every status', () => expect(Object.keys(table).sort()).toEqual([...SHIPMENT_STATUSES].sort()));

  for (const status of SHIPMENT_STATUSES) {
    for (const [name, command] of Object.entries(commands)) {
      const outcome = table[status][name]!;
      it(`${status} × ${name} → ${outcome}`, () => {
        const when = spec(shipmentDecider).given(...history[status]).when(command);
        if (outcome === 'refused') when.thenThrows(InvalidStateTransition, 'INVALID_STATE_TRANSITION');
        else if (outcome === 'nothing') when.thenNothing();
        else when.thenState((next) => expect(next.status).toBe(target[name]));
      });
    }
  }

  it('creates once; a resend decides nothing; commands on no shipment are 404', () => {
    spec(shipmentDecider).given().when({ type: 'CreateShipment', shipment: definition, at }).then(created);
    spec(shipmentDecider).given(created).when({ type: 'CreateShipment', shipment: definition, at }).thenNothing();
    spec(shipmentDecider).given(created).when({ type: 'CreateShipment', shipment: { ...definition, orderId: 'other' }, at }).thenThrows(InvalidStateTransition);
    spec(shipmentDecider).given().when(commands.deliver!).thenThrows(NotFoundError);
    spec(shipmentDecider).given().when({ type: 'CreateShipment', shipment: { ...definition, trackingNumber: ' ' }, at }).thenThrows(ValidationError);
  });

  it('the same tracking number again decides nothing; another one records the previous', () => {
    spec(shipmentDecider).given(created).when({ type: 'ChangeTrackingNumber', trackingNumber: '123', at }).thenNothing();
    spec(shipmentDecider)
      .given(created)
      .when({ type: 'ChangeTrackingNumber', trackingNumber: '456', at })
      .then({ type: 'ShipmentTrackingNumberChanged', data: { shipmentId: 'S', orderId: 'O', trackingNumber: '456', previous: '123', at } });
  });
});
