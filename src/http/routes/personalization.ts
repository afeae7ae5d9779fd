import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { ValidationError } from '../../kernel/errors.js';
import { SEARCH_LIMITS } from '../../ports/search-index.js';
import { recordChoice, signalRecorder } from '../../commands/personalization/signals.js';
import { myPersonalization } from '../../queries/personalization/profile.js';
import { SHOPPER_PRODUCTS, SHOPPER_PROFILES } from '../../projections/personalization/affinity.js';
import { currentUser, requireUser } from '../middleware/auth.js';
import { bearer, errors, json, jsonBody, router } from '../openapi.js';

const tags = ['Personalization'];

const ProfileEntrySchema = z.object({
  kind: z.enum(['category', 'brand', 'attribute']),
  key: z.string().openapi({ description: 'category or brand id; `name=value` for an attribute' }),
  name: z.string(),
  strength: z.enum(['strong', 'medium', 'weak']),
  score: z.number().openapi({ description: '0–1, decayed to now (half-life 30 days)' }),
  text: z.string().openapi({ example: '武侠 (category) — strong' }),
});

export const PersonalizationSchema = z
  .object({
    enabled: z.boolean(),
    active: z.boolean().openapi({ description: 'searches are reordered for me now (on, and something recorded)' }),
    signals: z.number().int().openapi({ description: 'signals counted since the last clear' }),
    updatedAt: z.string().nullable(),
    clearedAt: z.string().nullable(),
    entries: z.array(ProfileEntrySchema).openapi({ description: 'strongest first' }),
    summary: z.string().openapi({ example: 'Searches put first what matches: 武侠 (category) — strong; 三联书店 (brand) — medium.' }),
  })
  .openapi('Personalization');

const ChoiceAnswer = z.object({ enabled: z.boolean(), position: z.string() }).openapi('PersonalizationChoice');

const ClickSchema = z
  .object({
    productId: z.string().trim().min(1, 'must not be empty').max(64, 'at most 64 characters'),
    query: z.string().trim().min(1, 'must not be empty').max(SEARCH_LIMITS.maxQueryLength, `at most ${SEARCH_LIMITS.maxQueryLength} characters`).openapi({ description: 'the `q` of the search' }),
    rank: z.number().int().min(1, 'must be ≥ 1').max(SEARCH_LIMITS.maxWindow, `must be ≤ ${SEARCH_LIMITS.maxWindow}`).openapi({ description: '1-based position of the hit in the results shown' }),
  })
  .strict()
  .openapi('SearchClick');

const ClickAnswer = z
  .object({ outcome: z.enum(['queued', 'rate_limited', 'dropped', 'off']).openapi({ description: 'queued: recorded within a second; rate_limited / dropped: over the per-shopper or global limit, not recorded; off: personalization is off' }) })
  .openapi('SearchClickAnswer');

/** Mounted under /api/v1/me: the signed-in shopper's own profile only (there is no route to anyone else's). */
export function personalizationRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get', path: '/personalization', tags, security: bearer,
      summary: 'What my search personalization holds, in words',
      description: 'The categories, brands and attribute values my searches are reordered by, with how strong each liking is (decayed over time), and whether personalization is on. Built from what I bought (paid orders), added to my cart, opened and clicked in search results.',
      middleware: [requireUser()] as const,
      responses: { 200: json(PersonalizationSchema, 'my profile'), ...errors(401) },
    }),
    async (c) => c.json(await myPersonalization(deps, currentUser(c).id), 200, { 'Cache-Control': 'private, no-store' }),
  );

  app.openapi(
    createRoute({
      method: 'patch', path: '/personalization', tags, security: bearer,
      summary: 'Turn my search personalization on or off',
      description: '`{ "enabled": false }`: searches come in their plain order and no signal of mine is recorded (what the profile holds is kept until I clear it); `true` turns it back on. Answers `X-Position`.',
      middleware: [requireUser()] as const,
      request: { body: jsonBody(z.object({ enabled: z.boolean() }).strict().openapi('PersonalizationPatch')) },
      responses: { 200: json(ChoiceAnswer, 'the new setting'), ...errors(400, 401, 415) },
    }),
    async (c) => {
      const { enabled } = c.req.valid('json');
      const { position } = await recordChoice(deps, currentUser(c).id, enabled ? 'PersonalizationEnabled' : 'PersonalizationDisabled');
      return c.json({ enabled, position: String(position) }, 200, { 'X-Position': String(position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'delete', path: '/personalization', tags, security: bearer,
      summary: 'Clear my search personalization',
      description: 'Empties the profile: nothing recorded so far counts any more, also when the read model is rebuilt from the events (a `PersonalizationCleared` event is recorded). The on/off setting is kept. Answers `X-Position`.',
      middleware: [requireUser()] as const,
      responses: { 204: { description: 'cleared' }, ...errors(401) },
    }),
    async (c) => {
      const { position } = await recordChoice(deps, currentUser(c).id, 'PersonalizationCleared');
      c.header('X-Position', String(position));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/search-clicks', tags, security: bearer,
      summary: 'Report a click on a search result',
      description: 'The app reports which hit I opened from a search (product, query, 1-based rank). Recorded asynchronously in batches (within about a second), at most 60 signals a minute per shopper (bursts of 20); over the limit the click is dropped, never waited for. 202 whatever the outcome, which the answer names.',
      middleware: [requireUser()] as const,
      request: { body: jsonBody(ClickSchema) },
      responses: { 202: json(ClickAnswer, 'accepted'), ...errors(400, 401, 415) },
    }),
    async (c) => {
      const click = c.req.valid('json');
      const userId = currentUser(c).id;
      if (!(await deps.views.get(SHOPPER_PRODUCTS, click.productId))) {
        throw new ValidationError('productId names no product', [{ path: 'productId', message: 'no such product' }]);
      }
      const profile = await deps.views.get<{ enabled: boolean }>(SHOPPER_PROFILES, userId);
      if (profile && !profile.enabled) return c.json({ outcome: 'off' as const }, 202);
      const outcome = signalRecorder(deps).record(userId, { kind: 'click', productId: click.productId, query: click.query, rank: click.rank });
      return c.json({ outcome }, 202);
    },
  );

  return app;
}
