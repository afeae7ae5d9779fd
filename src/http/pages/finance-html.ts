import type { AccountLine, DailyTotal, ReconciliationReport } from '../../queries/finance/reconciliation.js';
import { daysOf, type ReportRange } from '../../queries/finance/range.js';

/**
 * The finance report as HTML, rendered on the server: tables and inline SVG charts, no script. The console's
 * finance page (/admin/finance, src/http/console/pages/finance.tsx) embeds it; its styles are in console.css.
 */

export const esc = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** Minor units as a decimal string (2 places; coins are whole). */
export function formatAmount(amount: number, currency: string): string {
  if (currency === 'COIN') return `${amount.toLocaleString('en-US')} coins`;
  const sign = amount < 0 ? '−' : '';
  const abs = Math.abs(amount);
  const units = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}${units}.${String(abs % 100).padStart(2, '0')} ${currency}`;
}

const dayInput = (instant: Date) => instant.toISOString().slice(0, 10);

/** Grouped bars per day: captured, refunded and fees of one currency. Every day of the period has its three bars. */
export function dailyChart(range: ReportRange, daily: DailyTotal[], currency: string): string {
  const days = daysOf(range);
  const byDay = new Map(daily.filter((d) => d.currency === currency).map((d) => [d.day, d]));
  const series = [
    ['captured', 'Captured'],
    ['refunded', 'Refunded'],
    ['fees', 'Fees'],
  ] as const;
  const max = Math.max(1, ...days.flatMap((day) => series.map(([key]) => byDay.get(day)?.[key] ?? 0)));
  const width = 900;
  const height = 220;
  const left = 70;
  const bottom = 24;
  const plotHeight = height - bottom - 10;
  const slot = (width - left - 10) / days.length;
  const barWidth = Math.max(1, (slot * 0.8) / series.length);
  const bars: string[] = [];
  const labels: string[] = [];
  const labelEvery = Math.ceil(days.length / 12);
  days.forEach((day, i) => {
    const totals = byDay.get(day);
    series.forEach(([key, label], s) => {
      const value = totals?.[key] ?? 0;
      const h = (value / max) * plotHeight;
      const x = left + i * slot + slot * 0.1 + s * barWidth;
      bars.push(
        `<rect class="bar c-${key}" data-series="${key}" data-day="${day}" data-value="${value}" x="${x.toFixed(1)}" y="${(10 + plotHeight - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(`${day} ${label}: ${formatAmount(value, currency)}`)}</title></rect>`,
      );
    });
    if (i % labelEvery === 0) labels.push(`<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle">${day.slice(5)}</text>`);
  });
  const axis = `<line x1="${left}" y1="${10 + plotHeight}" x2="${width - 10}" y2="${10 + plotHeight}" stroke="#999"/>
<text x="${left - 6}" y="14" text-anchor="end">${esc(formatAmount(max, currency))}</text><text x="${left - 6}" y="${10 + plotHeight}" text-anchor="end">0</text>`;
  const legend = series.map(([key, label]) => `<span><svg width="10" height="10" class="swatch"><rect class="c-${key}" width="10" height="10"/></svg>${label}</span>`).join('');
  return `<figure data-chart="daily" data-currency="${esc(currency)}"><div class="legend">${legend}</div>
<svg class="chart chart-daily" role="img" aria-label="Daily captured, refunded and fees in ${esc(currency)}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${axis}${bars.join('')}${labels.join('')}</svg></figure>`;
}

/** Horizontal bars of the largest balances (by magnitude), positive to the right of zero, negative to the left. */
export function balancesChart(accounts: AccountLine[], limit = 15): string {
  const top = [...accounts].sort((a, b) => Math.abs(b.balance.amount) - Math.abs(a.balance.amount) || (a.account < b.account ? -1 : 1)).slice(0, limit);
  if (top.length === 0) return '<p class="muted">No ledger account yet.</p>';
  const max = Math.max(1, ...top.map((a) => Math.abs(a.balance.amount)));
  const width = 900;
  const rowHeight = 20;
  const labelWidth = 260;
  const half = (width - labelWidth - 20) / 2;
  const zero = labelWidth + half;
  const rows = top.map((line, i) => {
    const w = (Math.abs(line.balance.amount) / max) * half;
    const x = line.balance.amount >= 0 ? zero : zero - w;
    const y = i * rowHeight + 4;
    return `<text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end">${esc(line.account)}</text><rect class="bar bar-balance ${line.balance.amount >= 0 ? 'c-pos' : 'c-neg'}" data-account="${esc(line.account)}" data-value="${line.balance.amount}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowHeight - 6}"><title>${esc(`${line.account}: ${formatAmount(line.balance.amount, line.balance.currency)}`)}</title></rect>`;
  });
  const height = top.length * rowHeight + 8;
  return `<svg class="chart chart-balances" role="img" aria-label="Largest balances" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet"><line x1="${zero}" y1="0" x2="${zero}" y2="${height}" stroke="#999"/>${rows.join('')}</svg>`;
}

