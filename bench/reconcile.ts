/**
 * Finance reconciliation over a large ledger: `npx tsx bench/reconcile.ts [--events N] [--page N] [--runs N] [--keep]`.
 *
 * Generates N events (default 1,000,000) straight into a SQLite event store file (the adapter's own
 * schema, written with one prepared INSERT in transactions of 10,000 rows), shaped like production:
 *  - 3 of 4 operations are card payments: `PaymentCaptured` (sandbox, one order) then the transfers the
 *    plan requires (`payment-P-fee`: platform.revenue → clearing.sandbox, `payment-P-capture-O`:
 *    clearing.sandbox → merchant.M), 5 events;
 *  - 1 of 4 is a wallet payment: a top-up (platform.wallet-funding → wallet.U), the synchronous wallet
 *    debit (wallet.U → clearing.wallet) *before* its `PaymentCaptured`, then the capture to the
 *    merchant, 7 events;
 *  - 50,000 customers, 1,000 merchants, 30 days.
 * The sandbox's settlement file is computed from the same generator (no memory held for it).
 * Then `reconcile()` (the driver the API and CLI use, with the real `paymentsCheck`) runs over the file
 * through `sqliteEventStore.readAll` pages; we measure wall time and peak RSS / heap (sampled every
 * 50 ms and after every page). The report must be `ok` (the generated ledger is sound).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { join } from 'node:path';
import { sqliteEventStore } from '../src/adapters/eventstore/sqlite.js';
import { reconcile, DEFAULT_PAGE_SIZE } from '../src/queries/finance/reconciliation.js';
import { paymentsCheck } from '../src/queries/finance/payment-check.js';
import { parseRange } from '../src/queries/finance/range.js';
import type { SettlementLine } from '../src/ports/payment-provider.js';
import { machineInfo, machineMarkdown } from './lib/machine.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
};
const EVENTS = option('events', 1_000_000);
const PAGE = option('page', DEFAULT_PAGE_SIZE);
const RUNS = option('runs', 1);
const KEEP = argv.includes('--keep');

// A full GC before each run, so every run starts from the same baseline (without --expose-gc on the command line).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const DAYS = 30;
const FIRST_DAY = Date.parse('2026-10-01T00:00:00Z');
const USERS = 50_000;
const MERCHANTS = 1_000;
const DAY_MS = 86_400_000;

const isWallet = (k: number) => k % 4 === 3;
const amountOf = (k: number) => 1_000 + ((k * 7_919) % 100_000);
const feeOf = (amount: number) => Math.floor((amount * 6 + 500) / 1_000); // 0.6 %, half up
const dayOf = (k: number) => k % DAYS;
const atOf = (k: number) => new Date(FIRST_DAY + dayOf(k) * DAY_MS + ((k * 37) % 86_000) * 1_000).toISOString();

function generate(file: string): { events: number; operations: number; seconds: number } {
  const started = performance.now();
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  sqliteEventStore(db); // creates the schema, WAL
  const insert = db.prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const revisions = new Map<string, number>();
  let count = 0;
  let batch: unknown[][] = [];
  const writeBatch = db.transaction((rows: unknown[][]) => {
    for (const row of rows) insert.run(...row);
  });
  const metadata = JSON.stringify({ correlationId: 'bench', actor: { id: 'system', role: 'system' } });
  const append = (streamId: string, type: string, data: unknown, at: string) => {
    const revision = (revisions.get(streamId) ?? -1) + 1;
    revisions.set(streamId, revision);
    count++;
    batch.push([`ev-${count}`, streamId, revision, type, JSON.stringify(data), metadata, at]);
    if (batch.length >= 10_000) {
      writeBatch(batch);
      batch = [];
    }
  };
  const transfer = (transferId: string, from: string, to: string, amount: number, cause: { type: string; id: string }, at: string) => {
    const leg = (accountId: string, counterpartyId: string) => ({ transferId, accountId, counterpartyId, amount, currency: 'CNY', cause, at });
    append(`account-${from}`, 'AccountDebited', leg(from, to), at);
    append(`account-${to}`, 'AccountCredited', leg(to, from), at);
  };

  let k = 0;
  for (; count < EVENTS; k++) {
    const paymentId = `p${k}`;
    const userId = `u${k % USERS}`;
    const merchantId = `m${k % MERCHANTS}`;
    const orderId = `o${k}`;
    const amount = amountOf(k);
    const at = atOf(k);
    const wallet = isWallet(k);
    const fee = wallet ? 0 : feeOf(amount);
    const provider = wallet ? 'wallet' : 'sandbox';
    const cause = { type: 'PaymentCaptured', id: paymentId };
    const captured = {
      paymentId,
      payOrderId: `po${k}`,
      userId,
      method: wallet ? 'wallet' : 'card',
      provider,
      at,
      providerRef: wallet ? `wallet-${paymentId}` : `sbx-${paymentId}`,
      amount: { amount, currency: 'CNY' },
      fee: { amount: fee, currency: 'CNY' },
      coins: 0,
      coinsValue: { amount: 0, currency: 'CNY' },
      voucherCode: null,
      voucherValue: { amount: 0, currency: 'CNY' },
      allocations: [{ orderId, merchantId, total: { amount, currency: 'CNY' }, charged: amount, coins: 0, coinsValue: 0, voucherValue: 0, commission: 0 }],
      refundedOrderIds: [],
      afterDecline: false,
    };
    if (wallet) {
      transfer(`topup-${paymentId}`, 'platform.wallet-funding', `wallet.${userId}`, amount, { type: 'WalletTopUp', id: paymentId }, at);
      transfer(`payment-${paymentId}-wallet`, `wallet.${userId}`, 'clearing.wallet', amount, cause, at);
      append(`payment-${paymentId}`, 'PaymentCaptured', captured, at);
      transfer(`payment-${paymentId}-capture-${orderId}`, 'clearing.wallet', `merchant.${merchantId}`, amount, cause, at);
    } else {
      append(`payment-${paymentId}`, 'PaymentCaptured', captured, at);
      transfer(`payment-${paymentId}-fee`, 'platform.revenue', 'clearing.sandbox', fee, cause, at);
      transfer(`payment-${paymentId}-capture-${orderId}`, 'clearing.sandbox', `merchant.${merchantId}`, amount, cause, at);
    }
  }
  if (batch.length > 0) writeBatch(batch);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { events: count, operations: k, seconds: (performance.now() - started) / 1000 };
}

/** The sandbox's daily file, recomputed from the generator: card payments of that day. */
function settlementOf(operations: number) {
  return async (day: string): Promise<SettlementLine[]> => {
    const index = Math.round((Date.parse(`${day}T00:00:00Z`) - FIRST_DAY) / DAY_MS);
    const lines: SettlementLine[] = [];
    if (index < 0 || index >= DAYS) return lines;
    for (let k = index; k < operations; k += DAYS) {
      if (isWallet(k)) continue;
      const amount = amountOf(k);
      lines.push({ paymentId: `p${k}`, providerRef: `sbx-p${k}`, kind: 'capture', amount: { amount, currency: 'CNY' }, fee: { amount: feeOf(amount), currency: 'CNY' }, at: atOf(k) });
    }
    return lines;
  };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-reconcile-'));
  const file = join(dir, 'events.db');
  try {
    process.stderr.write(`generating ${EVENTS.toLocaleString('en-US')} events into ${file}…\n`);
    const generated = generate(file);
    process.stderr.write(`generated ${generated.events.toLocaleString('en-US')} events (${generated.operations.toLocaleString('en-US')} payments) in ${generated.seconds.toFixed(1)} s\n`);

    const range = parseRange({ from: new Date(FIRST_DAY).toISOString().slice(0, 10), to: new Date(FIRST_DAY + (DAYS - 1) * DAY_MS).toISOString().slice(0, 10) }, new Date());
    const rows: string[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const db = new Database(file, { readonly: false });
      const store = sqliteEventStore(db);
      gc();
      const baseline = process.memoryUsage();
      let peakRss = baseline.rss;
      let peakHeap = baseline.heapUsed;
      const sample = () => {
        const usage = process.memoryUsage();
        peakRss = Math.max(peakRss, usage.rss);
        peakHeap = Math.max(peakHeap, usage.heapUsed);
      };
      const sampler = setInterval(sample, 50);
      const cpuBefore = process.cpuUsage();
      const loadBefore = os.loadavg()[0]!;
      const started = performance.now();
      const report = await reconcile({ store }, { range, check: paymentsCheck, sources: [{ provider: 'sandbox', settlement: settlementOf(generated.operations) }], pageSize: PAGE, onProgress: sample });
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      clearInterval(sampler);
      sample();
      await store.close();
      db.close();
      if (!report.ok) throw new Error(`the generated ledger should reconcile: ${JSON.stringify({ ...report, accounts: report.accounts.filter((a) => a.diff.amount !== 0).slice(0, 5) }).slice(0, 2000)}`);
      rows.push(
        `| ${run} | ${report.checkedEvents.toLocaleString('en-US')} | ${report.transfers.toLocaleString('en-US')} | ${report.accounts.length.toLocaleString('en-US')} | ${report.settlement.lines.toLocaleString('en-US')} | ${seconds.toFixed(2)} s | ${cpuSeconds.toFixed(2)} s | ${loadBefore.toFixed(1)} | ${Math.round(report.checkedEvents / seconds).toLocaleString('en-US')} | ${mib(baseline.rss)} → ${mib(peakRss)} | ${mib(baseline.heapUsed)} → ${mib(peakHeap)} | ${report.ok ? 'yes' : 'no'} |`,
      );
    }
    console.log(`# Reconciliation benchmark

\`npx tsx bench/reconcile.ts --events ${EVENTS} --page ${PAGE}\`

${machineMarkdown(machineInfo())}
- Ledger: ${generated.events.toLocaleString('en-US')} events (${generated.operations.toLocaleString('en-US')} payments, 3/4 card, 1/4 wallet), ${USERS.toLocaleString('en-US')} customers, ${MERCHANTS.toLocaleString('en-US')} merchants, ${DAYS} days; generated in ${generated.seconds.toFixed(1)} s
- Page size: ${PAGE.toLocaleString('en-US')} events per \`readAll\`

| run | events read | transfers | accounts | settlement lines | wall time | CPU time | load avg (1 min) at start | events/s | RSS (start → peak) | heap used (start → peak) | ok |
|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}`);
  } finally {
    if (KEEP) process.stderr.write(`kept ${file}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
