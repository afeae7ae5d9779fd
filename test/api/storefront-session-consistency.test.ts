import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from '../support/runtime.js';
import { createApp } from '../../src/http/app.js';
import { sessionKey } from '../../src/http/middleware/consistency.js';
import { orderWorld, type OrderWorld } from './orders-support.js';
import { drain } from './payments-support.js';
import { paidOrder, ship } from './fulfillment-support.js';

/**
 * Read your own writes without asking: a signed-in user's reads wait (bounded) for that user's last
 * write, recorded in KeyValue so another API process over the same stores sees it too.
 */

let world: OrderWorld;
beforeAll(async () => {
  world = await orderWorld();
});
afterAll(async () => {
  await world?.runtime.close();
});

const projections = () => world.runtime.deps.projections;
/** Holds a read model back while `during` runs, and lets it catch up `afterMs` after the start. */
async function withLaggingReadModel<T>(name: string, afterMs: number, during: () => Promise<T>): Promise<T> {
  await projections().release(name);
  const resume = setTimeout(() => void projections().run(name), afterMs);
  try {
    return await during();
  } finally {
    clearTimeout(resume);
    await projections().run(name);
  }
}

let phones = 0;
async function register(api: ReturnType<typeof client>) {
  const phone = `+86136${String(++phones).padStart(8, '0')}`;
  expect((await api('POST', '/api/v1/auth/sms-codes', { body: { phone, purpose: 'register' } })).status).toBe(202);
  const code = (await api('GET', `/api/v1/dev/outbox?to=${encodeURIComponent(phone)}`)).body.items[0].code as string;
  const registered = await api('POST', '/api/v1/auth/register', { body: { phone, code, password: 'Correct-horse-42', nickname: 'reader' } });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  return registered.body as { user: { id: string }; accessToken: string; position: string };
}

describe('session consistency', () => {
  it('GET /me right after registering answers the new profile, also from another API process', async () => {
    const otherProcess = client(createApp(world.runtime.deps)); // another app over the same stores: only KeyValue carries the session
    await withLaggingReadModel('users', 150, async () => {
      const registered = await register(world.api);
      const me = await otherProcess('GET', '/api/v1/me', { token: registered.accessToken });
      expect(me.status, JSON.stringify(me.body)).toBe(200);
      expect(me.body.id).toBe(registered.user.id);
      expect(me.headers.get('x-consistency')).toBe('consistent');
      expect(await world.runtime.deps.kv.get(sessionKey(`user:${registered.user.id}`))).toBe(registered.position);
    });
  });

  it('GET /me/wallet right after confirm-receipt shows the coins earned', async () => {
    const { orderId, buyer } = await paidOrder(world, { price: 20_000 });
    const shipmentId = (await ship(world, orderId)).body.shipmentId as string;
    expect((await world.api('POST', `/api/v1/dev/sandbox/shipments/${shipmentId}/delivered`, {})).status).toBe(200);
    await drain(world);

    await withLaggingReadModel('wallet_entries', 150, async () => {
      const confirmed = await world.api('POST', `/api/v1/orders/${orderId}/confirm-receipt`, { token: buyer.token });
      expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
      expect(confirmed.body.coinsEarned).toBe(200);
      const wallet = await world.api('GET', '/api/v1/me/wallet', { token: buyer.token });
      expect(wallet.status).toBe(200);
      expect(wallet.body.coins).toBe(200);
      expect(wallet.body.entries).toEqual(expect.arrayContaining([expect.objectContaining({ account: 'coins', direction: 'credit', amount: 200 })]));
    });
  });

  it('does not make other users wait, answers stale after the bound, and X-Min-Position still works', async () => {
    const first = await register(world.api);
    const second = await register(world.api);
    await drain(world);
    await projections().release('users');
    try {
      const patched = await world.api('PATCH', '/api/v1/me', { token: first.accessToken, body: { nickname: 'renamed' } });
      expect(patched.status).toBe(200);

      const started = Date.now();
      const other = await world.api('GET', '/api/v1/me', { token: second.accessToken });
      expect(other.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1000);

      const mine = await world.api('GET', '/api/v1/me', { token: first.accessToken });
      expect(mine.headers.get('x-consistency')).toBe('stale');
      expect(mine.body.nickname).toBe('reader');

      const explicit = await world.api('GET', '/api/v1/me', { token: second.accessToken, headers: { 'X-Min-Position': patched.headers.get('x-position')! } });
      expect(explicit.headers.get('x-consistency')).toBe('stale');
    } finally {
      await projections().run('users');
    }
    const caughtUp = await world.api('GET', '/api/v1/me', { token: first.accessToken });
    expect(caughtUp.body.nickname).toBe('renamed');
    expect(caughtUp.headers.get('x-consistency')).toBe('consistent');
  });
});