const money = (m: { amount: number; currency: string } | null | undefined) => (m ? esc(formatAmount(m.amount, m.currency)) : '—');
const refs = (events: Array<{ position: number; streamId: string; type: string; id: string }>) =>
  events.map((e) => `<code title="event ${esc(e.id)}">#${e.position} ${esc(e.type)} on ${esc(e.streamId)}</code>`).join('<br>') || '—';

export const ACCOUNT_ROWS = 200;

/** The report's sections (banner, period form, charts, tables), as the console's finance page embeds them. */
export function reportBody(report: ReconciliationReport, range: ReportRange): string {
  const discrepancies =
    report.unbalancedTransfers.length + report.missingTransfers.length + report.providerMismatches.length + report.accounts.filter((a) => a.diff.amount !== 0).length + report.totals.filter((t) => t.sum !== 0).length;
  const banner = report.ok
    ? `<div class="banner ok" role="status" data-ok="true">OK — the books balance: ${report.checkedEvents.toLocaleString('en-US')} events checked, no discrepancy.</div>`
    : `<div class="banner bad" role="alert" data-ok="false">NOT OK — ${discrepancies} discrepanc${discrepancies === 1 ? 'y' : 'ies'} found (${report.checkedEvents.toLocaleString('en-US')} events checked). See below.</div>`;

  const toDay = new Date(range.toExclusive.getTime() - 1);
  const form = `<section><form class="range" method="get" action="/admin/finance">
<label>From <input type="date" name="from" value="${dayInput(range.from)}" required></label>
<label>To <input type="date" name="to" value="${dayInput(toDay)}" required></label>
<button type="submit">Reconcile</button>
<span class="muted">UTC days, both included, at most 366. JSON: <a href="/api/v1/admin/finance/reconciliation?from=${dayInput(range.from)}&amp;to=${dayInput(toDay)}">/api/v1/admin/finance/reconciliation</a></span>
</form></section>`;

  const currencies = [...new Set(report.daily.map((d) => d.currency))].sort();
  const sums = (currency: string) =>
    report.daily.filter((d) => d.currency === currency).reduce((acc, d) => ({ captured: acc.captured + d.captured, refunded: acc.refunded + d.refunded, fees: acc.fees + d.fees, captures: acc.captures + d.captures, refunds: acc.refunds + d.refunds }), { captured: 0, refunded: 0, fees: 0, captures: 0, refunds: 0 });
  const chartCurrencies = currencies.length > 0 ? currencies : ['CNY'];
  const kpis = chartCurrencies
    .map((currency) => {
      const s = sums(currency);
      return `<div class="kpis" data-currency="${esc(currency)}"><div class="kpi">Captured<b data-kpi="captured">${esc(formatAmount(s.captured, currency))}</b><span class="muted">${s.captures} payment${s.captures === 1 ? "" : "s"}</span></div><div class="kpi">Refunded<b data-kpi="refunded">${esc(formatAmount(s.refunded, currency))}</b><span class="muted">${s.refunds} refund${s.refunds === 1 ? "" : "s"}</span></div><div class="kpi">Provider fees<b data-kpi="fees">${esc(formatAmount(s.fees, currency))}</b></div><div class="kpi">Net<b data-kpi="net">${esc(formatAmount(s.captured - s.refunded - s.fees, currency))}</b></div></div>`;
    })
    .join('');
  const activity = `<section><h2>Payments in the period</h2>${kpis}${chartCurrencies.map((c) => dailyChart(range, report.daily, c)).join('')}</section>`;

  const totals = `<section><h2>Totals per currency</h2><p class="muted">Every transfer debits one account and credits another, so each currency sums to zero.</p>
<table id="totals"><thead><tr><th>Currency</th><th class="num">Sum of balances</th><th>Check</th></tr></thead><tbody>${
    report.totals.map((t) => `<tr class="${t.sum === 0 ? '' : 'bad'}"><td>${esc(t.currency)}</td><td class="num">${esc(formatAmount(t.sum, t.currency))}</td><td>${t.sum === 0 ? '✔ zero' : '✘ not zero'}</td></tr>`).join('') ||
    '<tr><td colspan="3" class="muted">no account yet</td></tr>'
  }</tbody></table>
<p class="muted">${report.transfers.toLocaleString('en-US')} balanced transfers, ${report.accounts.length.toLocaleString('en-US')} accounts, events up to position ${report.headPosition}.</p></section>`;

  const ordered = [...report.accounts].sort((a, b) => Number(b.diff.amount !== 0) - Number(a.diff.amount !== 0) || Math.abs(b.balance.amount) - Math.abs(a.balance.amount) || (a.account < b.account ? -1 : 1));
  const shown = ordered.slice(0, Math.max(ACCOUNT_ROWS, ordered.filter((a) => a.diff.amount !== 0).length));
  const accountRows = shown
    .map(
      (a) =>
        `<tr class="${a.diff.amount === 0 ? '' : 'bad'}" data-account="${esc(a.account)}"><td>${esc(a.account)}</td><td>${esc(a.kind ?? '?')}</td><td class="num">${money(a.balance)}</td><td class="num">${money(a.ledgerSum)}</td><td class="num">${money(a.diff)}</td><td class="num">${a.entries}</td></tr>`,
    )
    .join('');
  const accounts = `<section><h2>Balances</h2>${balancesChart(report.accounts)}
<table id="accounts"><thead><tr><th>Account</th><th>Kind</th><th class="num">Balance</th><th class="num">Ledger sum</th><th class="num">Diff</th><th class="num">Entries</th></tr></thead><tbody>${accountRows || '<tr><td colspan="6" class="muted">no account yet</td></tr>'}</tbody></table>
${ordered.length > shown.length ? `<p class="muted">${ordered.length - shown.length} more accounts with no discrepancy: <a href="/api/v1/admin/finance/accounts">/api/v1/admin/finance/accounts</a>.</p>` : ''}</section>`;

  const unbalanced = `<section><h2>Unbalanced transfers (${report.unbalancedTransfers.length})</h2><table id="unbalanced"><thead><tr><th>Transfer</th><th>Problem</th><th>From → to</th><th class="num">Amount</th><th>Cause</th><th>Events</th></tr></thead><tbody>${
    report.unbalancedTransfers
      .map(
        (t) =>
          `<tr class="bad discrepancy" data-transfer="${esc(t.transferId)}"><td><code>${esc(t.transferId)}</code></td><td>${esc(t.reason.replace(/_/g, ' '))}<br><span class="muted">${esc(t.detail)}</span></td><td>${esc(t.from ?? '?')} → ${esc(t.to ?? '?')}</td><td class="num">${money(t.amount)}</td><td>${t.cause ? `${esc(t.cause.type)} <code>${esc(t.cause.id)}</code>` : '—'}</td><td>${refs(t.events)}</td></tr>`,
      )
      .join('') || '<tr><td colspan="6" class="muted">none: every transfer has its debit and its credit</td></tr>'
  }</tbody></table></section>`;

  const missing = `<section><h2>Missing transfers (${report.missingTransfers.length})</h2><table id="missing"><thead><tr><th>Transfer</th><th>Required by</th><th>At</th></tr></thead><tbody>${
    report.missingTransfers.map((m) => `<tr class="bad discrepancy" data-transfer="${esc(m.transferId)}"><td><code>${esc(m.transferId)}</code></td><td>${refs([m.cause])}</td><td>${esc(m.at)}</td></tr>`).join('') ||
    '<tr><td colspan="3" class="muted">none: every payment event of the period has its transfers</td></tr>'
  }</tbody></table></section>`;

  const providers = report.settlement.providers.length > 0 ? report.settlement.providers.map(esc).join(', ') : 'none configured';
  const mismatches = `<section><h2>Provider settlement (${report.providerMismatches.length} mismatches)</h2><p class="muted">Providers: ${providers}; ${report.settlement.days} days, ${report.settlement.lines} settlement lines, ${report.settlement.facts} captures and refunds in the ledger.</p>
<table id="mismatches"><thead><tr><th>Day</th><th>Provider</th><th>Payment</th><th>Kind</th><th>Problem</th><th class="num">Ledger amount / fee</th><th class="num">Settled amount / fee</th><th>Events</th></tr></thead><tbody>${
    report.providerMismatches
      .map(
        (m) =>
          `<tr class="bad discrepancy" data-payment="${esc(m.paymentId)}"><td>${esc(m.day)}</td><td>${esc(m.provider)}</td><td><code>${esc(m.paymentId)}</code></td><td>${esc(m.kind)}</td><td>${esc(m.reason.replace(/_/g, ' '))}</td><td class="num">${m.ledger ? `${money(m.ledger.amount)}<br>${money(m.ledger.fee)}` : '—'}</td><td class="num">${m.settlement ? `${money(m.settlement.amount)}<br>${money(m.settlement.fee)}` : '—'}</td><td>${refs(m.events)}</td></tr>`,
      )
      .join('') || '<tr><td colspan="8" class="muted">none: the settlement matches the captured payments and refunds</td></tr>'
  }</tbody></table></section>`;

  return `${banner}${form}${activity}${totals}${unbalanced}${missing}${mismatches}${accounts}`;
}
