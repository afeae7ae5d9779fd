import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { Config } from '../../config.js';
import type { AppEnv } from '../env.js';

/** Response headers a browser client may read: the guest cart token, read-your-writes, versions, and the like. */
export const EXPOSED_HEADERS = ['X-Cart-Token', 'X-Position', 'X-Consistency', 'ETag', 'Location', 'Retry-After', 'X-Request-Id'];

/** The allowed browser origins: BAZAAR_CORS_ORIGINS, else `*` outside production and none in production. */
export function corsOrigins(config: Pick<Config, 'BAZAAR_CORS_ORIGINS' | 'NODE_ENV'>): '*' | string[] {
  const setting = config.BAZAAR_CORS_ORIGINS?.trim() ?? (config.NODE_ENV === 'production' ? 'none' : '*');
  if (setting === '*') return '*';
  if (setting === 'none') return [];
  return setting.split(',').map((origin) => origin.trim().replace(/\/$/, ''));
}

/**
 * CORS for browser storefronts: preflights are answered (204) with the methods and the request headers
 * asked for; an origin not allowed gets no Access-Control-Allow-Origin (the browser then refuses). No
 * cookies are involved (bearer tokens), so credentials are not allowed.
 */
export function corsPolicy(config: Pick<Config, 'BAZAAR_CORS_ORIGINS' | 'NODE_ENV'>): MiddlewareHandler<AppEnv> {
  const origins = corsOrigins(config);
  return cors({
    origin: origins === '*' ? '*' : (origin) => (origins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}
