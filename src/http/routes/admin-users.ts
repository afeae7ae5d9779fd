import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { setRoles } from '../../commands/users/profile.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { bearer, errors, etag, IfMatchHeader, json, jsonBody, parseIfMatch, router } from '../openapi.js';
import { RoleSchema, UserSchema } from './user-schemas.js';
import { findUsers, USER_SCAN_LIMIT } from '../../queries/users/find-users.js';

export function adminUserRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['Users and auth'],
      summary: 'Find users (admin): by e-mail, phone or nickname prefix, and role',
      description:
        '`q` is a prefix of the e-mail when it has an @, of the phone when it is digits (with an optional +), else of the nickname (`by` names the field instead); ' +
        `results come in that field's order. Without \`q\`: everyone, newest first. \`role\` keeps those with the role; a request then looks at ${USER_SCAN_LIMIT} users at most, so a page may hold fewer than \`limit\` with a \`nextCursor\` to go on.`,
      security: bearer,
      middleware: [requireUser('admin')] as const,
      request: {
        query: z.object({
          q: z.string().trim().max(100).optional(),
          by: z.enum(['email', 'phone', 'nickname']).optional(),
          role: RoleSchema.optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: '1-100, default 20' }),
          cursor: z.string().max(500).optional().openapi({ description: "the previous page's nextCursor" }),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(UserSchema), nextCursor: z.string().nullable() }).openapi('UserPage'), 'a page of users'), ...errors(400, 401, 403) },
    }),
    async (c) => c.json(await findUsers(deps, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{id}/roles',
      tags: ['Users and auth'],
      summary: "Set a user's roles (admin; If-Match optional: the user's version)",
      security: bearer,
      middleware: [requireUser('admin')] as const,
      request: {
        params: z.object({ id: z.string().min(1).max(64) }),
        headers: IfMatchHeader,
        body: jsonBody(z.object({ roles: z.array(RoleSchema).min(1, 'a user needs at least one role').max(3) }).strict()),
      },
      responses: { 200: json(UserSchema, 'the user with its new roles'), ...errors(400, 401, 403, 404, 412, 415) },
    }),
    async (c) => {
      const expectedVersion = parseIfMatch(c.req.header('If-Match'));
      const result = await setRoles(deps, { userId: c.req.valid('param').id, roles: c.req.valid('json').roles, expectedVersion }, commandMetadata(c));
      return c.json(result.user, 200, { ETag: etag(result.user.version), 'X-Position': String(result.position) });
    },
  );

  return app;
}
