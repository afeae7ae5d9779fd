/**
 * End-to-end order lifecycle on the embedded default: place order → pay by card (the sandbox's signed
 * callback) → ship → the carrier's signed `delivered` callback → refund one of the two units (card
 * refund, confirmed by the provider's signed refund callback), through the whole HTTP stack (in-process
 * `app.request`, no sockets) with the projections and reactors of the `all` role. A flow counts when its
 * refund is recorded on the order.
 *
 * Projection lag (event → order view): after each step, the position of the step's last order-visible
 * event (the command's answer, or the order stream's position once the asynchronous outcome is there) is
 * sampled, and the time until the `orders` projection's checkpoint reaches it is measured with
 * `projections.waitFor(position, …, ['orders'])` (measured alongside the flow; the flow does not wait).
 *
 *   npx tsx bench/lifecycle.ts [--flows N] [--concurrency C]
 */
import { pathToFileURL } from 'node:url';
import { orderStream, type Order } from '../src/domain/orders/order.js';
import type { SandboxProvider } from '../src/adapters/payments/sandbox.js';
import type { SandboxFulfillmentProvider } from '../src/adapters/fulfillment/sandbox.js';
import { benchAddress, inFlight, storeFixture } from './lib/store-fixture.js';

export interface LifecycleResult {
  flows: number;
  concurrency: number;
  seconds: number;
  flowsPerSecond: number;
  flowP50: number;
  flowP99: number;
  lagSamples: number;
  lagP50: number;
  lagP99: number;
  lagMax: number;
  lagTimeouts: number;
  partiallyRefunded: number;
}

const STEPS = ['place', 'pay', 'ship', 'deliver', 'refund'] as const;

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchLifecycle(options: { flows?: number; concurrency?: number } = {}): Promise<LifecycleResult> {
  const flows = options.flows ?? 300;
  const concurrency = options.concurrency ?? 16;
  const fixture = await storeFixture({ name: 'lifecycle', buyers: concurrency * 4 });
  const { runtime, call, skus, buyers } = fixture;
  const { deps } = runtime;
  try {
    const expectStatus = (step: string, response: { status: number; body: unknown }, status: number) => {
      if (response.status !== status) throw new Error(`${step}: ${response.status} ${JSON.stringify(response.body)}`);
    };
    /** Polls the order aggregate until `ready` (the asynchronous outcome of a callback or reactor). */
    const orderWhen = async (orderId: string, step: string, ready: (order: Order) => boolean) => {
      for (let waited = 0; waited < 60_000; waited += 2) {
        const loaded = await deps.handlers.order.load(orderStream(orderId));
        if (ready(loaded.state)) return loaded.position;
        await pause(2);
      }
      throw new Error(`${step}: order ${orderId} did not get there`);
    };

    const admin = await deps.tokens.issueAccessToken({ userId: 'bench-admin', roles: ['admin'] }, new Date());
    const carrier = deps.fulfillmentProvider as SandboxFulfillmentProvider;

    const lagMs: number[] = [];
    const lagWaits: Array<Promise<void>> = [];
    let lagTimeouts = 0;
    const sampleLag = (position: number) => {
      const t = performance.now();
      lagWaits.push(
        deps.projections.waitFor(position, 60_000, ['orders']).then((reached) => {
          if (reached) lagMs.push(performance.now() - t);
          else lagTimeouts++;
        }),
      );
    };

    const flowMs: number[] = [];
    const started = performance.now();
    await inFlight(flows, concurrency, async (n) => {
      const token = buyers[n % buyers.length]!;
      const sku = skus[n % skus.length]!;
      const t = performance.now();
      const placed = await call('POST', '/api/v1/orders', token, { items: [{ skuId: sku.skuId, quantity: 2, expectedUnitPrice: sku.price }], shippingAddress: benchAddress });
      expectStatus(STEPS[0], placed, 201);
      sampleLag(Number(placed.body.position));
      const orderId = (placed.body.orders as Array<{ id: string }>)[0]!.id;

      const paid = await call('POST', `/api/v1/pay-orders/${placed.body.payOrderId as string}/payments`, token, { method: 'card', card: { number: '4242424242424242' } });
      expectStatus(STEPS[1], paid, 201);
      sampleLag(await orderWhen(orderId, STEPS[1], (order) => order.status === 'paid'));

      const shipped = await call('POST', `/api/v1/admin/orders/${orderId}/shipments`, admin, { carrier: 'SF Express', trackingNumber: `SF${n}` });
      expectStatus(STEPS[2], shipped, 201);
      sampleLag(Number(shipped.body.position));

      if (!(await carrier.report(shipped.body.shipmentId as string, 'delivered'))) throw new Error('deliver: shipment not dispatched');
      sampleLag(await orderWhen(orderId, STEPS[3], (order) => order.status === 'delivered'));

      const detail = await deps.handlers.order.load(orderStream(orderId));
      if (detail.state.status === 'none') throw new Error('refund: no order');
      const refunded = await call('POST', `/api/v1/admin/orders/${orderId}/refunds`, admin, { type: 'refund_only', items: [{ orderItemId: detail.state.items[0]!.id, quantity: 1 }], reason: 'bench' });
      expectStatus(STEPS[4], refunded, 201);
      sampleLag(await orderWhen(orderId, STEPS[4], (order) => order.status !== 'none' && order.refundStatus === 'partially_refunded'));
      flowMs.push(performance.now() - t);
    });
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(lagWaits);
    await (deps.paymentProvider as SandboxProvider).idle();
    await deps.projections.waitFor(await deps.store.headPosition(), 120_000);
    const partiallyRefunded = (await deps.views.find('orders', { where: { refundStatus: 'partially_refunded' }, limit: flows + 10 })).items.length;
    return {
      flows,
      concurrency,
      seconds,
      flowsPerSecond: flows / seconds,
      flowP50: percentile(flowMs, 50),
      flowP99: percentile(flowMs, 99),
      lagSamples: lagMs.length,
      lagP50: percentile(lagMs, 50),
      lagP99: percentile(lagMs, 99),
      lagMax: percentile(lagMs, 100),
      lagTimeouts,
      partiallyRefunded,
    };
  } finally {
    await fixture.close();
  }
}

export function lifecycleMarkdown(r: LifecycleResult): string {
  return [
    `Order lifecycle (place 2 units → card payment + signed callback → ship → carrier's signed \`delivered\` → refund 1 unit by card + signed refund callback), ${r.flows} flows, ${r.concurrency} in flight, embedded default, one process (role \`all\`), in-process HTTP (\`app.request\`).`,
    '',
    '| flows | wall time | lifecycles/s | one lifecycle p50 / p99 | lag samples | projection lag (event → `orders` view) p50 / p99 / max | lag timeouts | orders partially refunded |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${r.flows} | ${r.seconds.toFixed(1)} s | ${r.flowsPerSecond.toFixed(1)} | ${r.flowP50.toFixed(0)} / ${r.flowP99.toFixed(0)} ms | ${r.lagSamples} | ${r.lagP50.toFixed(1)} / ${r.lagP99.toFixed(1)} / ${r.lagMax.toFixed(1)} ms | ${r.lagTimeouts} | ${r.partiallyRefunded} |`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const index = process.argv.indexOf(`--${name}`);
    return index > 0 ? Number(process.argv[index + 1]) : undefined;
  };
  console.log(lifecycleMarkdown(await benchLifecycle({ flows: arg('flows'), concurrency: arg('concurrency') })));
}
