import type { Context } from 'hono';
import type { EventMetadata } from '../ports/event-store.js';
import type { AppEnv } from './env.js';
import { primaryRole } from './middleware/auth.js';

/** Event metadata for a command sent over HTTP: the operation log (who, which request, which key). */
export function commandMetadata(c: Context<AppEnv>): EventMetadata {
  const user = c.get('user');
  const idempotencyKey = c.req.header('Idempotency-Key');
  return {
    correlationId: c.get('requestId'),
    ...(user ? { actor: { id: user.id, role: primaryRole(user) } } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}
