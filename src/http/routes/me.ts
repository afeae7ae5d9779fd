import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { updateProfile } from '../../commands/users/profile.js';
import { getUser } from '../../queries/users/users.js';
import { commandMetadata } from '../command-metadata.js';
import { currentUser, requireUser } from '../middleware/auth.js';
import { bearer, errors, etag, IfMatchHeader, json, jsonBody, parseIfMatch, router } from '../openapi.js';
import { ProfilePatchSchema, UserSchema } from './user-schemas.js';

const tags = ['Users and auth'];

export function meRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags,
      summary: 'My profile',
      security: bearer,
      middleware: [requireUser()] as const,
      responses: { 200: json(UserSchema, 'the signed-in user'), ...errors(401, 404) },
    }),
    async (c) => {
      const user = await getUser(deps, currentUser(c).id);
      if (!user) throw new NotFoundError('user');
      return c.json(user, 200, { ETag: etag(user.version) });
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/',
      tags,
      summary: 'Change my profile (If-Match optional)',
      security: bearer,
      middleware: [requireUser()] as const,
      request: { headers: IfMatchHeader, body: jsonBody(ProfilePatchSchema) },
      responses: { 200: json(UserSchema, 'the updated profile'), ...errors(400, 401, 412, 415) },
    }),
    async (c) => {
      const result = await updateProfile(
        deps,
        { userId: currentUser(c).id, changes: c.req.valid('json'), expectedVersion: parseIfMatch(c.req.header('If-Match')) },
        commandMetadata(c),
      );
      return c.json(result.user, 200, { ETag: etag(result.user.version), 'X-Position': String(result.position) });
    },
  );

  return app;
}
