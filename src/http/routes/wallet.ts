import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { topUpWallet } from '../../commands/wallet/top-up.js';
import { getWallet } from '../../queries/wallet/wallet.js';
import { commandMetadata } from '../command-metadata.js';
import { currentUser, requireUser } from '../middleware/auth.js';
import { idempotent } from '../middleware/idempotency.js';
import { bearer, errors, IdempotencyKeyHeader, json, jsonBody, MoneySchema, router } from '../openapi.js';
import { MoneyInput } from '../limits.js';

const tags = ['Wallet'];
const security = bearer;

const EntrySchema = z.object({
  id: z.string(),
  account: z.enum(['wallet', 'coins']),
  transferId: z.string(),
  direction: z.enum(['credit', 'debit']),
  amount: z.union([MoneySchema, z.number().int()]).openapi({ description: 'Money for the wallet, a number of coins for coins' }),
  currency: z.string(),
  counterparty: z.string(),
  cause: z.object({ type: z.string(), id: z.string() }),
  at: z.string(),
});

const CreditBody = z.object({ amount: MoneyInput, reason: z.string().trim().min(1).max(500) }).strict().openapi('WalletCredit');

export function walletRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me/wallet',
      tags,
      security,
      middleware: [requireUser()] as const,
      summary: 'My wallet balance, coins and entries (newest first)',
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().max(500).optional() }) },
      responses: {
        200: json(z.object({ balance: MoneySchema, coins: z.number().int(), entries: z.array(EntrySchema), nextCursor: z.string().nullable() }).openapi('Wallet'), 'the wallet'),
        ...errors(400, 401),
      },
    }),
    async (c) => c.json(await getWallet(deps, currentUser(c).id, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/admin/accounts/{userId}/credits',
      tags,
      security,
      middleware: [requireUser('admin'), idempotent(deps.kv)] as const,
      summary: "Top up a customer's wallet (platform.wallet-funding → wallet.<user>)",
      request: { params: z.object({ userId: z.string().min(1).max(64) }), headers: IdempotencyKeyHeader, body: jsonBody(CreditBody) },
      responses: {
        201: json(
          z.object({
            transfer: z.object({ transferId: z.string(), from: z.string(), to: z.string(), amount: MoneySchema, reason: z.string(), cause: z.object({ type: z.string(), id: z.string() }) }),
            balance: MoneySchema,
            position: z.string(),
          }),
          'credited',
        ),
        ...errors(400, 401, 403, 404, 415, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const idempotencyKey = c.req.header('Idempotency-Key');
      const result = await topUpWallet(deps, { userId: c.req.valid('param').userId, ...body, idempotencyKey }, commandMetadata(c));
      return c.json({ ...result, position: String(result.position) }, 201, { 'X-Position': String(result.position) });
    },
  );
  return app;
}
