import { InvalidStateTransition, NotFoundError, ValidationError } from '../../kernel/errors.js';
import type { Decider } from '../../kernel/decider.js';

/**
 * A shipment (`shipment-<id>`, seed: FulfillmentService): the parcel of one paid order, with its carrier
 * and tracking number. Status: in_transit → delivered | failed → returned (the carrier's signed callbacks:
 * a failed delivery is a parcel on its way back, and `returned` reports it back at the merchant). The
 * tracking number may be corrected while in transit; over HTTP the edit carries `If-Match` (the stream
 * revision), so a delayed retry of an old edit is refused instead of overwriting a newer one (the seed's
 * ABA story, docs/design.md §4). A resent command whose outcome already holds decides nothing.
 */
export const SHIPMENT_STATUSES = ['in_transit', 'delivered', 'failed', 'returned'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export type ShipmentAction = 'change_tracking_number' | 'deliver' | 'fail' | 'return';

/** The statuses each action is allowed from; the target status of an action already reached is a no-op. */
export const SHIPMENT_TRANSITIONS: Record<ShipmentAction, { from: ShipmentStatus[]; to: ShipmentStatus }> = {
  change_tracking_number: { from: ['in_transit'], to: 'in_transit' },
  deliver: { from: ['in_transit'], to: 'delivered' },
  fail: { from: ['in_transit'], to: 'failed' },
  return: { from: ['failed'], to: 'returned' },
};

export interface ShipmentDefinition {
  shipmentId: string;
  orderId: string;
  userId: string;
  merchantId: string;
  carrier: string;
  trackingNumber: string;
}

export type ShipmentEvent =
  | { type: 'ShipmentCreated'; data: ShipmentDefinition & { at: string } }
  | { type: 'ShipmentTrackingNumberChanged'; data: { shipmentId: string; orderId: string; trackingNumber: string; previous: string; at: string } }
  | { type: 'ShipmentDelivered'; data: { shipmentId: string; orderId: string; at: string } }
  | { type: 'ShipmentFailed'; data: { shipmentId: string; orderId: string; reason: string; at: string } }
  /** The parcel of a failed delivery is back at the merchant: its goods return to stock (once). */
  | { type: 'ShipmentReturned'; data: { shipmentId: string; orderId: string; at: string } };

export const SHIPMENT_EVENT_TYPES = ['ShipmentCreated', 'ShipmentTrackingNumberChanged', 'ShipmentDelivered', 'ShipmentFailed', 'ShipmentReturned'] as const;

export type ShipmentCommand =
  | { type: 'CreateShipment'; shipment: ShipmentDefinition; at: string }
  | { type: 'ChangeTrackingNumber'; trackingNumber: string; at: string }
  | { type: 'RecordDelivered'; at: string }
  | { type: 'RecordFailed'; reason: string; at: string }
  | { type: 'RecordReturned'; at: string };

export type ActiveShipment = ShipmentDefinition & {
  status: ShipmentStatus;
  createdAt: string;
  deliveredAt: string | null;
  failedAt: string | null;
  failureReason: string | null;
  returnedAt?: string | null;
};
export type Shipment = { status: 'none' } | ActiveShipment;

export function evolve(state: Shipment, event: ShipmentEvent): Shipment {
  if (event.type === 'ShipmentCreated') {
    const { at, ...definition } = event.data;
    return { ...definition, status: 'in_transit', createdAt: at, deliveredAt: null, failedAt: null, failureReason: null };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'ShipmentTrackingNumberChanged':
      return { ...state, trackingNumber: event.data.trackingNumber };
    case 'ShipmentDelivered':
      return { ...state, status: 'delivered', deliveredAt: event.data.at };
    case 'ShipmentFailed':
      return { ...state, status: 'failed', failedAt: event.data.at, failureReason: event.data.reason };
    case 'ShipmentReturned':
      return { ...state, status: 'returned', returnedAt: event.data.at };
  }
}

export function decide(command: ShipmentCommand, state: Shipment): ShipmentEvent[] {
  if (command.type === 'CreateShipment') {
    if (state.status !== 'none') {
      const same = state.orderId === command.shipment.orderId && state.carrier === command.shipment.carrier;
      if (same) return []; // resent
      throw new InvalidStateTransition(state.status, 'create a shipment that already exists');
    }
    requireText(command.shipment.carrier, 'carrier');
    requireText(command.shipment.trackingNumber, 'trackingNumber');
    return [{ type: 'ShipmentCreated', data: { ...command.shipment, at: command.at } }];
  }
  if (state.status === 'none') throw new NotFoundError('shipment');
  const base = { shipmentId: state.shipmentId, orderId: state.orderId, at: command.at };
  switch (command.type) {
    case 'ChangeTrackingNumber':
      requireText(command.trackingNumber, 'trackingNumber');
      requireTransition(state.status, 'change_tracking_number');
      if (state.trackingNumber === command.trackingNumber) return [];
      return [{ type: 'ShipmentTrackingNumberChanged', data: { ...base, trackingNumber: command.trackingNumber, previous: state.trackingNumber } }];
    case 'RecordDelivered':
      if (state.status === 'delivered') return []; // a duplicate callback
      requireTransition(state.status, 'deliver');
      return [{ type: 'ShipmentDelivered', data: base }];
    case 'RecordFailed':
      if (state.status === 'failed' || state.status === 'returned') return []; // a duplicate (the parcel may be back already)
      requireTransition(state.status, 'fail');
      return [{ type: 'ShipmentFailed', data: { ...base, reason: command.reason } }];
    case 'RecordReturned':
      if (state.status === 'returned') return []; // a duplicate callback
      requireTransition(state.status, 'return');
      return [{ type: 'ShipmentReturned', data: base }];
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

function requireTransition(status: ShipmentStatus, action: ShipmentAction): void {
  if (!SHIPMENT_TRANSITIONS[action].from.includes(status)) throw new InvalidStateTransition(status, `${action.replace(/_/g, ' ')} the shipment`);
}

function requireText(value: string, path: string): void {
  if (value.trim().length === 0) throw new ValidationError(`${path} is required`, [{ path, message: 'must not be empty' }]);
}

export const shipmentDecider: Decider<ShipmentCommand, ShipmentEvent, Shipment> = {
  initialState: () => ({ status: 'none' }),
  evolve,
  decide,
};

export const shipmentStream = (shipmentId: string) => `shipment-${shipmentId}`;
