import cliProgress from 'cli-progress';
import type { Deps } from '../../deps.js';
import { ValidationError } from '../../kernel/errors.js';
import { financeReport } from './report.js';
import { parseRange } from './range.js';
import type { AccountLine, ReconciliationReport } from './reconciliation.js';

/** `bazaar reconcile`: runs the report with a progress bar (stderr), prints it, answers the exit code (0 ok, 1 discrepancies, 2 bad input). */
export async function runReconcileCommand(
  deps: Deps,
  options: { from?: string; to?: string; all?: boolean; json?: boolean; progress?: boolean },
  out: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  let range;
  try {
    range = parseRange({ from: options.from, to: options.to }, deps.clock.now());
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    console.error([error.message, ...error.errors.map((e) => `  --${e.path}: ${e.message}`)].join('\n'));
    return 2;
  }
  const bar = options.progress === false ? null : new cliProgress.SingleBar({ format: 'reading events [{bar}] {percentage}% | {value}/{total} positions | {events} events | {eta_formatted} left', stream: process.stderr, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
  let started = false;
  const report = await financeReport(deps, range, {
    onProgress: (position, head, checkedEvents) => {
      if (!bar) return;
      if (!started) {
        bar.start(head, 0, { events: 0 });
        started = true;
      }
      bar.update(position, { events: checkedEvents });
    },
  });
  if (started) bar?.stop();
  if (options.json) out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report, { all: options.all ?? false })) out(line);
  return report.ok ? 0 : 1;
}

const amount = (value: number, currency: string) => (currency === 'COIN' ? `${value} COIN` : `${value < 0 ? '-' : ''}${Math.floor(Math.abs(value) / 100)}.${String(Math.abs(value) % 100).padStart(2, '0')} ${currency}`);

function table(headers: string[], rows: string[][], right: number[] = []): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const cell = (value: string, i: number) => (right.includes(i) ? value.padStart(widths[i]!) : value.padEnd(widths[i]!));
  return [headers.map(cell).join('  '), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((row) => row.map(cell).join('  '))];
}

/** The report as readable text: summary, totals, accounts (those with a diff, or all), then every discrepancy. */
export function formatReport(report: ReconciliationReport, options: { all: boolean }): string[] {
  const lines: string[] = [];
  const diffs = report.accounts.filter((a) => a.diff.amount !== 0);
  lines.push(`Reconciliation ${report.from} .. ${report.to} (end exclusive)`);
  lines.push(`${report.checkedEvents} events read (up to position ${report.headPosition}), ${report.transfers} balanced transfers, ${report.accounts.length} accounts`);
  lines.push('');
  lines.push(...table(['currency', 'sum of balances', 'check'], report.totals.map((t) => [t.currency, amount(t.sum, t.currency), t.sum === 0 ? 'ok' : 'NOT ZERO']), [1]));
  lines.push('');
  const shown: AccountLine[] = options.all ? report.accounts : diffs;
  if (shown.length > 0) {
    lines.push(options.all ? 'Accounts:' : 'Accounts whose balance differs from their ledger sum:');
    lines.push(...table(['account', 'kind', 'balance', 'ledger sum', 'diff'], shown.map((a) => [a.account, a.kind ?? '?', amount(a.balance.amount, a.balance.currency), amount(a.ledgerSum.amount, a.ledgerSum.currency), amount(a.diff.amount, a.diff.currency)]), [2, 3, 4]));
    lines.push('');
  }
  if (report.unbalancedTransfers.length > 0) {
    lines.push(`Unbalanced transfers (${report.unbalancedTransfers.length}):`);
    lines.push(
      ...table(
        ['transfer', 'problem', 'from -> to', 'amount', 'cause', 'events'],
        report.unbalancedTransfers.map((t) => [t.transferId, t.reason, `${t.from ?? '?'} -> ${t.to ?? '?'}`, t.amount ? amount(t.amount.amount, t.amount.currency) : '-', t.cause ? `${t.cause.type} ${t.cause.id}` : '-', t.events.map((e) => `#${e.position}`).join(' ')]),
        [3],
      ),
    );
    lines.push('');
  }
  if (report.missingTransfers.length > 0) {
    lines.push(`Missing transfers (${report.missingTransfers.length}):`);
    lines.push(...table(['transfer', 'required by', 'at'], report.missingTransfers.map((m) => [m.transferId, `#${m.cause.position} ${m.cause.type} on ${m.cause.streamId}`, m.at])));
    lines.push('');
  }
  if (report.providerMismatches.length > 0) {
    lines.push(`Provider settlement mismatches (${report.providerMismatches.length}):`);
    lines.push(
      ...table(
        ['day', 'provider', 'payment', 'kind', 'problem', 'ledger', 'settlement', 'events'],
        report.providerMismatches.map((m) => [
          m.day,
          m.provider,
          m.paymentId,
          m.kind,
          m.reason,
          m.ledger ? `${amount(m.ledger.amount.amount, m.ledger.amount.currency)} fee ${amount(m.ledger.fee.amount, m.ledger.fee.currency)}` : '-',
          m.settlement ? `${amount(m.settlement.amount.amount, m.settlement.amount.currency)} fee ${amount(m.settlement.fee.amount, m.settlement.fee.currency)}` : '-',
          m.events.map((e) => `#${e.position}`).join(' ') || '-',
        ]),
      ),
    );
    lines.push('');
  }
  if (report.unsafeNumbers.length > 0) {
    lines.push(`Numbers that are not safe integers (${report.unsafeNumbers.length}):`);
    lines.push(...table(['what', 'account', 'value', 'transfer', 'events'], report.unsafeNumbers.map((u) => [u.what, u.account, u.value, u.transferId ?? '-', u.events.map((e) => `#${e.position}`).join(' ') || '-'])));
    lines.push('');
  }
  const captured = report.daily.reduce((sum, d) => sum + d.captures, 0);
  lines.push(`Settlement: providers ${report.settlement.providers.join(', ') || 'none'}; ${report.settlement.days} days, ${report.settlement.lines} lines; ${captured} captures in the period`);
  const count = report.unsafeNumbers.length + report.unbalancedTransfers.length + report.missingTransfers.length + report.providerMismatches.length + diffs.length + report.totals.filter((t) => t.sum !== 0).length;
  lines.push(report.ok ? 'OK: the books balance.' : `NOT OK: ${count} discrepancies.`);
  return lines;
}
