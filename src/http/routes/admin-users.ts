import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { setRoles } from '../../commands/users/profile.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { bearer, errors, etag, json, jsonBody, router } from '../openapi.js';
import { RoleSchema, UserSchema } from './user-schemas.js';

export function adminUserRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{id}/roles',
      tags: ['Users and auth'],
      summary: "Set a user's roles (admin)",
      security: bearer,
      middleware: [requireUser('admin')] as const,
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        body: jsonBody(z.object({ roles: z.array(RoleSchema).min(1, 'a user needs at least one role').max(3) }).strict()),
      },
      responses: { 200: json(UserSchema, 'the user with its new roles'), ...errors(400, 401, 403, 404, 415) },
    }),
    async (c) => {
      const result = await setRoles(deps, { userId: c.req.valid('param').id, roles: c.req.valid('json').roles }, commandMetadata(c));
      return c.json(result.user, 200, { ETag: etag(result.user.version), 'X-Position': String(result.position) });
    },
  );

  return app;
}
