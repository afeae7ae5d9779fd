import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { DomainError, InvalidStateTransition, ValidationError } from '../../../src/kernel/errors.js';
import { fold } from '../../../src/kernel/decider.js';
import { ORDER_STATUSES, orderDecider, type ActiveOrder, type OrderCommand, type OrderDefinition, type OrderEvent, type OrderStatus } from '../../../src/domain/orders/order.js';

const at = '2030-01-01T00:00:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const item = (n: number, quantity: number, unit: number, discount: number) => ({
  id: `O-${n}`,
  skuId: `S${n}`,
  productId: `P${n}`,
  title: 't',
  skuCode: 'c',
  salesAttributes: {},
  quantity,
  unitPrice: cny(unit),
  lineTotal: cny(unit * quantity),
  discount: cny(discount),
  snapshotId: 'snap',
  reserved: true,
});
// 3 × 333 (discount 100) + 1 × 500; shipping 1 000: total 2 399.
const definition: OrderDefinition = {
  orderId: 'O',
  payOrderId: 'PO',
  userId: 'U',
  merchantId: 'M',
  items: [item(1, 3, 333, 100), item(2, 1, 500, 0)],
  subtotal: cny(1_499),
  discount: cny(100),
  shipping: cny(1_000),
  total: cny(2_399),
  promotionCode: null,
  shippingAddress: { recipient: 'a', phone: '+8613800138000', country: 'CN', city: 'c', line1: 'l' },
  expiresAt: '2030-01-01T00:30:00.000Z',
};
const placed: OrderEvent = { type: 'OrderPlaced', data: { ...definition, at } };
const paid: OrderEvent = { type: 'OrderPaid', data: { orderId: 'O', payOrderId: 'PO', paymentId: 'P', at } };
const allocation = { charged: 1_899, coins: 300, coinsValue: 300, voucherValue: 200 };
const claim = (refundId: string, items: Array<{ orderItemId: string; quantity: number }>): OrderCommand => ({ type: 'RequestRefund', refundId, items, allocation, at });

function run(history: OrderEvent[], ...commands: OrderCommand[]): { events: OrderEvent[]; state: ActiveOrder } {
  const events = [...history];
  for (const command of commands) events.push(...orderDecider.decide(command, fold(orderDecider, events)));
  return { events, state: fold(orderDecider, events) as ActiveOrder };
}

describe('refund claims on the order', () => {
  it('unit by unit, the claims add up to exactly what was paid, per item and per tender; the last one takes the shipping', () => {
    const { events, state } = run([placed, paid], claim('r1', [{ orderItemId: 'O-1', quantity: 1 }]), claim('r2', [{ orderItemId: 'O-1', quantity: 1 }]), claim('r3', [{ orderItemId: 'O-1', quantity: 1 }]), claim('r4', []));
    const claims = events.flatMap((event) => (event.type === 'OrderRefundRequested' ? [event.data] : []));
    expect(claims.map((entry) => entry.amount.amount)).toEqual([299, 299, 301, 1_500]);
    expect(claims.reduce((sum, entry) => sum + entry.amount.amount, 0)).toBe(2_399);
    for (const tender of ['charged', 'coins', 'coinsValue', 'voucherValue'] as const) {
      expect(claims.reduce((sum, entry) => sum + entry.tenders[tender], 0), tender).toBe(allocation[tender]);
    }
    for (const entry of claims) expect(entry.tenders.charged + entry.tenders.coinsValue + entry.tenders.voucherValue).toBe(entry.amount.amount);
    expect(state.refundStatus).toBe('requested');
    expect(claims[3]!.shipping).toBe(1_000);
  });

  it('never more than is refundable: the second claim for the last unit is refused', () => {
    const { state } = run([placed, paid], claim('r1', [{ orderItemId: 'O-2', quantity: 1 }]));
    expect(() => orderDecider.decide(claim('r2', [{ orderItemId: 'O-2', quantity: 1 }]), state)).toThrow(DomainError);
    spec(orderDecider).given(placed, paid).when(claim('r1', [{ orderItemId: 'O-1', quantity: 4 }])).thenThrows(DomainError, 'REFUND_EXCEEDS_PAID');
    spec(orderDecider).given(placed, paid).when(claim('r1', [{ orderItemId: 'nope', quantity: 1 }])).thenThrows(ValidationError);
    spec(orderDecider).given(placed).when(claim('r1', [])).thenThrows(InvalidStateTransition);
  });

  it('a released claim gives its units back; a paid one is recorded once and closes the order when everything is refunded', () => {
    const released = run([placed, paid], claim('r1', []), { type: 'ReleaseRefund', refundId: 'r1', at });
    expect(released.state.refundStatus).toBe('none');
    expect(released.state.claimedTenders).toEqual({ charged: 0, coins: 0, coinsValue: 0, voucherValue: 0 });
    const refunded = run(released.events, claim('r2', []), { type: 'RecordRefund', refundId: 'r2', returned: false, at });
    expect(refunded.state).toMatchObject({ status: 'closed', paymentStatus: 'refunded', refundStatus: 'refunded', refundedAmount: 2_399 });
    expect(orderDecider.decide({ type: 'RecordRefund', refundId: 'r2', returned: false, at }, refunded.state)).toEqual([]);
    expect(() => orderDecider.decide({ type: 'ReleaseRefund', refundId: 'r2', at }, refunded.state)).toThrow(InvalidStateTransition);
  });
});

