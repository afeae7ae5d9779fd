import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { requireUser } from '../middleware/auth.js';
import { bearer, errors, json, router } from '../openapi.js';
import { NotFoundError } from '../../kernel/errors.js';
import { ledgerAccount, listLedgerAccounts, listLedgerEntries } from '../../queries/finance/accounts.js';
import { financeReport } from '../../queries/finance/report.js';
import { MAX_RANGE_DAYS, parseRange } from '../../queries/finance/range.js';
import type { PaymentCheck, SettlementSource } from '../../queries/finance/reconciliation.js';

const tags = ['Accounts and finance'];

/** Money of any ledger currency (CNY, …, and COIN for coins). */
const LedgerMoney = z.object({ amount: z.number().int(), currency: z.string() }).openapi('LedgerMoney');
const EventRef = z.object({ id: z.string(), position: z.number().int(), streamId: z.string(), type: z.string() }).openapi('EventRef');
const SettlementSide = z.object({ amount: LedgerMoney, fee: LedgerMoney, providerRef: z.string(), at: z.string() });
const LedgerSide = z.object({ amount: LedgerMoney, fee: LedgerMoney, at: z.string() });

export const ReconciliationSchema = z
  .object({
    ok: z.boolean().openapi({ description: 'true when every check below is clean' }),
    from: z.string().openapi({ description: 'start of the period (inclusive), ISO instant' }),
    to: z.string().openapi({ description: 'end of the period (exclusive), ISO instant' }),
    checkedEvents: z.number().int().openapi({ description: 'events read: every event up to headPosition' }),
    headPosition: z.number().int(),
    accounts: z.array(
      z.object({
        account: z.string(),
        kind: z.string().nullable(),
        balance: LedgerMoney.openapi({ description: 'what the account reports: its decider folded over account-<id>' }),
        ledgerSum: LedgerMoney.openapi({ description: 'its entries re-derived from complete transfers (both legs)' }),
        diff: LedgerMoney.openapi({ description: 'balance − ledgerSum' }),
        entries: z.number().int(),
      }),
    ),
    totals: z.array(z.object({ currency: z.string(), sum: z.number().int() })).openapi({ description: 'sum of all balances per currency: 0 in a sound ledger' }),
    transfers: z.number().int().openapi({ description: 'complete, balanced transfers' }),
    unbalancedTransfers: z.array(
      z.object({
        transferId: z.string(),
        reason: z.enum(['missing_credit_leg', 'missing_debit_leg', 'duplicate_leg', 'amount_mismatch', 'currency_mismatch', 'accounts_mismatch', 'wrong_stream']),
        detail: z.string(),
        from: z.string().nullable(),
        to: z.string().nullable(),
        amount: LedgerMoney.nullable(),
        cause: z.object({ type: z.string(), id: z.string() }).nullable(),
        at: z.string().nullable(),
        events: z.array(EventRef),
      }),
    ),
    missingTransfers: z.array(z.object({ transferId: z.string(), cause: EventRef, at: z.string() })),
    providerMismatches: z.array(
      z.object({
        provider: z.string(),
        day: z.string(),
        kind: z.enum(['capture', 'refund']),
        paymentId: z.string(),
        reason: z.enum(['missing_in_settlement', 'missing_in_ledger', 'amount_mismatch', 'fee_mismatch', 'no_settlement_source']),
        ledger: LedgerSide.nullable(),
        settlement: SettlementSide.nullable(),
        events: z.array(EventRef),
      }),
    ),
    unsafeNumbers: z
      .array(z.object({ what: z.enum(['amount', 'balance']), account: z.string(), value: z.string(), transferId: z.string().nullable(), events: z.array(EventRef) }))
      .openapi({ description: 'leg amounts and balances that are not safe integers (past 2^53 a double loses whole units); sums are exact (BigInt)' }),
    settlement: z.object({ providers: z.array(z.string()), days: z.number().int(), lines: z.number().int(), facts: z.number().int() }),
    daily: z.array(
      z.object({
        day: z.string(),
        currency: z.string(),
        captured: z.number().int(),
        refunded: z.number().int(),
        fees: z.number().int(),
        captures: z.number().int(),
        refunds: z.number().int(),
      }),
    ),
  })
  .openapi('Reconciliation');

const LedgerAccountSchema = z
  .object({ accountId: z.string(), kind: z.string().nullable(), balance: LedgerMoney, entries: z.number().int(), updatedAt: z.string() })
  .openapi('LedgerAccount');

