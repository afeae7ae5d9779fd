import { accountDecider, type Account, type AccountEvent, type TransferCause, type TransferLeg } from '../../domain/accounts/account.js';
import { accountPolicy } from '../../domain/accounts/account-ids.js';
import type { Money } from '../../domain/common/money.js';
import type { EventStore, RecordedEvent } from '../../ports/event-store.js';
import type { SettlementLine } from '../../ports/payment-provider.js';
import { daysOf, inRange, utcDay, type ReportRange } from './range.js';

/**
 * Finance reconciliation (docs/design.md §6): re-derives every balance from the event flows and compares.
 *
 * - `Reconciliation` is the pure core: feed it every event in global order (`feed`), then the provider's
 *   settlement lines (`finish`); it does no I/O and keeps only per-account tallies, the transfers still
 *   waiting for a leg, the payments waiting for their transfers and the captured payments of the period,
 *   never the events themselves.
 * - `reconcile` is the streaming driver: it pages through `readAll` up to the head it saw when it started,
 *   then fetches the settlement of every day of the period.
 *
 * Ledger invariants (every account, every transfer, all time): the balance the account reports (its own
 * decider folded over its stream) equals the sum of its entries re-derived from complete transfers; every
 * transfer has exactly one debit and one credit leg that agree; all balances of a currency sum to zero.
 * Sums are exact (BigInt), and every leg amount and balance that is not a safe integer is listed
 * (`unsafeNumbers`): a double past 2^53 loses whole units, and summing the same rounded doubles would hide it.
 * Period checks (`from`..`to`): every payment event (capture, refund…) has the transfers `plannedTransfers`
 * requires, and the provider's settlement matches the captured payments and refunds of the period.
 */

export const DEFAULT_PAGE_SIZE = 5000;
/** Transfer ids remembered for transfers posted before their planning event. */
export const RECENT_TRANSFERS_WINDOW = 65_536;

/** Where a discrepancy comes from: an event of the store. */
export interface EventRef {
  id: string;
  position: number;
  streamId: string;
  type: string;
}

/** A captured payment or a refund as the ledger knows it: what the provider's settlement must show. */
export interface MoneyFact {
  kind: 'capture' | 'refund';
  provider: string;
  paymentId: string;
  providerRef?: string;
  amount: Money;
  fee: Money;
  at: string;
  /** Whether a provider's settlement file must show it (a card capture does; a wallet payment does not). */
  settles: boolean;
}

/**
 * What the payments module tells reconciliation about its events. Pluggable so the ledger checks do not
 * depend on the payment event catalogue (docs/ledger.md); the default is built on `plannedTransfers`.
 */
export interface PaymentCheck {
  /** Ids of the transfers this event requires (empty for events that need none). */
  requiredTransfers(event: RecordedEvent): string[];
  /** The captured payment or refund this event records; null for any other event. */
  moneyFact(event: RecordedEvent): MoneyFact | null;
}

export const noPaymentCheck: PaymentCheck = { requiredTransfers: () => [], moneyFact: () => null };

/** A provider's daily settlement files. */
export interface SettlementSource {
  provider: string;
  settlement(day: string): Promise<SettlementLine[]>;
}

export interface AccountLine {
  account: string;
  kind: string | null;
  /** What the account reports: its decider folded over `account-<id>`. */
  balance: Money;
  /** Its entries re-derived from complete, consistent transfers (both legs). */
  ledgerSum: Money;
  /** balance − ledgerSum. */
  diff: Money;
  entries: number;
}

export type UnbalancedReason =
  | 'missing_credit_leg'
  | 'missing_debit_leg'
  | 'duplicate_leg'
  | 'amount_mismatch'
  | 'currency_mismatch'
  | 'accounts_mismatch'
  | 'wrong_stream';

export interface UnbalancedTransfer {
  transferId: string;
  reason: UnbalancedReason;
  detail: string;
  from: string | null;
  to: string | null;
  amount: Money | null;
  cause: TransferCause | null;
  at: string | null;
  /** The legs that exist. */
  events: EventRef[];
}

