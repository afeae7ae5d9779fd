import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SANDBOX_CARDS, sandboxPaymentProvider } from '../../../src/adapters/payments/sandbox.js';
import { sandboxFulfillmentProvider } from '../../../src/adapters/fulfillment/sandbox.js';

/** The sandbox acquirer and carrier keep their books in a SQLite file: a new instance on it (a restart, another process) knows everything. */

const dir = mkdtempSync(join(tmpdir(), 'bazaar-sandbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const SECRET = 'sandbox-secret-for-tests';

describe('sandbox books in a file', () => {
  it('answers query, settlement and redelivery from a new instance on the same file', async () => {
    const file = join(dir, 'sandbox.db');
    const at = new Date('2026-03-01T10:00:00.000Z');
    const first = sandboxPaymentProvider({ secret: SECRET, db: new Database(file), now: () => at });
    const sent: string[] = [];
    first.connect(async (body) => sent.push(body));
    const { providerRef } = await first.charge({ paymentId: 'p1', amount: cny(10_000), card: { number: SANDBOX_CARDS.success } });
    await first.charge({ paymentId: 'p2', amount: cny(500), card: { number: SANDBOX_CARDS.declined } });
    const refund = await first.refund({ refundId: 'r1', paymentId: 'p1', amount: cny(4_000) });
    await first.idle();

    // Another instance on the same file: a restarted server, or `bazaar reconcile` beside the running one.
    const second = sandboxPaymentProvider({ secret: SECRET, db: new Database(file), now: () => at });
    const delivered: string[] = [];
    second.connect(async (body, signature) => {
      expect(second.verify(body, signature)).toBe(true);
      delivered.push(body);
    });
    expect(await second.query('p1')).toMatchObject({ paymentId: 'p1', providerRef, status: 'captured', amount: cny(10_000), fee: cny(60) });
    expect(await second.query('p2')).toMatchObject({ status: 'declined', declineReason: 'card_declined' });
    expect(await second.settlement('2026-03-01')).toEqual([
      { paymentId: 'p1', providerRef, kind: 'capture', amount: cny(10_000), fee: cny(60), at: at.toISOString() },
      { paymentId: 'p1', providerRef: refund.providerRef, kind: 'refund', amount: cny(4_000), fee: cny(0), at: at.toISOString() },
    ]);
    expect(await second.settlement('2026-03-02')).toEqual([]);

    // Redelivery sends the very callbacks the first instance sent.
    expect(await second.redeliver('p1', 1)).toBe(true);
    expect(await second.redeliverRefund('r1', 1)).toBe(true);
    expect(delivered).toEqual([sent.find((body) => body.includes('"paymentId":"p1"') && body.includes('captured')), sent.find((body) => body.includes('"refundId":"r1"'))]);
    expect(await second.redeliver('unknown', 1)).toBe(false);

    // The same charge or refund again is the recorded one; the refunded total stays bounded across instances.
    expect(await second.charge({ paymentId: 'p1', amount: cny(10_000), card: { number: SANDBOX_CARDS.success } })).toEqual({ providerRef });
    expect(await second.refund({ refundId: 'r1', paymentId: 'p1', amount: cny(4_000) })).toEqual(refund);
    await expect(second.refund({ refundId: 'r2', paymentId: 'p1', amount: cny(6_001) })).rejects.toThrow(/exceeds/);
    await second.refund({ refundId: 'r3', paymentId: 'p1', amount: cny(6_000) });
    expect((await first.query('p1'))?.status).toBe('refunded');
    await second.idle();
  });

  it('the carrier still knows a shipment dispatched before the restart', async () => {
    const file = join(dir, 'carrier.db');
    const first = sandboxFulfillmentProvider({ secret: SECRET, db: new Database(file) });
    await first.dispatch({ shipmentId: 's1', orderId: 'o1', carrier: 'SF', trackingNumber: 'SF1' });
    await first.dispatch({ shipmentId: 's1', orderId: 'o1', carrier: 'SF', trackingNumber: 'changed' });

    const second = sandboxFulfillmentProvider({ secret: SECRET, db: new Database(file) });
    const delivered: string[] = [];
    second.connect(async (body) => delivered.push(body));
    expect(second.dispatched('s1')).toEqual({ shipmentId: 's1', orderId: 'o1', carrier: 'SF', trackingNumber: 'SF1' });
    expect(await second.report('s1', 'delivered')).toBe(true);
    expect(JSON.parse(delivered[0]!)).toMatchObject({ shipmentId: 's1', status: 'delivered' });
    expect(await second.report('s2', 'delivered')).toBe(false);
  });
});
