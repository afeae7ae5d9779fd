import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { orderWorld, type OrderWorld } from './orders-support.js';
import { card, checkout, drain, expectLedgerSound, newBuyer, newSku, pay, sandboxOf, topUp, type Buyer } from './payments-support.js';

/**
 * Property: over random sequences of top-ups, wallet and card payments, declines and duplicate
 * callbacks, the sum of all balances per currency stays zero and no wallet/coins balance goes negative.
 */
let world: OrderWorld;
let sku: { skuId: string; price: number };
let buyers: Buyer[];
beforeAll(async () => {
  world = await orderWorld();
  sku = await newSku(world, { price: 3_000, stock: 100_000 });
  buyers = [await newBuyer(world), await newBuyer(world)];
});
afterAll(() => world.runtime.close());

const step = fc.oneof(
  fc.record({ kind: fc.constant('topup' as const), buyer: fc.nat(1), amount: fc.integer({ min: 1, max: 9_000 }) }),
  fc.record({ kind: fc.constant('wallet' as const), buyer: fc.nat(1) }),
  fc.record({ kind: fc.constant('card' as const), buyer: fc.nat(1), declined: fc.boolean() }),
  fc.record({ kind: fc.constant('redeliver' as const), times: fc.integer({ min: 1, max: 3 }) }),
);

describe('ledger property', () => {
  it('Σ balances per currency = 0 and no customer balance < 0, whatever happens', async () => {
    const paymentIds: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        for (const s of steps) {
          if (s.kind === 'topup') {
            expect((await topUp(world, buyers[s.buyer]!.id, s.amount)).status).toBe(201);
          } else if (s.kind === 'redeliver') {
            const id = paymentIds[paymentIds.length - 1];
            if (id) await world.api('POST', `/api/v1/dev/sandbox/payments/${id}/redeliver?times=${s.times}`, {});
          } else {
            const placed = await checkout(world, buyers[s.buyer]!, [sku]);
            const body = s.kind === 'wallet' ? { method: 'wallet' } : card(s.declined ? '4000000000000002' : '4242424242424242');
            const paid = await pay(world, buyers[s.buyer]!, placed.payOrderId, body);
            expect([201, 409]).toContain(paid.status);
            if (paid.status === 201 && s.kind === 'card') paymentIds.push(paid.body.paymentId);
            if (paid.status === 409) expect(paid.body.code).toBe('INSUFFICIENT_FUNDS');
          }
          await sandboxOf(world).idle();
        }
        await drain(world);
        await expectLedgerSound(world);
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});