export interface MissingTransfer {
  transferId: string;
  /** The payment / refund event that requires it. */
  cause: EventRef;
  at: string;
}

export type MismatchReason = 'missing_in_settlement' | 'missing_in_ledger' | 'amount_mismatch' | 'fee_mismatch' | 'no_settlement_source';

export interface ProviderMismatch {
  provider: string;
  day: string;
  kind: 'capture' | 'refund';
  paymentId: string;
  reason: MismatchReason;
  ledger: { amount: Money; fee: Money; at: string } | null;
  settlement: { amount: Money; fee: Money; providerRef: string; at: string } | null;
  events: EventRef[];
}

/** A leg amount or a reported balance that is not a safe integer: doubles cannot hold it exactly. */
export interface UnsafeNumber {
  what: 'amount' | 'balance';
  account: string;
  /** The value as stored (a number's decimal form). */
  value: string;
  transferId: string | null;
  events: EventRef[];
}

export interface DailyTotal {
  day: string;
  currency: string;
  captured: number;
  refunded: number;
  fees: number;
  captures: number;
  refunds: number;
}

export interface ReconciliationReport {
  ok: boolean;
  from: string;
  /** Exclusive end of the period. */
  to: string;
  /** Events read (all of them, up to `headPosition`). */
  checkedEvents: number;
  headPosition: number;
  accounts: AccountLine[];
  /** Sum of every balance per currency: zero in a sound ledger. */
  totals: Array<{ currency: string; sum: number }>;
  transfers: number;
  unbalancedTransfers: UnbalancedTransfer[];
  missingTransfers: MissingTransfer[];
  providerMismatches: ProviderMismatch[];
  /** Leg amounts and balances that are not safe integers (the ledger refuses them; older data may hold them). */
  unsafeNumbers: UnsafeNumber[];
  settlement: { providers: string[]; days: number; lines: number; facts: number };
  daily: DailyTotal[];
}

interface Tally {
  /** The account's own state, folded with its decider. */
  state: Account;
  /** Exact sum of the entries of complete transfers. */
  ledgerSum: bigint;
  ledgerCurrency: string | null;
}

/** A number as an exact integer (a fraction, which no ledger amount may be, is truncated; it is listed as unsafe anyway). */
const exact = (value: number): bigint => (Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n);
/** A BigInt back as a JSON number (exact while safe; `unsafeNumbers` flags the rest). */
const toNumber = (value: bigint): number => Number(value);

interface Leg {
  data: TransferLeg;
  /** The account whose stream holds the leg. */
  streamAccount: string;
  ref: EventRef;
}

interface PendingTransfer {
  debits: Leg[];
  credits: Leg[];
}

/** A `posted` set that remembers nothing: reconciliation folds balances without keeping every transfer id. */
class ForgetfulSet extends Set<string> {
  override add(): this {
    return this;
  }
}
const FORGETFUL = new ForgetfulSet();

const ACCOUNT_PREFIX = 'account-';
export const refOf = (event: RecordedEvent): EventRef => ({ id: event.id, position: event.position, streamId: event.streamId, type: event.type });
const isLegEvent = (event: RecordedEvent): event is RecordedEvent<AccountEvent['type'], TransferLeg> =>
  event.streamId.startsWith(ACCOUNT_PREFIX) && (event.type === 'AccountDebited' || event.type === 'AccountCredited');

export class Reconciliation {
  private readonly tallies = new Map<string, Tally>();
  private readonly pending = new Map<string, PendingTransfer>();
  private readonly unbalanced: UnbalancedTransfer[] = [];
  private readonly unsafe: UnsafeNumber[] = [];
  private readonly awaiting = new Map<string, MissingTransfer>();
  /** The latest transfer ids seen, for transfers posted just before the event that plans them (a ring over a set). */
  private readonly recent = new Set<string>();
  private readonly recentRing: Array<string | undefined>;
  private recentNext = 0;
  /** Captured payments and refunds of the period, by provider|kind|paymentId. */
  private readonly facts = new Map<string, Array<{ fact: MoneyFact; ref: EventRef }>>();
  private readonly daily = new Map<string, DailyTotal>();
  private factCount = 0;
  private balanced = 0;
  checkedEvents = 0;
  lastPosition = 0;

