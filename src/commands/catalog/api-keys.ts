import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ulid } from 'ulid';
import type { Deps } from '../../deps.js';
import type { EventMetadata } from '../../ports/event-store.js';
import { NotFoundError, UnauthenticatedError } from '../../kernel/errors.js';
import { apiKeyStream } from '../../domain/catalog/api-key.js';
import type { Role } from '../../domain/shared/actor.js';
import { sha256 } from '../users/tokens.js';
import { canTouch, resolveMerchant, type CatalogActor } from './lookups.js';

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
 * Checks an `Authorization: ApiKey <key>`: reads the key's own stream (never a lagging view), so a
 * revoked key is refused from the next request on. The caller acts as the key's merchant.
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
  return { id: state.merchantId, roles: ['merchant'] };
}

/** API keys are for item sync: only the product-center routes accept them (not key management, not users). */
const API_KEY_PATHS = /^\/api\/v1\/admin\/(categories|frontend-categories|brands|attributes|spus|products|skus|jobs)(\/|$)/;

export function apiKeyAuth(deps: Deps) {
  return {
    allows: (path: string) => API_KEY_PATHS.test(path),
    verify: (key: string) => verifyApiKey(deps, key),
  };
}
