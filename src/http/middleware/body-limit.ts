import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Refuses a request body larger than `maxSize`. A request without a body, or with a declared
 * Content-Length, is judged from its headers alone: touching `c.req.raw.body` (as Hono's bodyLimit does
 * first) makes @hono/node-server build a full Request and stream for every request, GETs included, and
 * takes the body off its fast read path. A chunked body is counted by Hono's bodyLimit.
 */
export function requestBodyLimit(maxSize: number, onError: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  const counting = bodyLimit({ maxSize, onError });
  return (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) return Number(length) > maxSize ? Promise.resolve(onError(c)) : next();
    return counting(c, next);
  };
}
