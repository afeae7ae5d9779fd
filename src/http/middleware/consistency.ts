import type { Context, MiddlewareHandler } from 'hono';
import { ValidationError } from '../../kernel/errors.js';
import type { ProjectionRunner } from '../../kernel/projection-runner.js';
import type { KeyValue } from '../../ports/key-value.js';
import { LruMap } from '../../kernel/lru-map.js';
import { isCartToken } from '../../commands/carts/cart-store.js';
import type { AppEnv } from '../env.js';

export const DEFAULT_MIN_POSITION_WAIT_MS = 2000;
/** How long a principal's last write position is kept: read models lag seconds, not minutes. */
export const SESSION_POSITION_TTL_MS = 15 * 60 * 1000;

const CART_TOKEN_HEADER = 'X-Cart-Token';
const POSITION = /^\d{1,16}$/;

/** Whose writes a request's reads should see: the signed-in user, else the guest cart token. */
type Principal = string;
const userPrincipal = (userId: string): Principal => `user:${userId}`;
export const sessionKey = (principal: Principal) => `rw:${principal}`;

/** Routes that sign a user in (register, login, refresh) name the user whose write this request made. */
const writers = new WeakMap<Request, Principal>();
export function recordWriteFor(c: Context<AppEnv>, userId: string): void {
  writers.set(c.req.raw, userPrincipal(userId));
}

function principalOf(c: Context<AppEnv>): Principal | null {
  const user = c.get('user');
  if (user) return userPrincipal(user.id);
  const token = c.req.header(CART_TOKEN_HEADER);
  return isCartToken(token) ? `cart:${token}` : null;
}

/**
 * Read-your-writes for queries.
 *
 * - `X-Min-Position` (any client): a GET waits (bounded) until the read models have applied that
 *   position; if they cannot in time, it is answered anyway with `X-Consistency: stale`.
 * - Session consistency (by default, with `sessions`): a command answered with `X-Position` records that
 *   position as its principal's last write (signed-in user, else guest cart token) in KeyValue, so every API
 *   process sees it: one write per command. A GET of that principal without `X-Min-Position` waits the same
 *   way for it; when the read models are already past it (the usual case) there is no wait, only one read.
 */
export function minPosition(projections: ProjectionRunner, waitMs = DEFAULT_MIN_POSITION_WAIT_MS, sessions?: KeyValue): MiddlewareHandler<AppEnv> {
  const wait = async (c: Context<AppEnv>, position: number, next: () => Promise<void>) => {
    const caughtUp = await projections.waitFor(position, waitMs, projections.readModelNames); // at once when already applied
    await next();
    c.header('X-Consistency', caughtUp ? 'consistent' : 'stale');
  };
  /** The highest position this process recorded per principal: a replay or an older concurrent command does not write again or lower it. */
  const recorded = new LruMap<Principal, number>(10_000);
  return async (c, next) => {
    if (c.req.method === 'GET') {
      const header = c.req.header('X-Min-Position');
      if (header !== undefined) {
        if (!POSITION.test(header)) {
          throw new ValidationError('X-Min-Position must be a position returned by a command', [{ path: 'X-Min-Position', message: 'must be a non-negative integer' }]);
        }
        return wait(c, Number(header), next);
      }
      const principal = sessions ? principalOf(c) : null;
      const last = principal ? await sessions!.get(sessionKey(principal)).catch(() => null) : null;
      if (last !== null && POSITION.test(last)) return wait(c, Number(last), next);
      return next();
    }
    await next();
    if (!sessions || c.res.status >= 300) return;
    const position = c.res.headers.get('X-Position');
    const principal = writers.get(c.req.raw) ?? principalOf(c);
    if (position === null || principal === null || !POSITION.test(position) || Number(position) <= (recorded.get(principal) ?? -1)) return;
    recorded.set(principal, Number(position));
    try {
      await sessions.set(sessionKey(principal), position, { ttlMs: SESSION_POSITION_TTL_MS });
    } catch (error) {
      c.get('log')?.warn({ err: error }, 'could not record the session position');
    }
  };
}
