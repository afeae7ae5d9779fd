import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';
import { UnauthenticatedError } from '../../kernel/errors.js';
import type { Role } from '../../domain/shared/actor.js';

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

/** HS256 access tokens (short-lived). Refresh tokens are opaque: see newRefreshToken. */
export function jwtTokenService(secret: string, options: { accessTtlSeconds?: number; refreshTtlSeconds?: number } = {}): TokenService {
  const key = new TextEncoder().encode(secret);
  const accessTokenTtlSeconds = options.accessTtlSeconds ?? 15 * 60;
  return {
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds: options.refreshTtlSeconds ?? 30 * 24 * 60 * 60,
    async issueAccessToken({ userId, roles }, now) {
      const issuedAt = Math.floor(now.getTime() / 1000);
      return new SignJWT({ roles, typ: 'access' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + accessTokenTtlSeconds)
        .sign(key);
    },
    async verifyAccessToken(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] });
        if (payload.typ !== 'access' || typeof payload.sub !== 'string' || !Array.isArray(payload.roles)) throw new UnauthenticatedError('invalid access token');
        return { userId: payload.sub, roles: payload.roles as Role[] };
      } catch (error) {
        if (error instanceof errors.JWTExpired) throw new UnauthenticatedError('the access token has expired; refresh it');
        throw new UnauthenticatedError('invalid access token');
      }
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
