import type { MiddlewareHandler } from 'hono';
import { ForbiddenError, UnauthenticatedError } from '../../kernel/errors.js';
import type { Role } from '../../domain/common/actor.js';
import type { TokenService } from '../../commands/users/tokens.js';
import type { AppEnv, AuthUser } from '../env.js';

/** Merchant API keys (`Authorization: ApiKey <key>`), accepted only on the paths they are for. */
export interface ApiKeyVerifier {
  allows(path: string): boolean;
  /** The merchant the key acts as, checked on every request: UnauthenticatedError for an unknown or revoked key, or one whose owner no longer holds the role it was issued with. */
  verify(key: string): Promise<AuthUser>;
}

/** Reads a bearer token (or an API key) when one is sent; an invalid one is refused (401) even on public routes. */
export function authenticate(tokens: TokenService, apiKeys?: ApiKeyVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (header) {
      const [scheme, token] = header.split(' ');
      if (apiKeys && scheme?.toLowerCase() === 'apikey' && token) {
        if (!apiKeys.allows(c.req.path)) throw new ForbiddenError('API keys are accepted only on the product-center and merchant order routes');
        c.set('user', await apiKeys.verify(token));
        return next();
      }
      if (scheme?.toLowerCase() !== 'bearer' || !token) throw new UnauthenticatedError('use Authorization: Bearer <access token>');
      const claims = await tokens.verifyAccessToken(token);
      c.set('user', { id: claims.userId, roles: claims.roles });
    }
    await next();
  };
}

/** Requires a signed-in user, with one of the roles when given. */
export function requireUser(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const user = c.get('user');
    if (!user) throw new UnauthenticatedError();
    if (roles.length > 0 && !roles.some((role) => user.roles.includes(role))) {
      throw new ForbiddenError(`this needs the ${roles.join(' or ')} role`);
    }
    await next();
  };
}

export function currentUser(c: { get(key: 'user'): AuthUser | null }): AuthUser {
  const user = c.get('user');
  if (!user) throw new UnauthenticatedError();
  return user;
}

/** The role recorded as the actor of a command: the most privileged the user holds. */
export function primaryRole(user: AuthUser): Role {
  return user.roles.includes('admin') ? 'admin' : user.roles.includes('merchant') ? 'merchant' : 'customer';
}
