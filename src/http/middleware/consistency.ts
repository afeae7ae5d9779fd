import type { MiddlewareHandler } from 'hono';
import { ValidationError } from '../../kernel/errors.js';
import type { ProjectionRunner } from '../../kernel/projection-runner.js';
import type { AppEnv } from '../env.js';

export const DEFAULT_MIN_POSITION_WAIT_MS = 2000;

/**
 * Read-your-writes for queries: with `X-Min-Position`, wait (bounded) until the read models have
 * applied that position; if they cannot in time, answer anyway with `X-Consistency: stale`.
 */
export function minPosition(projections: ProjectionRunner, waitMs = DEFAULT_MIN_POSITION_WAIT_MS): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('X-Min-Position');
    if (header !== undefined && c.req.method === 'GET') {
      if (!/^\d{1,16}$/.test(header)) {
        throw new ValidationError('X-Min-Position must be a position returned by a command', [{ path: 'X-Min-Position', message: 'must be a non-negative integer' }]);
      }
      const caughtUp = await projections.waitFor(Number(header), waitMs, projections.readModelNames);
      await next();
      c.header('X-Consistency', caughtUp ? 'consistent' : 'stale');
      return;
    }
    await next();
  };
}
