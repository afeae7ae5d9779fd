import { Hono } from 'hono';
import type { Deps } from '../deps.js';
import type { AppEnv } from '../http/env.js';
import type { Metrics } from '../http/metrics.js';
import { requestContext } from '../http/middleware/request-context.js';
import { problem, problemResponse, toProblem } from '../http/problem.js';
import { opsRoutes } from '../http/routes/ops.js';
import type { Role } from './roles.js';

/** The HTTP app of a process that serves no API (role projector or reactors): /healthz, /readyz, /metrics only. */
export function createOpsApp(deps: Deps, metrics: Metrics, role: Role) {
  const app = new Hono<AppEnv>();
  app.use('*', requestContext(deps.logger, metrics));
  app.route('/', opsRoutes(deps, metrics));
  app.notFound((c) => problemResponse(problem(404, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}: this process has the role "${role}" (only /healthz, /readyz and /metrics)`)));
  app.onError((error, c) => {
    const mapped = toProblem(error);
    (c.get('log') ?? deps.logger).error({ err: error }, 'unhandled error');
    return problemResponse(mapped.problem, mapped.headers);
  });
  return app;
}
