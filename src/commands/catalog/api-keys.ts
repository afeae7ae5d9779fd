import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError, UnauthenticatedError } from '../../kernel/errors.js';
import { apiKeyStream } from '../../domain/catalog/api-key.js';
import type { Role } from '../../domain/common/actor.js';
import { sha256 } from '../users/tokens.js';
import { userStream } from '../../domain/users/user.js';
import { canTouch, PLATFORM_MERCHANT, resolveMerchant, type CatalogActor } from './lookups.js';

const KEY_PATTERN = /^bzk_([0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

/** Issues a key acting as the merchant (an admin may name one; default: the platform). The key is returned once. */
export async function issueApiKey(
  deps: Deps,
  actor: CatalogActor,
  input: { name: string; merchantId?: string },
  metadata: EventMetadata,
): Promise<{ id: string; key: string; merchantId: string; position: number }> {
  const merchantId = await resolveMerchant(deps, actor, input.merchantId);
  const apiKeyId = ulid();
  const key = `bzk_${apiKeyId}_${randomBytes(32).toString('base64url')}`;
  const result = await deps.handlers.apiKey.handle(
    apiKeyStream(apiKeyId),
    { type: 'IssueApiKey', apiKeyId, merchantId, name: input.name, keyHash: sha256(key), issuedBy: actor.id, at: deps.clock.now().toISOString() },
    { metadata },
  );
  return { id: apiKeyId, key, merchantId, position: result.position };
}

/** Revokes a key of this actor (another merchant's key is 404); revoking twice is a no-op. */
export async function revokeApiKey(deps: Deps, actor: CatalogActor, apiKeyId: string, metadata: EventMetadata): Promise<{ position: number }> {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(apiKeyId)) throw new NotFoundError('API key');
  const stream = apiKeyStream(apiKeyId);
  const { state } = await deps.handlers.apiKey.load(stream);
  if (state.status === 'none' || !canTouch(actor, state.merchantId)) throw new NotFoundError('API key');
  const result = await deps.handlers.apiKey.handle(stream, { type: 'RevokeApiKey', at: deps.clock.now().toISOString() }, { metadata });
  return { position: result.position };
}

/**
 * Checks an `Authorization: ApiKey <key>`: reads the key's own stream and its owners' user streams (never
 * a lagging view, never a cache another process cannot invalidate), so a revoked key, or a key whose
 * owner was demoted or is no longer an active user, is refused from the next request on, in every API
 * process. The caller acts as the key's merchant, with the merchant role only: a key never carries more
 * than its owner holds now. A merchant's own key needs the merchant to still be one; a key an admin
 * issued (for the platform or for a merchant) needs the admin to still be one, and the named merchant too.
 */
export async function verifyApiKey(deps: Deps, key: string): Promise<{ id: string; roles: Role[] }> {
  const match = KEY_PATTERN.exec(key);
  const invalid = new UnauthenticatedError('invalid or revoked API key');
  if (!match) throw invalid;
  const { state } = await deps.handlers.apiKey.load(apiKeyStream(match[1]!));
  if (state.status !== 'active') throw invalid;
  const presented = Buffer.from(sha256(key));
  const stored = Buffer.from(state.keyHash);
  if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) throw invalid;
  const [issuerAllowed, merchantAllowed] = await Promise.all([
    state.issuedBy === state.merchantId || holdsRole(deps, state.issuedBy, 'admin'),
    state.merchantId === PLATFORM_MERCHANT || holdsRole(deps, state.merchantId, 'merchant'),
  ]);
  if (!issuerAllowed || !merchantAllowed) throw new UnauthenticatedError('this API key’s owner no longer holds the role it was issued with');
  return { id: state.merchantId, roles: ['merchant'] };
}

/** Whether the user exists, is active and holds the role now (read from the user's stream). */
async function holdsRole(deps: Deps, userId: string, role: Role): Promise<boolean> {
  const { state } = await deps.handlers.user.load(userStream(userId));
  return state.status === 'active' && state.roles.includes(role);
}

/**
 * API keys are for a merchant's systems: item sync (the product-center routes) and order handling (its
 * shop's order list, an order, its shipments). Not key management, users, refunds, or what a buyer does
 * (placing, paying, cancelling an order).
 */
const API_KEY_PATHS = [
  /^\/api\/v1\/admin\/(categories|frontend-categories|brands|attributes|spus|products|skus|jobs)(\/|$)/,
  /^\/api\/v1\/merchant\/orders\/?$/,
  /^\/api\/v1\/orders\/[^/]+$/,
  /^\/api\/v1\/admin\/orders\/[^/]+\/shipments(\/[^/]+)?$/,
];

export function apiKeyAuth(deps: Deps) {
  return {
    allows: (path: string) => API_KEY_PATHS.some((pattern) => pattern.test(path)),
    verify: (key: string) => verifyApiKey(deps, key),
  };
}
