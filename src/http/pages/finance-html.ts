import type { AccountLine, DailyTotal, ReconciliationReport } from '../../queries/finance/reconciliation.js';
import { daysOf, type ReportRange } from '../../queries/finance/range.js';
import type { MessageKey, Translate } from '../console/i18n.js';

/**
 * The finance report as HTML, rendered on the server: tables and inline SVG charts, no script. The console's
 * finance page (/admin/finance, src/http/console/pages/finance.tsx) embeds it; its styles are in console.css.
 * Every word people read comes from the console's messages (`finance.*` in src/http/console/i18n.ts), in the
 * page's language; ids, data-* attributes, account ids, event types and amounts are the same in both.
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

/** `one` for a count of 1, `other` otherwise (Chinese has the same text in both). */
const plural = (t: Translate, count: number, one: MessageKey, other: MessageKey, values: Record<string, string | number> = {}) => t(count === 1 ? one : other, { count, ...values });

/** Grouped bars per day: captured, refunded and fees of one currency. Every day of the period has its three bars. */
export function dailyChart(range: ReportRange, daily: DailyTotal[], currency: string, t: Translate): string {
  const days = daysOf(range);
  const byDay = new Map(daily.filter((d) => d.currency === currency).map((d) => [d.day, d]));
  const series = [
    ['captured', t('finance.captured')],
    ['refunded', t('finance.refunded')],
    ['fees', t('finance.fees')],
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
        `<rect class="bar c-${key}" data-series="${key}" data-day="${day}" data-value="${value}" x="${x.toFixed(1)}" y="${(10 + plotHeight - h).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(t('finance.barTitle', { day, series: label, amount: formatAmount(value, currency) }))}</title></rect>`,
      );
    });
    if (i % labelEvery === 0) labels.push(`<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle">${day.slice(5)}</text>`);
  });
  const axis = `<line x1="${left}" y1="${10 + plotHeight}" x2="${width - 10}" y2="${10 + plotHeight}" stroke="#999"/>
<text x="${left - 6}" y="14" text-anchor="end">${esc(formatAmount(max, currency))}</text><text x="${left - 6}" y="${10 + plotHeight}" text-anchor="end">0</text>`;
  const legend = series.map(([key, label]) => `<span><svg width="10" height="10" class="swatch"><rect class="c-${key}" width="10" height="10"/></svg>${esc(label)}</span>`).join('');
  return `<figure data-chart="daily" data-currency="${esc(currency)}"><div class="legend">${legend}</div>
<svg class="chart chart-daily" role="img" aria-label="${esc(t('finance.dailyChart', { currency }))}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet">${axis}${bars.join('')}${labels.join('')}</svg></figure>`;
}

/** Horizontal bars of the largest balances (by magnitude), positive to the right of zero, negative to the left. */
export function balancesChart(accounts: AccountLine[], t: Translate, limit = 15): string {
  const top = [...accounts].sort((a, b) => Math.abs(b.balance.amount) - Math.abs(a.balance.amount) || (a.account < b.account ? -1 : 1)).slice(0, limit);
  if (top.length === 0) return `<p class="muted">${esc(t('finance.noAccount'))}</p>`;
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
  return `<svg class="chart chart-balances" role="img" aria-label="${esc(t('finance.largestBalances'))}" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMinYMin meet"><line x1="${zero}" y1="0" x2="${zero}" y2="${height}" stroke="#999"/>${rows.join('')}</svg>`;
}

const money = (m: { amount: number; currency: string } | null | undefined) => (m ? esc(formatAmount(m.amount, m.currency)) : '—');
const refs = (t: Translate, events: Array<{ position: number; streamId: string; type: string; id: string }>) =>
  events.map((e) => `<code title="${esc(t('finance.eventTitle', { id: e.id }))}">${esc(t('finance.eventRef', { position: e.position, type: e.type, stream: e.streamId }))}</code>`).join('<br>') || '—';

export const ACCOUNT_ROWS = 200;

/** A table's head: plain headings, or `{ num }` ones aligned right (the console's `Table` component, as a string). */
const head = (headings: Array<string | { num: string }>) =>
  `<thead><tr>${headings.map((h) => (typeof h === 'string' ? `<th>${esc(h)}</th>` : `<th class="num">${esc(h.num)}</th>`)).join('')}</tr></thead>`;

/** A reason or kind code of the API in words: its message, or the code itself (underscores as spaces) when it has none. */
const codeText = (t: Translate, prefix: 'finance.unbalancedReason' | 'finance.mismatchReason' | 'finance.factKind', code: string) => {
  const key = `${prefix}.${code}`;
  const text = t(key as MessageKey);
  return text === key ? code.replace(/_/g, ' ') : text;
};

