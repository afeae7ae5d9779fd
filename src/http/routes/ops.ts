import { Hono } from 'hono';
import type { Deps } from '../../deps.js';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';

/** A projection (or, on the reactors role, a reactor) further behind than this makes the process not ready. */
export const READY_MAX_LAG = 10_000;

export function opsRoutes(deps: Deps, metrics: Metrics) {
  const app = new Hono<AppEnv>();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const checks: Record<string, string> = {};
    const probe = async (name: string, check: () => Promise<void>) => {
      try {
        await check();
        checks[name] = 'ok';
      } catch (error) {
        checks[name] = error instanceof Error ? error.message : 'unreachable';
      }
    };
    await Promise.all([probe('eventStore', async () => void (await deps.store.headPosition())), probe('viewStore', () => deps.views.ping()), probe('keyValue', () => deps.kv.ping()), probe('searchIndex', () => deps.searchIndex.ping())]);
    const projections = await deps.projections.status();
    const stores = Object.values(checks).every((value) => value === 'ok');
    // An API or projector process answers from (or builds) read models: reactors' lag is not its readiness.
    const role = deps.config.BAZAAR_ROLE;
    const mine = projections.filter((p) => role === 'all' || (role === 'reactors' ? p.kind === 'reactor' : p.kind !== 'reactor'));
    const caughtUp = mine.every((p) => !p.rebuilding && !p.error && p.lag <= READY_MAX_LAG);
    const ready = stores && caughtUp;
    return c.json({ status: ready ? 'ready' : 'not_ready', checks, projections }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    for (const status of await deps.projections.status()) {
      metrics.projectionLag.set({ projection: status.name }, status.lag);
      metrics.projectionLagSeconds.set({ projection: status.name }, status.lagSeconds);
      if (status.kind === 'reactor') metrics.reactorBacklog.set({ reactor: status.name }, status.lag);
    }
    return c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
  });

  return app;
}
