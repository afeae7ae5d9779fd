import { createHash, randomBytes } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { UnauthenticatedError } from '../../kernel/errors.js';
import { LruMap } from '../../kernel/lru-map.js';
import type { Role } from '../../domain/common/actor.js';

export interface AccessClaims {
  userId: string;
  roles: Role[];
}

export interface TokenService {
  issueAccessToken(claims: AccessClaims, now: Date): Promise<string>;
  verifyAccessToken(token: string): Promise<AccessClaims>;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

const ISSUER = 'bazaar';

/**
 * HS256 access tokens (short-lived). Refresh tokens are opaque: see newRefreshToken. Signing and verifying
 * are synchronous HMACs (fast-jwt on node:crypto: a few µs, where WebCrypto's job queue costs tens of µs
 * per token, which a flash sale's thousands of first-time buyers each pay). A verified token is remembered
 * until it expires: a token is immutable, so verifying it again on every request of a session would only
 * repeat the same answer.
 */
export function jwtTokenService(secret: string, options: { accessTtlSeconds?: number; refreshTtlSeconds?: number } = {}): TokenService {
  if (secret.length === 0) throw new Error('the JWT secret must not be empty');
  const sign = createSigner({ key: secret, algorithm: 'HS256' });
  const verify = createVerifier({ key: secret, algorithms: ['HS256'], allowedIss: ISSUER, requiredClaims: ['sub', 'exp'], cache: false });
  const verified = new LruMap<string, { claims: AccessClaims; expiresAtMs: number }>(20_000);
  const accessTokenTtlSeconds = options.accessTtlSeconds ?? 15 * 60;
  return {
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds: options.refreshTtlSeconds ?? 30 * 24 * 60 * 60,
    async issueAccessToken({ userId, roles }, now) {
      const issuedAt = Math.floor(now.getTime() / 1000);
      return sign({ roles, typ: 'access', sub: userId, iss: ISSUER, iat: issuedAt, exp: issuedAt + accessTokenTtlSeconds });
    },
    async verifyAccessToken(token) {
      const known = verified.get(token);
      if (known) {
        if (Date.now() < known.expiresAtMs) return known.claims;
        verified.delete(token);
        throw new UnauthenticatedError('the access token has expired; refresh it');
      }
      let payload: Record<string, unknown>;
      try {
        payload = verify(token) as Record<string, unknown>;
      } catch (error) {
        if (error instanceof TokenError && error.code === TokenError.codes.expired) throw new UnauthenticatedError('the access token has expired; refresh it');
        throw new UnauthenticatedError('invalid access token');
      }
      if (payload.typ !== 'access' || typeof payload.sub !== 'string' || !Array.isArray(payload.roles) || typeof payload.exp !== 'number') throw new UnauthenticatedError('invalid access token');
      const claims = Object.freeze({ userId: payload.sub, roles: Object.freeze([...(payload.roles as Role[])]) as Role[] });
      verified.set(token, { claims, expiresAtMs: payload.exp * 1000 });
      return claims;
    },
  };
}

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** A refresh token is `<familyId>.<secret>`; only sha256(token) is stored. */
export function newRefreshToken(familyId: string): { token: string; hash: string } {
  const token = `${familyId}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256(token) };
}

export function familyOf(refreshToken: string): string {
  const [familyId, secret] = refreshToken.split('.');
  if (!familyId || !secret || !/^[0-9A-HJKMNP-TV-Z]{26}$/.test(familyId)) throw new UnauthenticatedError('the refresh token is invalid or expired');
  return familyId;
}
