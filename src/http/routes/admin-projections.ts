import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { requestRebuild } from '../../commands/ops/projection-rebuilds.js';
import { projectionsOverview } from '../../queries/ops/projections.js';
import { currentUser, requireUser } from '../middleware/auth.js';
import { bearer, errors, json, router } from '../openapi.js';

const tags = ['Operations'];

const RebuildSchema = z
  .object({
    projection: z.string(),
    state: z.enum(['requested', 'running', 'done', 'failed']),
    requestedAt: z.string(),
    requestedBy: z.string().openapi({ description: 'the admin who asked' }),
    owner: z.string().optional().openapi({ description: 'the process running it (host:pid:random), as in the lease' }),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    checkpoint: z.number().int().optional().openapi({ description: 'running: the new read model’s checkpoint; done: the live one’s' }),
    lag: z.number().int().optional().openapi({ description: 'running: events the new read model still has to apply' }),
    error: z.string().optional(),
  })
  .openapi('ProjectionRebuild');

const ProjectionSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['projection', 'reactor']),
    checkpoint: z.number().int(),
    lag: z.number().int(),
    lagSeconds: z.number(),
    rebuilding: z.boolean(),
    rebuild: z.object({ checkpoint: z.number().int(), lag: z.number().int() }).optional().openapi({ description: 'a blue-green rebuild running in the process that answers' }),
    error: z.string().optional(),
    leaseOwner: z.string().nullable().openapi({ description: 'the process (host:pid:random) holding the lease that runs it; null: no process holds it now' }),
    lastRebuild: RebuildSchema.nullable().openapi({ description: 'the last rebuild asked for over the API (kept 7 days)' }),
  })
  .openapi('ProjectionOverview');

const NameParam = z.object({ name: z.string().regex(/^[a-z0-9_-]{1,60}$/).openapi({ param: { name: 'name', in: 'path' } }) });

/** Operations (admin): projections with their lease owners, and rebuilds run by the process that owns the projection. */
export function adminProjectionRoutes(deps: Deps) {
  const app = router();
  const admin = requireUser('admin');

  app.openapi(
    createRoute({
      method: 'get',
      path: '/projections',
      tags,
      security: bearer,
      middleware: [admin] as const,
      summary: 'Projections and reactors: checkpoint, lag, lease owner, last rebuild; and every lease',
      description:
        'Checkpoints and lag are as this process follows them (as /readyz shows them). Leases come from KeyValue (`lease:<name>`, shared by every process): the owner is `host:pid:random` of the process running the projection, reactor or the sweepers.',
      responses: {
        200: json(
          z
            .object({
              projections: z.array(ProjectionSchema),
              leases: z.array(z.object({ name: z.string(), owner: z.string().nullable() })),
              owners: z
                .array(
                  z.object({
                    owner: z.string(),
                    role: z.string().openapi({ description: 'api, projector, reactors or all (unknown: the owner did not say)' }),
                    thread: z.boolean().openapi({ description: 'a projector thread of an `all` process' }),
                    host: z.string(),
                    pid: z.number().int(),
                    startedAt: z.string(),
                  }),
                )
                .openapi({ description: 'who each lease owner is (`lease-owner:<owner>` in KeyValue, kept while the process lives)' }),
            })
            .openapi('ProjectionsOverview'),
          'the projections, leases and lease owners',
        ),
        ...errors(401, 403),
      },
    }),
    async (c) => c.json(await projectionsOverview(deps), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/projections/{name}/rebuild',
      tags,
      security: bearer,
      middleware: [admin] as const,
      summary: 'Rebuild a projection from every event (202: the process that runs the projection starts it)',
      description:
        'The request is recorded in KeyValue; the process holding the projection’s lease (a projector, an `all` process or its projector thread — never an `api` process) takes it within a second and rebuilds blue-green: ' +
        'the new read model fills beside the live one, which keeps serving, and is switched in once caught up (as `bazaar projections rebuild`). Follow it in GET /admin/projections (`lastRebuild`). ' +
        'Reactors are not rebuilt (404). While a rebuild waits or runs, another is 409 REBUILD_IN_PROGRESS; with no process holding the lease, the request waits for one.',
      request: { params: NameParam },
      responses: { 202: json(RebuildSchema, 'asked for'), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const record = await requestRebuild(deps, c.req.valid('param').name, currentUser(c).id);
      return c.json(record, 202, { Location: '/api/v1/admin/projections' });
    },
  );

  return app;
}