const LedgerEntrySchema = z
  .object({
    id: z.string().openapi({ description: '`<accountId>|<transferId>`' }),
    accountId: z.string(),
    transferId: z.string(),
    direction: z.enum(['debit', 'credit']).openapi({ description: 'credit adds `amount` to the balance, debit takes it away' }),
    amount: LedgerMoney.openapi({ description: 'positive, integer minor units (or coins): `direction` gives the sign' }),
    counterparty: z.string().openapi({ description: 'the other account of the transfer' }),
    cause: z.object({ type: z.string(), id: z.string() }).openapi({ description: 'what caused the transfer (payment, refund, order, WalletTopUp…)' }),
    at: z.string().openapi({ description: 'when the transfer was posted (from the event)' }),
    position: z.number().int().openapi({ description: 'global position of the AccountDebited / AccountCredited event' }),
  })
  .openapi('LedgerEntry');

/** A ledger account id: `<prefix>.<owner>` (docs/ledger.md), e.g. `wallet.<userId>`, `merchant.<merchantId>`, `platform.revenue`. */
const AccountIdParam = z.object({
  accountId: z
    .string()
    .max(200)
    .regex(/^[a-z][a-z-]*\.[A-Za-z0-9][A-Za-z0-9._:@+-]*$/, 'is not a ledger account id (`<kind>.<owner>`, e.g. wallet.<userId> or platform.revenue)')
    .openapi({ param: { name: 'accountId', in: 'path' }, example: 'platform.revenue' }),
});

export const RangeQuery = z.object({
  from: z.string().max(40).optional().openapi({ description: 'ISO date (UTC day) or date-time; default: 30 days before `to`', example: '2026-11-01' }),
  to: z.string().max(40).optional().openapi({ description: `ISO date (that whole UTC day is included) or date-time (inclusive); default: today. At most ${MAX_RANGE_DAYS} days after \`from\``, example: '2026-11-30' }),
});

export interface FinanceRouteOptions {
  /** Overrides the payments check (tests); default: plannedTransfers. */
  check?: PaymentCheck;
  /** Overrides the settlement sources; default: every PaymentProvider in Deps. */
  sources?: SettlementSource[];
}

/** GET /api/v1/admin/finance/accounts, /accounts/{accountId}/entries and /reconciliation (admin). */
export function financeRoutes(deps: Deps, options: FinanceRouteOptions = {}) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/accounts',
      tags,
      security: bearer,
      middleware: [requireUser('admin')] as const,
      summary: 'Every ledger account with its balance (admin)',
      description: 'From the `ledger_accounts` read model (accepts X-Min-Position). Ordered by account id.',
      request: {
        query: z.object({
          kind: z
            .enum(['customer_wallet', 'customer_coins', 'provider_clearing', 'merchant_payable', 'platform_revenue', 'refunds_payable', 'wallet_funding', 'coins_issuance', 'coins_shortfall'])
            .optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ description: '1-500, default 100' }),
          cursor: z.string().max(500).optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(LedgerAccountSchema), nextCursor: z.string().nullable() }).openapi('LedgerAccountPage'), 'a page of accounts'), ...errors(400, 401, 403) },
    }),
    async (c) => c.json(await listLedgerAccounts(deps, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/accounts/{accountId}/entries',
      tags,
      security: bearer,
      middleware: [requireUser('admin')] as const,
      summary: 'One ledger account with its entries, newest first (admin)',
      description:
        'The account from the `ledger_accounts` read model and a page of its entries (one per AccountDebited / AccountCredited event of `account-<accountId>`) from the `ledger_entries` read model, newest first (accepts X-Min-Position). 404 when the account has no entry.',
      request: {
        params: AccountIdParam,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ description: '1-500, default 100' }),
          cursor: z.string().max(500).optional(),
        }),
      },
      responses: {
        200: json(z.object({ account: LedgerAccountSchema, items: z.array(LedgerEntrySchema), nextCursor: z.string().nullable() }).openapi('LedgerEntryPage'), 'the account and a page of its entries'),
        ...errors(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { accountId } = c.req.valid('param');
      // Both at once: a bad cursor is a 400 whether or not the account exists.
      const [account, entries] = await Promise.all([ledgerAccount(deps, accountId), listLedgerEntries(deps, accountId, c.req.valid('query'))]);
      if (!account) throw new NotFoundError('ledger account');
      return c.json({ account, ...entries }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/reconciliation',
      tags,
      security: bearer,
      middleware: [requireUser('admin')] as const,
      summary: 'Reconcile the ledger, the payments and the provider settlement (admin)',
      description:
        'Re-derives every balance from the events (all of them, up to the current head) and compares: account balance vs. the sum of its entries, both legs of every transfer, zero sum per currency. For the period `from`..`to` it also checks that every payment event has its planned transfers and that the provider settlement matches the captured payments and refunds. Every discrepancy names its cause events. See docs/finance.md.',
      request: { query: RangeQuery },
      responses: { 200: json(ReconciliationSchema, 'the report (`ok: false` lists the discrepancies)'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const range = parseRange(c.req.valid('query'), deps.clock.now());
      const report = await financeReport(deps, range, options);
      return c.json(report, 200, { 'Cache-Control': 'no-store' });
    },
  );

  return app;
}
