import type { ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Logger } from 'pino';
import { monotonicFactory } from 'ulid';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;
// Request ids only need to be unique and sortable, not unguessable: Math.random spares a crypto call per request.
const ulid = monotonicFactory(Math.random);

function clientIp(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // in-process requests (app.request) have no socket
  }
}

/** Request id, client address, per-request logger, access log and latency metrics. */
export function requestContext(logger: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> {
  // The access line holds no secret: it skips redaction, a fifth of the line's cost.
  const accessLog = logger.child({}, { redact: [] });
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('X-Request-Id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : ulid();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('user', null);
    c.set('clientIp', clientIp(c));
    // Served by @hono/node-server: set on the Node response, which merges it into whatever response is
    // written, so Hono builds no Headers object for it (an error response would not carry c.header's).
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing) outgoing.setHeader('X-Request-Id', requestId);
    else c.header('X-Request-Id', requestId);
    await next();
    if (!outgoing && !c.res.headers.has('X-Request-Id')) c.res.headers.set('X-Request-Id', requestId);
    const seconds = (performance.now() - started) / 1000;
    const route = c.req.routePath || 'unmatched';
    metrics.httpDuration.observe({ method: c.req.method, route, status: String(c.res.status) }, seconds);
    accessLog.info({ requestId, method: c.req.method, path: c.req.path, route, status: c.res.status, ms: Math.round(seconds * 10000) / 10 }, 'request');
  };
}