/** An empty table's one row. */
const noneRow = (columns: number, text: string) => `<tr><td colspan="${columns}" class="muted">${esc(text)}</td></tr>`;

/** The report's sections (banner, period form, charts, tables), as the console's finance page embeds them, in the language of `t`. */
export function reportBody(report: ReconciliationReport, range: ReportRange, t: Translate): string {
  const discrepancies =
    report.unbalancedTransfers.length + report.missingTransfers.length + report.providerMismatches.length + report.accounts.filter((a) => a.diff.amount !== 0).length + report.totals.filter((line) => line.sum !== 0).length;
  const events = report.checkedEvents.toLocaleString('en-US');
  const banner = report.ok
    ? `<div class="banner ok" role="status" data-ok="true">${esc(t('finance.ok', { events }))}</div>`
    : `<div class="banner bad" role="alert" data-ok="false">${esc(plural(t, discrepancies, 'finance.notOkOne', 'finance.notOk', { events }))}</div>`;

  const toDay = new Date(range.toExclusive.getTime() - 1);
  const form = `<section><form class="range" method="get" action="/admin/finance">
<label>${esc(t('finance.from'))} <input type="date" name="from" value="${dayInput(range.from)}" required></label>
<label>${esc(t('finance.to'))} <input type="date" name="to" value="${dayInput(toDay)}" required></label>
<button type="submit">${esc(t('finance.reconcile'))}</button>
<span class="muted">${esc(t('finance.rangeHint'))} <a href="/api/v1/admin/finance/reconciliation?from=${dayInput(range.from)}&amp;to=${dayInput(toDay)}">/api/v1/admin/finance/reconciliation</a></span>
</form></section>`;

  const currencies = [...new Set(report.daily.map((d) => d.currency))].sort();
  const sums = (currency: string) =>
    report.daily.filter((d) => d.currency === currency).reduce((acc, d) => ({ captured: acc.captured + d.captured, refunded: acc.refunded + d.refunded, fees: acc.fees + d.fees, captures: acc.captures + d.captures, refunds: acc.refunds + d.refunds }), { captured: 0, refunded: 0, fees: 0, captures: 0, refunds: 0 });
  const chartCurrencies = currencies.length > 0 ? currencies : ['CNY'];
  const kpis = chartCurrencies
    .map((currency) => {
      const s = sums(currency);
      return `<div class="kpis" data-currency="${esc(currency)}"><div class="kpi">${esc(t('finance.captured'))}<b data-kpi="captured">${esc(formatAmount(s.captured, currency))}</b><span class="muted">${esc(plural(t, s.captures, 'finance.paymentsOne', 'finance.payments'))}</span></div><div class="kpi">${esc(t('finance.refunded'))}<b data-kpi="refunded">${esc(formatAmount(s.refunded, currency))}</b><span class="muted">${esc(plural(t, s.refunds, 'finance.refundsOne', 'finance.refunds'))}</span></div><div class="kpi">${esc(t('finance.providerFees'))}<b data-kpi="fees">${esc(formatAmount(s.fees, currency))}</b></div><div class="kpi">${esc(t('finance.net'))}<b data-kpi="net">${esc(formatAmount(s.captured - s.refunded - s.fees, currency))}</b></div></div>`;
    })
    .join('');
  const activity = `<section><h2>${esc(t('finance.activity'))}</h2>${kpis}${chartCurrencies.map((c) => dailyChart(range, report.daily, c, t)).join('')}</section>`;

  const totals = `<section><h2>${esc(t('finance.totals'))}</h2><p class="muted">${esc(t('finance.totalsHint'))}</p>
<table id="totals">${head([t('finance.currency'), { num: t('finance.sumOfBalances') }, t('finance.check')])}<tbody>${
    report.totals.map((line) => `<tr class="${line.sum === 0 ? '' : 'bad'}"><td>${esc(line.currency)}</td><td class="num">${esc(formatAmount(line.sum, line.currency))}</td><td>${esc(t(line.sum === 0 ? 'finance.zero' : 'finance.notZero'))}</td></tr>`).join('') ||
    noneRow(3, t('finance.noAccountRow'))
  }</tbody></table>
<p class="muted">${esc(t('finance.totalsFooter', { transfers: report.transfers.toLocaleString('en-US'), accounts: report.accounts.length.toLocaleString('en-US'), position: report.headPosition }))}</p></section>`;

  const ordered = [...report.accounts].sort((a, b) => Number(b.diff.amount !== 0) - Number(a.diff.amount !== 0) || Math.abs(b.balance.amount) - Math.abs(a.balance.amount) || (a.account < b.account ? -1 : 1));
  const shown = ordered.slice(0, Math.max(ACCOUNT_ROWS, ordered.filter((a) => a.diff.amount !== 0).length));
  const accountRows = shown
    .map(
      (a) =>
        `<tr class="${a.diff.amount === 0 ? '' : 'bad'}" data-account="${esc(a.account)}"><td>${esc(a.account)}</td><td>${esc(a.kind ?? '?')}</td><td class="num">${money(a.balance)}</td><td class="num">${money(a.ledgerSum)}</td><td class="num">${money(a.diff)}</td><td class="num">${a.entries}</td></tr>`,
    )
    .join('');
  const accounts = `<section><h2>${esc(t('finance.balances'))}</h2>${balancesChart(report.accounts, t)}
<table id="accounts">${head([t('finance.account'), t('finance.kind'), { num: t('finance.balance') }, { num: t('finance.ledgerSum') }, { num: t('finance.diff') }, { num: t('finance.entries') }])}<tbody>${accountRows || noneRow(6, t('finance.noAccountRow'))}</tbody></table>
${ordered.length > shown.length ? `<p class="muted">${esc(t('finance.moreAccounts', { count: ordered.length - shown.length }))} <a href="/api/v1/admin/finance/accounts">/api/v1/admin/finance/accounts</a>.</p>` : ''}</section>`;

  const unbalanced = `<section><h2>${esc(t('finance.unbalanced', { count: report.unbalancedTransfers.length }))}</h2><table id="unbalanced">${head([t('finance.transfer'), t('finance.problem'), t('finance.fromTo'), { num: t('finance.amount') }, t('finance.cause'), t('finance.events')])}<tbody>${
    report.unbalancedTransfers
      .map(
        (u) =>
          `<tr class="bad discrepancy" data-transfer="${esc(u.transferId)}"><td><code>${esc(u.transferId)}</code></td><td>${esc(codeText(t, 'finance.unbalancedReason', u.reason))}<br><span class="muted">${esc(u.detail)}</span></td><td>${esc(u.from ?? '?')} → ${esc(u.to ?? '?')}</td><td class="num">${money(u.amount)}</td><td>${u.cause ? `${esc(u.cause.type)} <code>${esc(u.cause.id)}</code>` : '—'}</td><td>${refs(t, u.events)}</td></tr>`,
      )
      .join('') || noneRow(6, t('finance.noneUnbalanced'))
  }</tbody></table></section>`;

  const missing = `<section><h2>${esc(t('finance.missing', { count: report.missingTransfers.length }))}</h2><table id="missing">${head([t('finance.transfer'), t('finance.requiredBy'), t('finance.at')])}<tbody>${
    report.missingTransfers.map((m) => `<tr class="bad discrepancy" data-transfer="${esc(m.transferId)}"><td><code>${esc(m.transferId)}</code></td><td>${refs(t, [m.cause])}</td><td>${esc(m.at)}</td></tr>`).join('') ||
    noneRow(3, t('finance.noneMissing'))
  }</tbody></table></section>`;

  const providers = report.settlement.providers.length > 0 ? report.settlement.providers.join(', ') : t('finance.noProviders');
  const { days, lines, facts } = report.settlement;
  const mismatches = `<section><h2>${esc(plural(t, report.providerMismatches.length, 'finance.settlementOne', 'finance.settlement'))}</h2><p class="muted">${esc(t('finance.settlementHint', { providers, days, lines, facts }))}</p>
<table id="mismatches">${head([t('finance.day'), t('finance.provider'), t('finance.payment'), t('finance.kind'), t('finance.problem'), { num: t('finance.ledgerAmountFee') }, { num: t('finance.settledAmountFee') }, t('finance.events')])}<tbody>${
    report.providerMismatches
      .map(
        (m) =>
          `<tr class="bad discrepancy" data-payment="${esc(m.paymentId)}"><td>${esc(m.day)}</td><td>${esc(m.provider)}</td><td><code>${esc(m.paymentId)}</code></td><td>${esc(codeText(t, 'finance.factKind', m.kind))}</td><td>${esc(codeText(t, 'finance.mismatchReason', m.reason))}</td><td class="num">${m.ledger ? `${money(m.ledger.amount)}<br>${money(m.ledger.fee)}` : '—'}</td><td class="num">${m.settlement ? `${money(m.settlement.amount)}<br>${money(m.settlement.fee)}` : '—'}</td><td>${refs(t, m.events)}</td></tr>`,
      )
      .join('') || noneRow(8, t('finance.noneMismatch'))
  }</tbody></table></section>`;

  return `${banner}${form}${activity}${totals}${unbalanced}${missing}${mismatches}${accounts}`;
}
