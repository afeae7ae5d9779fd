import type { Deps } from '../../deps.js';
import { paymentsCheck, settlementSourcesFrom } from './payment-check.js';
import { reconcile, type PaymentCheck, type ReconciliationReport, type SettlementSource } from './reconciliation.js';
import type { ReportRange } from './range.js';

export interface ReportOptions {
  check?: PaymentCheck;
  sources?: SettlementSource[];
  onProgress?: (position: number, head: number, checkedEvents: number) => void;
}

const inFlightByStore = new WeakMap<object, Map<string, Promise<ReconciliationReport>>>();

/**
 * The reconciliation of the application's stores: every event up to the current head, the payments
 * module's check, and the settlement of every PaymentProvider in Deps. Identical requests (same period,
 * same head, default check and sources) running at the same time share one scan.
 */
export async function financeReport(deps: Pick<Deps, 'store'> & Partial<Pick<Deps, 'paymentProvider'>>, range: ReportRange, options: ReportOptions = {}): Promise<ReconciliationReport> {
  const run = () => reconcile(deps, { range, check: options.check ?? paymentsCheck, sources: options.sources ?? settlementSourcesFrom(deps), onProgress: options.onProgress });
  if (options.check || options.sources || options.onProgress) return run();
  const key = `${range.from.toISOString()}|${range.toExclusive.toISOString()}|${await deps.store.headPosition()}`;
  let inFlight = inFlightByStore.get(deps.store);
  if (!inFlight) {
    inFlight = new Map();
    inFlightByStore.set(deps.store, inFlight);
  }
  let pending = inFlight.get(key);
  if (!pending) {
    const running = inFlight;
    pending = run().finally(() => running.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}
