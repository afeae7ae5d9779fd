import type { Logger } from 'pino';
import type { Role } from '../domain/common/actor.js';

export interface AuthUser {
  id: string;
  roles: Role[];
}

/** Hono context variables set by the middleware in src/http/middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    user: AuthUser | null;
    clientIp: string;
  };
}