  constructor(
    readonly range: ReportRange,
    private readonly check: PaymentCheck = noPaymentCheck,
    /** How many recent transfer ids to remember (see `feed`). */
    private readonly recentWindow = RECENT_TRANSFERS_WINDOW,
  ) {
    this.recentRing = new Array<string | undefined>(Math.max(0, recentWindow));
  }

  /** Feeds one event; events must come in global order. */
  feed(event: RecordedEvent): void {
    this.checkedEvents++;
    this.lastPosition = event.position;
    if (isLegEvent(event)) {
      this.leg(event);
      return;
    }
    const required = this.check.requiredTransfers(event);
    if (required.length > 0) {
      const at = typeof (event.data as { at?: unknown })?.at === 'string' ? (event.data as { at: string }).at : event.recordedAt;
      // Transfers normally follow the event that plans them (a reactor posts them). A few are posted by the
      // request just before the event (the wallet debit, the coins hold): those are among the recent ids.
      if (inRange(this.range, at)) for (const transferId of required) if (!this.recent.has(transferId)) this.awaiting.set(transferId, { transferId, cause: refOf(event), at });
    }
    const fact = this.check.moneyFact(event);
    if (fact && inRange(this.range, fact.at)) this.addFact(fact, refOf(event));
  }

  private tally(accountId: string): Tally {
    let tally = this.tallies.get(accountId);
    if (!tally) {
      tally = { state: { ...accountDecider.initialState(), posted: FORGETFUL }, ledgerSum: 0n, ledgerCurrency: null };
      this.tallies.set(accountId, tally);
    }
    return tally;
  }

  private leg(event: RecordedEvent<AccountEvent['type'], TransferLeg>): void {
    const streamAccount = event.streamId.slice(ACCOUNT_PREFIX.length);
    const tally = this.tally(streamAccount);
    // The balance as the account itself reports it: the same evolve its command handler folds.
    tally.state = accountDecider.evolve(tally.state, { type: event.type, data: event.data } as AccountEvent);
    const data = event.data;
    if (!Number.isSafeInteger(data.amount)) this.unsafe.push({ what: 'amount', account: streamAccount, value: String(data.amount), transferId: data.transferId, events: [refOf(event)] });
    this.awaiting.delete(data.transferId);
    this.remember(data.transferId);
    let entry = this.pending.get(data.transferId);
    if (!entry) {
      entry = { debits: [], credits: [] };
      this.pending.set(data.transferId, entry);
    }
    (event.type === 'AccountDebited' ? entry.debits : entry.credits).push({ data, streamAccount, ref: refOf(event) });
    if (entry.debits.length > 0 && entry.credits.length > 0) {
      this.pending.delete(data.transferId);
      this.settleTransfer(data.transferId, entry);
    }
  }

  private remember(transferId: string): void {
    if (this.recentWindow <= 0 || this.recent.has(transferId)) return;
    const oldest = this.recentRing[this.recentNext];
    if (oldest !== undefined) this.recent.delete(oldest);
    this.recentRing[this.recentNext] = transferId;
    this.recentNext = (this.recentNext + 1) % this.recentWindow;
    this.recent.add(transferId);
  }

  /** Both sides are present: post the transfer to the re-derived ledger, or list why it does not balance. */
  private settleTransfer(transferId: string, entry: PendingTransfer): void {
    const problem = this.problemOf(entry);
    if (problem) {
      this.unbalanced.push(this.describe(transferId, entry, problem.reason, problem.detail));
      return;
    }
    const debit = entry.debits[0]!.data;
    const credit = entry.credits[0]!.data;
    const from = this.tally(debit.accountId);
    const to = this.tally(credit.accountId);
    from.ledgerSum -= exact(debit.amount);
    from.ledgerCurrency ??= debit.currency;
    to.ledgerSum += exact(credit.amount);
    to.ledgerCurrency ??= credit.currency;
    this.balanced++;
  }