describe('order fulfilment transitions', () => {
  const shipped: OrderEvent = { type: 'OrderShipped', data: { orderId: 'O', shipmentId: 'S', at } };
  const delivered: OrderEvent = { type: 'OrderDelivered', data: { orderId: 'O', shipmentId: 'S', at } };
  const completed: OrderEvent = { type: 'OrderCompleted', data: { orderId: 'O', userId: 'U', by: 'customer', coinsEarned: 0, at } };
  const cancelled: OrderEvent = { type: 'OrderCancelled', data: { orderId: 'O', reason: 'customer', at } };
  const closed: OrderEvent[] = [{ type: 'OrderRefundRequested', data: { orderId: 'O', refundId: 'r', items: [{ orderItemId: 'O-1', quantity: 3 }, { orderItemId: 'O-2', quantity: 1 }], amount: cny(2_399), tenders: allocation, shipping: 1_000, settled: false, at } }, { type: 'OrderRefunded', data: { orderId: 'O', refundId: 'r', items: [], amount: cny(2_399), returned: false, fullyRefunded: true, at } }];
  const history: Record<OrderStatus, OrderEvent[]> = {
    pending_payment: [placed],
    paid: [placed, paid],
    shipped: [placed, paid, shipped],
    delivered: [placed, paid, shipped, delivered],
    completed: [placed, paid, shipped, delivered, completed],
    cancelled: [placed, cancelled],
    closed: [placed, paid, ...closed],
  };
  const commands: Record<string, OrderCommand> = {
    ship: { type: 'ShipOrder', shipmentId: 'S2', at },
    deliver: { type: 'DeliverOrder', shipmentId: 'S', at },
    fail: { type: 'FailFulfillment', shipmentId: 'S', reason: 'lost', at },
    complete: { type: 'CompleteOrder', by: 'customer', autoCompleteAfterDays: 7, coinsEarnBps: 100, coinsPerCny: 100, at },
  };
  const allowed: Record<string, OrderStatus[]> = { ship: ['paid'], deliver: ['shipped'], fail: ['shipped'], complete: ['delivered'] };
  // A late duplicate delivery callback after completion is a no-op too.
  const noop: Record<string, OrderStatus[]> = { ship: [], deliver: ['delivered', 'completed'], fail: [], complete: ['completed'] };
  for (const status of ORDER_STATUSES) {
    for (const [name, command] of Object.entries(commands)) {
      const outcome = allowed[name]!.includes(status) ? 'event' : noop[name]!.includes(status) ? 'nothing' : 'refused';
      it(`${status} × ${name} → ${outcome}`, () => {
        const when = spec(orderDecider).given(...history[status]).when(command);
        if (outcome === 'event') when.thenState((next) => expect(next.status).not.toBe('none'));
        else if (outcome === 'nothing') when.thenNothing();
        else when.thenThrows(InvalidStateTransition);
      });
    }
  }

  it('auto-completion waits for the configured days and earns coins on what was paid', () => {
    const auto = (day: string): OrderCommand => ({ type: 'CompleteOrder', by: 'auto', autoCompleteAfterDays: 7, coinsEarnBps: 100, coinsPerCny: 100, at: day });
    spec(orderDecider).given(...history.delivered).when(auto('2030-01-07T23:59:59.000Z')).thenThrows(DomainError, 'ORDER_NOT_DUE');
    spec(orderDecider)
      .given(...history.delivered)
      .when(auto('2030-01-08T00:00:00.000Z'))
      .then({ type: 'OrderCompleted', data: { orderId: 'O', userId: 'U', by: 'auto', coinsEarned: 23, at: '2030-01-08T00:00:00.000Z' } });
  });
});
