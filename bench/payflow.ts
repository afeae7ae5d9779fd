/**
 * Full pay flow on the embedded default: place order → pay by card → the sandbox's signed callback →
 * orders paid → ledger transfers posted, through the whole HTTP stack (in-process `app.request`, no
 * sockets) with the projections and reactors of the `all` role. Throughput counts flows that have
 * settled end to end: the run ends when every callback is delivered and every reactor caught up.
 *
 *   npx tsx bench/payflow.ts [--flows N] [--concurrency C]
 */
import { pathToFileURL } from 'node:url';
import type { SandboxProvider } from '../src/adapters/payments/sandbox.js';
import { benchAddress, inFlight, storeFixture } from './lib/store-fixture.js';

export interface PayFlowResult {
  flows: number;
  concurrency: number;
  seconds: number;
  flowsPerSecond: number;
  placeP50: number;
  placeP99: number;
  payP50: number;
  payP99: number;
  paidOrders: number;
  ledgerSumZero: boolean;
}

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

export async function benchPayFlow(options: { flows?: number; concurrency?: number } = {}): Promise<PayFlowResult> {
  const flows = options.flows ?? 1000;
  const concurrency = options.concurrency ?? 32;
  const fixture = await storeFixture({ name: 'pay', buyers: concurrency * 4 });
  const { runtime, call, skus, buyers } = fixture;
  const { deps } = runtime;
  try {
    const placeMs: number[] = [];
    const payMs: number[] = [];
    const started = performance.now();
    await inFlight(flows, concurrency, async (n) => {
      const token = buyers[n % buyers.length]!;
      const sku = skus[n % skus.length]!;
      let t = performance.now();
      const placed = await call('POST', '/api/v1/orders', token, { items: [{ skuId: sku.skuId, quantity: 1, expectedUnitPrice: sku.price }], shippingAddress: benchAddress });
      placeMs.push(performance.now() - t);
      if (placed.status !== 201) throw new Error(`place order: ${placed.status} ${JSON.stringify(placed.body)}`);
      t = performance.now();
      const paid = await call('POST', `/api/v1/pay-orders/${placed.body.payOrderId as string}/payments`, token, { method: 'card', card: { number: '4242424242424242' } });
      payMs.push(performance.now() - t);
      if (paid.status !== 201) throw new Error(`pay: ${paid.status} ${JSON.stringify(paid.body)}`);
    });
    await (deps.paymentProvider as SandboxProvider).idle();
    await deps.projections.waitFor(await deps.store.headPosition(), 120_000);
    const seconds = (performance.now() - started) / 1000;

    const paidOrders = (await deps.views.find('orders', { where: { paymentStatus: 'paid' }, limit: flows + 10 })).items.length;
    const totals = new Map<string, number>();
    for (let after = 0; ; ) {
      const events = await deps.store.readAll({ after, maxCount: 5000 });
      if (events.length === 0) break;
      for (const event of events) {
        if (event.type !== 'AccountCredited' && event.type !== 'AccountDebited') continue;
        const leg = event.data as { amount: number; currency: string };
        totals.set(leg.currency, (totals.get(leg.currency) ?? 0) + (event.type === 'AccountCredited' ? leg.amount : -leg.amount));
      }
      after = events[events.length - 1]!.position;
    }
    return {
      flows,
      concurrency,
      seconds,
      flowsPerSecond: flows / seconds,
      placeP50: percentile(placeMs, 50),
      placeP99: percentile(placeMs, 99),
      payP50: percentile(payMs, 50),
      payP99: percentile(payMs, 99),
      paidOrders,
      ledgerSumZero: [...totals.values()].every((sum) => sum === 0),
    };
  } finally {
    await fixture.close();
  }
}

export function payFlowMarkdown(r: PayFlowResult): string {
  return [
    `Full pay flow (place order → card payment → signed callback → paid → transfers posted), ${r.flows} flows, ${r.concurrency} in flight, embedded default, one process (role \`all\`), in-process HTTP (\`app.request\`).`,
    '',
    '| flows | wall time (until settled) | flows/s | place order p50 / p99 | pay p50 / p99 | orders paid | Σ balances per currency = 0 |',
    '|---:|---:|---:|---:|---:|---:|---|',
    `| ${r.flows} | ${r.seconds.toFixed(1)} s | ${r.flowsPerSecond.toFixed(0)} | ${r.placeP50.toFixed(1)} / ${r.placeP99.toFixed(1)} ms | ${r.payP50.toFixed(1)} / ${r.payP99.toFixed(1)} ms | ${r.paidOrders} | ${r.ledgerSumZero ? 'yes' : 'NO'} |`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const index = process.argv.indexOf(`--${name}`);
    return index > 0 ? Number(process.argv[index + 1]) : undefined;
  };
  console.log(payFlowMarkdown(await benchPayFlow({ flows: arg('flows'), concurrency: arg('concurrency') })));
}