  private problemOf(entry: PendingTransfer): { reason: UnbalancedReason; detail: string } | null {
    if (entry.debits.length !== 1 || entry.credits.length !== 1) {
      return { reason: 'duplicate_leg', detail: `${entry.debits.length} debit and ${entry.credits.length} credit legs` };
    }
    const debit = entry.debits[0]!;
    const credit = entry.credits[0]!;
    for (const leg of [debit, credit]) {
      if (leg.data.accountId !== leg.streamAccount) return { reason: 'wrong_stream', detail: `a leg for ${leg.data.accountId} is on ${leg.ref.streamId}` };
    }
    if (debit.data.currency !== credit.data.currency) return { reason: 'currency_mismatch', detail: `debit in ${debit.data.currency}, credit in ${credit.data.currency}` };
    if (debit.data.amount !== credit.data.amount) return { reason: 'amount_mismatch', detail: `debit of ${debit.data.amount}, credit of ${credit.data.amount}` };
    if (debit.data.counterpartyId !== credit.data.accountId || credit.data.counterpartyId !== debit.data.accountId || debit.data.accountId === credit.data.accountId) {
      return { reason: 'accounts_mismatch', detail: `debit ${debit.data.accountId}→${debit.data.counterpartyId}, credit ${credit.data.counterpartyId}→${credit.data.accountId}` };
    }
    return null;
  }

  private describe(transferId: string, entry: PendingTransfer, reason: UnbalancedReason, detail: string): UnbalancedTransfer {
    const first = (entry.debits[0] ?? entry.credits[0])!.data;
    const debit = entry.debits[0]?.data;
    const credit = entry.credits[0]?.data;
    return {
      transferId,
      reason,
      detail,
      from: debit?.accountId ?? credit?.counterpartyId ?? null,
      to: credit?.accountId ?? debit?.counterpartyId ?? null,
      amount: { amount: first.amount, currency: first.currency },
      cause: first.cause ?? null,
      at: first.at ?? null,
      events: [...entry.debits, ...entry.credits].map((leg) => leg.ref).sort((a, b) => a.position - b.position),
    };
  }

  private addFact(fact: MoneyFact, ref: EventRef): void {
    this.addDaily(fact);
    if (!fact.settles) return;
    const key = `${fact.provider}|${fact.kind}|${fact.paymentId}`;
    const list = this.facts.get(key);
    if (list) list.push({ fact, ref });
    else this.facts.set(key, [{ fact, ref }]);
    this.factCount++;
  }

  private addDaily(fact: MoneyFact): void {
    const day = utcDay(fact.at);
    const dailyKey = `${day}|${fact.amount.currency}`;
    let total = this.daily.get(dailyKey);
    if (!total) {
      total = { day, currency: fact.amount.currency, captured: 0, refunded: 0, fees: 0, captures: 0, refunds: 0 };
      this.daily.set(dailyKey, total);
    }
    if (fact.kind === 'capture') {
      total.captured += fact.amount.amount;
      total.captures++;
    } else {
      total.refunded += fact.amount.amount;
      total.refunds++;
    }
    total.fees += fact.fee.amount;
  }

