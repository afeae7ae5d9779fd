import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { ORDER_STATUSES, orderDecider, type ActiveOrder, type OrderCommand, type OrderDefinition, type OrderEvent, type OrderStatus } from '../../../src/domain/orders/order.js';
import { payOrderDecider, type PayOrderEvent } from '../../../src/domain/orders/pay-order.js';
import { DomainError, InvalidStateTransition } from '../../../src/kernel/errors.js';

const at = '2030-01-01T10:00:00.000Z';
const later = '2030-01-01T10:31:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const definition: OrderDefinition = {
  orderId: 'O1',
  payOrderId: 'PO1',
  userId: 'u1',
  merchantId: 'm1',
  items: [
    {
      id: 'O1-1',
      skuId: 'S1',
      productId: 'P1',
      title: 'tee',
      skuCode: 'T',
      salesAttributes: {},
      quantity: 2,
      unitPrice: cny(500),
      lineTotal: cny(1000),
      discount: cny(100),
      snapshotId: 'snap',
      reserved: true,
    },
  ],
  subtotal: cny(1000),
  discount: cny(100),
  shipping: cny(0),
  total: cny(900),
  promotionCode: 'TEN',
  shippingAddress: { recipient: 'A', phone: '+8613800138000', country: 'CN', city: 'Shanghai', line1: '1 Road' },
  expiresAt: '2030-01-01T10:30:00.000Z',
};
const placed: OrderEvent = { type: 'OrderPlaced', data: { ...definition, at } };
const order = spec(orderDecider);

/** A state in any status (the decider today reaches only pending_payment and cancelled through events). */
const inStatus = (status: OrderStatus): ActiveOrder => ({ ...(orderDecider.evolve(orderDecider.initialState(), placed) as ActiveOrder), status });

const commands: Record<'cancel' | 'expire', OrderCommand> = {
  cancel: { type: 'CancelOrder', reason: 'customer', at: later },
  expire: { type: 'ExpireOrder', at: later },
};

/** For each status: what cancel and expire do ('event': cancels; 'nothing': already holds; 'refused': INVALID_STATE_TRANSITION). */
const TABLE: Record<OrderStatus, { cancel: 'event' | 'nothing' | 'refused'; expire: 'event' | 'nothing' | 'refused' }> = {
  pending_payment: { cancel: 'event', expire: 'event' },
  paid: { cancel: 'refused', expire: 'refused' },
  shipped: { cancel: 'refused', expire: 'refused' },
  delivered: { cancel: 'refused', expire: 'refused' },
  completed: { cancel: 'refused', expire: 'refused' },
  cancelled: { cancel: 'nothing', expire: 'nothing' },
  closed: { cancel: 'refused', expire: 'refused' },
};

describe('order', () => {
  it('is placed once, pending payment, unpaid, unfulfilled, no refund', () => {
    order.given().when({ type: 'PlaceOrder', order: definition, at }).then(placed);
    order.given(placed).when({ type: 'PlaceOrder', order: definition, at }).thenNothing();
    order.given(placed).when({ type: 'PlaceOrder', order: { ...definition, payOrderId: 'other' }, at }).thenThrows(InvalidStateTransition);
    expect(order.given(placed).state).toMatchObject({ status: 'pending_payment', paymentStatus: 'unpaid', fulfillmentStatus: 'unfulfilled', refundStatus: 'none' });
  });

  it('covers every status in the table', () => {
    expect(Object.keys(TABLE).sort()).toEqual([...ORDER_STATUSES].sort());
  });

  for (const status of ORDER_STATUSES) {
    for (const action of ['cancel', 'expire'] as const) {
      it(`${action} from ${status}: ${TABLE[status][action]}`, () => {
        const state = inStatus(status);
        const run = () => orderDecider.decide(commands[action], state);
        const outcome = TABLE[status][action];
        if (outcome === 'refused') {
          expect(run).toThrow(InvalidStateTransition);
          expect(run).toThrow(expect.objectContaining({ code: 'INVALID_STATE_TRANSITION' }));
        } else if (outcome === 'nothing') {
          expect(run()).toEqual([]);
        } else {
          expect(run()).toEqual([{ type: 'OrderCancelled', data: { orderId: 'O1', reason: action === 'cancel' ? 'customer' : 'payment_timeout', at: later } }]);
        }
      });
    }
  }

  it('refuses to expire before expiresAt, and commands on a missing order are NOT_FOUND', () => {
    order.given(placed).when({ type: 'ExpireOrder', at: '2030-01-01T10:29:59.000Z' }).thenThrows(DomainError, 'ORDER_NOT_EXPIRED');
    order.given().when({ type: 'CancelOrder', reason: 'admin', at }).thenThrows(DomainError, 'NOT_FOUND');
  });

  it('records the cancel reason and time', () => {
    order
      .given(placed)
      .when({ type: 'CancelOrder', reason: 'admin', at: later })
      .thenState((state) => expect(state).toMatchObject({ status: 'cancelled', cancelReason: 'admin', cancelledAt: later }));
  });
});

describe('pay order', () => {
  const payOrderPlaced: PayOrderEvent = {
    type: 'PayOrderPlaced',
    data: {
      payOrderId: 'PO1',
      userId: 'u1',
      orders: [definition, { ...definition, orderId: 'O2', total: cny(500) }],
      subtotal: cny(1600),
      discount: cny(200),
      shipping: cny(0),
      payable: cny(1400),
      promotionCode: 'TEN',
      expiresAt: definition.expiresAt,
      requestHash: 'h',
      at,
    },
  };
  const payOrder = spec(payOrderDecider);

  it('follows its cancelled orders: payable shrinks; when all are cancelled so is it; each order once', () => {
    payOrder
      .given(payOrderPlaced)
      .when({ type: 'RecordOrderCancelled', orderId: 'O1', at })
      .then({ type: 'PayOrderOrderCancelled', data: { payOrderId: 'PO1', orderId: 'O1', payable: cny(500), at } });
    const first: PayOrderEvent = { type: 'PayOrderOrderCancelled', data: { payOrderId: 'PO1', orderId: 'O1', payable: cny(500), at } };
    payOrder.given(payOrderPlaced, first).when({ type: 'RecordOrderCancelled', orderId: 'O1', at }).thenNothing();
    payOrder
      .given(payOrderPlaced, first)
      .when({ type: 'RecordOrderCancelled', orderId: 'O2', at })
      .thenState((state) => expect(state).toMatchObject({ status: 'cancelled', payable: cny(0) }));
    payOrder.given(payOrderPlaced).when({ type: 'PlacePayOrder', payOrder: payOrderPlaced.data, at }).thenNothing();
  });
});
