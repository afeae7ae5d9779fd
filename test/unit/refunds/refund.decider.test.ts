import { describe, expect, it } from 'vitest';
import { spec } from '../../support/decider-spec.js';
import { ConflictError, InvalidStateTransition, NotFoundError } from '../../../src/kernel/errors.js';
import { REFUND_STATUSES, refundDecider, type RefundCommand, type RefundDefinition, type RefundEvent, type RefundState, type RefundType } from '../../../src/domain/refunds/refund.js';

const at = '2030-01-01T00:00:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const definition = (type: RefundType): RefundDefinition => ({
  refundId: 'R',
  orderId: 'O',
  payOrderId: 'PO',
  paymentId: 'P',
  userId: 'U',
  merchantId: 'M',
  type,
  items: [{ orderItemId: 'O-1', quantity: 1 }],
  amount: cny(1_000),
  tenders: { charged: 900, coins: 100, coinsValue: 100, voucherValue: 0 },
  reason: 'broken',
  initiator: 'customer',
  method: 'card',
  provider: 'sandbox',
  requestHash: 'h',
});
const base = { refundId: 'R', orderId: 'O', at };
const requested = (type: RefundType): RefundEvent => ({ type: 'RefundRequested', data: { ...definition(type), at } });
const approved: RefundEvent = { type: 'RefundApproved', data: { ...base, note: null } };
const awaited: RefundEvent = { type: 'RefundReturnAwaited', data: base };
const shipped: RefundEvent = { type: 'RefundReturnShipped', data: { ...base, carrier: 'SF', trackingNumber: 'R1' } };
const received: RefundEvent = { type: 'RefundReturnReceived', data: { ...base, items: [{ orderItemId: 'O-1', quantity: 1 }] } };
const started: RefundEvent = { type: 'RefundStarted', data: base };
const completed = (type: RefundType): RefundEvent => ({
  type: 'RefundCompleted',
  data: { ...base, paymentId: 'P', payOrderId: 'PO', userId: 'U', merchantId: 'M', method: 'card', provider: 'sandbox', amount: cny(1_000), tenders: definition(type).tenders, type, providerRef: 're' },
});
const rejected: RefundEvent = { type: 'RefundRejected', data: { ...base, note: 'no' } };

/** A history that reaches each state (refund_only where it can, return_and_refund for the return states). */
const history: Record<RefundState, RefundEvent[]> = {
  requested: [requested('refund_only')],
  approved: [requested('refund_only'), approved],
  awaiting_return: [requested('return_and_refund'), approved, awaited, shipped],
  returned: [requested('return_and_refund'), approved, awaited, shipped, received],
  refunding: [requested('refund_only'), approved, started],
  refunded: [requested('refund_only'), approved, started, completed('refund_only')],
  rejected: [requested('refund_only'), rejected],
};

const commands = {
  approve: { type: 'ApproveRefund', note: null, at },
  reject: { type: 'RejectRefund', note: 'no', at },
  shipReturn: { type: 'RecordReturnShipment', carrier: 'SF', trackingNumber: 'R2', at },
  receiveReturn: { type: 'ReceiveReturn', at },
  start: { type: 'StartRefund', at },
  complete: { type: 'CompleteRefund', providerRef: 're', at },
} satisfies Record<string, RefundCommand>;
type Name = keyof typeof commands;

/** Every state × command: the state it leads to, 'nothing' (the outcome already holds) or 'refused'. */
const table: Record<RefundState, Record<Name, RefundState | 'nothing' | 'refused'>> = {
  requested: { approve: 'approved', reject: 'rejected', shipReturn: 'refused', receiveReturn: 'refused', start: 'refused', complete: 'refused' },
  approved: { approve: 'nothing', reject: 'refused', shipReturn: 'refused', receiveReturn: 'refused', start: 'refunding', complete: 'refused' },
  awaiting_return: { approve: 'nothing', reject: 'refused', shipReturn: 'awaiting_return', receiveReturn: 'returned', start: 'refused', complete: 'refused' },
  returned: { approve: 'refused', reject: 'refused', shipReturn: 'refused', receiveReturn: 'nothing', start: 'refunding', complete: 'refused' },
  refunding: { approve: 'refused', reject: 'refused', shipReturn: 'refused', receiveReturn: 'refused', start: 'nothing', complete: 'refunded' },
  refunded: { approve: 'refused', reject: 'refused', shipReturn: 'refused', receiveReturn: 'refused', start: 'nothing', complete: 'nothing' },
  rejected: { approve: 'refused', reject: 'nothing', shipReturn: 'refused', receiveReturn: 'refused', start: 'refused', complete: 'refused' },
};

describe('refund decider', () => {
  it('covers every state', () => expect(Object.keys(table).sort()).toEqual([...REFUND_STATUSES].sort()));

  for (const state of REFUND_STATUSES) {
    for (const name of Object.keys(commands) as Name[]) {
      const outcome = table[state][name];
      it(`${state} × ${name} → ${outcome}`, () => {
        const when = spec(refundDecider).given(...history[state]).when(commands[name]);
        if (outcome === 'refused') when.thenThrows(InvalidStateTransition, 'INVALID_STATE_TRANSITION');
        else if (outcome === 'nothing') when.thenNothing();
        else when.thenState((next) => expect(next.status).toBe(outcome));
      });
    }
  }

  it('approving a return-and-refund awaits the return; a refund-only does not', () => {
    spec(refundDecider).given(requested('return_and_refund')).when(commands.approve).then(approved, awaited);
    spec(refundDecider).given(requested('refund_only')).when(commands.approve).then(approved);
  });

  it('a return is received only once shipped; a return-and-refund never pays out before the goods are back', () => {
    spec(refundDecider).given(requested('return_and_refund'), approved, awaited).when(commands.receiveReturn).thenThrows(InvalidStateTransition);
    spec(refundDecider).given(requested('return_and_refund'), approved).when(commands.start).thenThrows(InvalidStateTransition);
    spec(refundDecider).given(requested('return_and_refund'), approved, awaited).when({ type: 'RecordReturnShipment', carrier: 'SF', trackingNumber: 'R1', at }).then(shipped);
    spec(refundDecider).given(...history.awaiting_return).when({ type: 'RecordReturnShipment', carrier: 'SF', trackingNumber: 'R1', at }).thenNothing();
  });

  it('opens once per id; the same request again decides nothing, another is IDEMPOTENCY_KEY_REUSED; absent refunds are 404', () => {
    spec(refundDecider).given().when({ type: 'RequestRefund', refund: definition('refund_only'), at }).then(requested('refund_only'));
    spec(refundDecider).given(requested('refund_only')).when({ type: 'RequestRefund', refund: definition('refund_only'), at }).thenNothing();
    spec(refundDecider).given(requested('refund_only')).when({ type: 'RequestRefund', refund: { ...definition('refund_only'), requestHash: 'other' }, at }).thenThrows(ConflictError, 'IDEMPOTENCY_KEY_REUSED');
    spec(refundDecider).given().when(commands.approve).thenThrows(NotFoundError);
  });

  it('completion carries the tenders for the ledger', () => {
    spec(refundDecider).given(...history.refunding).when(commands.complete).then(completed('refund_only'));
  });
});