  /**
   * Closes the report. `settlement` holds the lines of every configured provider for the days of the
   * period (lines dated outside the period are ignored); `providers` names the providers whose files were read.
   */
  finish(settlement: { providers: string[]; lines: Array<SettlementLine & { provider: string }>; days?: number }, headPosition = this.lastPosition): ReconciliationReport {
    const unbalancedTransfers = [...this.unbalanced];
    for (const [transferId, entry] of this.pending) {
      const reason: UnbalancedReason = entry.debits.length > 1 || entry.credits.length > 1 ? 'duplicate_leg' : entry.credits.length === 0 ? 'missing_credit_leg' : 'missing_debit_leg';
      const detail =
        reason === 'missing_credit_leg' ? 'debited, never credited' : reason === 'missing_debit_leg' ? 'credited, never debited' : `${entry.debits.length} debit and ${entry.credits.length} credit legs`;
      unbalancedTransfers.push(this.describe(transferId, entry, reason, detail));
    }
    unbalancedTransfers.sort((a, b) => a.events[0]!.position - b.events[0]!.position);

    const accounts: AccountLine[] = [];
    const totals = new Map<string, bigint>();
    const unsafeNumbers = [...this.unsafe];
    for (const [account, tally] of [...this.tallies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const policy = accountPolicy(account);
      const currency = tally.state.currency ?? tally.ledgerCurrency ?? policy?.currency ?? 'CNY';
      const balance = tally.state.balance;
      if (!Number.isSafeInteger(balance)) unsafeNumbers.push({ what: 'balance', account, value: String(balance), transferId: null, events: [] });
      // What the account reports against its exact ledger sum: a double that lost units shows as a diff.
      const diff = exact(balance) - tally.ledgerSum;
      accounts.push({
        account,
        kind: policy?.kind ?? null,
        balance: { amount: balance, currency },
        ledgerSum: { amount: toNumber(tally.ledgerSum), currency },
        diff: { amount: toNumber(diff), currency },
        entries: tally.state.entries,
      });
      totals.set(currency, (totals.get(currency) ?? 0n) + exact(balance));
    }

    const missingTransfers = [...this.awaiting.values()].sort((a, b) => a.cause.position - b.cause.position);
    const providerMismatches = matchSettlement(this.facts, settlement.lines, settlement.providers, this.range);
    const totalList = [...totals].map(([currency, sum]) => ({ currency, sum: toNumber(sum) })).sort((a, b) => (a.currency < b.currency ? -1 : 1));
    const ok =
      unsafeNumbers.length === 0 &&
      unbalancedTransfers.length === 0 &&
      missingTransfers.length === 0 &&
      providerMismatches.length === 0 &&
      accounts.every((line) => line.diff.amount === 0) &&
      totalList.every((total) => total.sum === 0);
    return {
      ok,
      from: this.range.from.toISOString(),
      to: this.range.toExclusive.toISOString(),
      checkedEvents: this.checkedEvents,
      headPosition,
      accounts,
      totals: totalList,
      transfers: this.balanced,
      unbalancedTransfers,
      missingTransfers,
      providerMismatches,
      unsafeNumbers,
      settlement: { providers: [...settlement.providers].sort(), days: settlement.days ?? daysOf(this.range).length, lines: settlement.lines.length, facts: this.factCount },
      daily: [...this.daily.values()].sort((a, b) => (a.day === b.day ? (a.currency < b.currency ? -1 : 1) : a.day < b.day ? -1 : 1)),
    };
  }
}

const sameMoney = (a: Money, b: Money) => a.amount === b.amount && a.currency === b.currency;

/**
 * Matches the captured payments and refunds of the period with the providers' settlement lines, by
 * provider, kind and payment id (then provider reference, then amount, for several refunds of one payment).
 * Anything left on either side, or matched with another amount or fee, is a mismatch.
 */
export function matchSettlement(
  facts: Map<string, Array<{ fact: MoneyFact; ref: EventRef }>>,
  allLines: Array<SettlementLine & { provider: string }>,
  providers: string[],
  range: ReportRange,
): ProviderMismatch[] {
  const lines = new Map<string, Array<SettlementLine & { provider: string }>>();
  for (const line of allLines) {
    if (!inRange(range, line.at)) continue;
    const key = `${line.provider}|${line.kind}|${line.paymentId}`;
    const list = lines.get(key);
    if (list) list.push(line);
    else lines.set(key, [line]);
  }
  const known = new Set(providers);
  const mismatches: ProviderMismatch[] = [];
  const ledgerSide = (fact: MoneyFact) => ({ amount: fact.amount, fee: fact.fee, at: fact.at });
  const settlementSide = (line: SettlementLine) => ({ amount: line.amount, fee: line.fee, providerRef: line.providerRef, at: line.at });

  for (const [key, entries] of facts) {
    const settled = lines.get(key) ?? [];
    lines.delete(key);
    const remaining = [...entries];
    const unmatchedLines: typeof settled = [];
    // Pass 1: provider reference; pass 2: same amount and fee; what is left pairs up as a wrong amount or fee.
    for (const line of settled) {
      const index = remaining.findIndex((entry) => entry.fact.providerRef !== undefined && entry.fact.providerRef === line.providerRef);
      if (index >= 0) {
        const [entry] = remaining.splice(index, 1);
        compare(entry!, line);
      } else unmatchedLines.push(line);
    }
    const leftover: typeof settled = [];
    for (const line of unmatchedLines) {
      const index = remaining.findIndex((entry) => sameMoney(entry.fact.amount, line.amount) && sameMoney(entry.fact.fee, line.fee));
      if (index >= 0) remaining.splice(index, 1);
      else leftover.push(line);
    }
    for (const line of leftover) {
      const entry = remaining.shift();
      if (entry) compare(entry, line);
      else mismatches.push(mismatch(line.provider, line.kind, line.paymentId, 'missing_in_ledger', null, settlementSide(line), [], line.at));
    }
    for (const { fact, ref } of remaining) {
      mismatches.push(mismatch(fact.provider, fact.kind, fact.paymentId, known.has(fact.provider) ? 'missing_in_settlement' : 'no_settlement_source', ledgerSide(fact), null, [ref], fact.at));
    }
  }
  for (const settled of lines.values()) {
    for (const line of settled) mismatches.push(mismatch(line.provider, line.kind, line.paymentId, 'missing_in_ledger', null, settlementSide(line), [], line.at));
  }
  return mismatches.sort((a, b) => (a.day === b.day ? (a.paymentId < b.paymentId ? -1 : a.paymentId > b.paymentId ? 1 : 0) : a.day < b.day ? -1 : 1));

  function compare({ fact, ref }: { fact: MoneyFact; ref: EventRef }, line: SettlementLine & { provider: string }): void {
    if (!sameMoney(fact.amount, line.amount)) mismatches.push(mismatch(fact.provider, fact.kind, fact.paymentId, 'amount_mismatch', ledgerSide(fact), settlementSide(line), [ref], fact.at));
    else if (!sameMoney(fact.fee, line.fee)) mismatches.push(mismatch(fact.provider, fact.kind, fact.paymentId, 'fee_mismatch', ledgerSide(fact), settlementSide(line), [ref], fact.at));
  }

  function mismatch(
    provider: string,
    kind: 'capture' | 'refund',
    paymentId: string,
    reason: MismatchReason,
    ledger: ProviderMismatch['ledger'],
    settlement: ProviderMismatch['settlement'],
    events: EventRef[],
    at: string,
  ): ProviderMismatch {
    return { provider, day: utcDay(at), kind, paymentId, reason, ledger, settlement, events };
  }
}

export interface ReconcileOptions {
  range: ReportRange;
  check?: PaymentCheck;
  sources?: SettlementSource[];
  /** Events per readAll page. */
  pageSize?: number;
  /** Called after each page with the position reached and the head being read to. */
  onProgress?: (position: number, head: number, checkedEvents: number) => void;
}


/** The streaming driver: every event up to today's head, page by page, then the settlement of each day of the period. */
export async function reconcile(deps: { store: EventStore }, options: ReconcileOptions): Promise<ReconciliationReport> {
  const reconciliation = new Reconciliation(options.range, options.check);
  const head = await deps.store.headPosition();
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  let after = 0;
  while (after < head) {
    const page = await deps.store.readAll({ after, maxCount: pageSize });
    if (page.length === 0) break;
    for (const event of page) {
      if (event.position > head) break;
      reconciliation.feed(event);
    }
    after = page[page.length - 1]!.position;
    options.onProgress?.(Math.min(after, head), head, reconciliation.checkedEvents);
    // Let the server answer other requests between pages.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const sources = options.sources ?? [];
  const days = daysOf(options.range);
  const lines: Array<SettlementLine & { provider: string }> = [];
  for (const source of sources) {
    for (const day of days) for (const line of await source.settlement(day)) lines.push({ ...line, provider: source.provider });
  }
  return reconciliation.finish({ providers: sources.map((source) => source.provider), lines, days: days.length }, head);
}
