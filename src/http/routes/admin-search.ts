import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { SYNONYM_LIMITS } from '../../domain/search/synonyms.js';
import { deleteSynonymGroup, setSynonymGroup } from '../../commands/search/synonyms.js';
import { listSynonymGroups } from '../../queries/catalog/search-synonyms.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { bearer, errors, json, jsonBody, router } from '../openapi.js';

const tags = ['Product center'];

const GroupId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, - and _, at most 64')
  .openapi({ param: { name: 'id', in: 'path' }, example: 'notebook' });

const SynonymGroupSchema = z.object({ id: z.string(), terms: z.array(z.string()) }).openapi('SynonymGroup');

const SynonymGroupBody = z
  .object({
    terms: z
      .array(z.string().max(SYNONYM_LIMITS.maxTermLength))
      .min(SYNONYM_LIMITS.minTerms)
      .max(SYNONYM_LIMITS.maxTerms)
      .openapi({ description: 'words or phrases a query may use for one another', example: ['笔记本', '笔记本电脑'] }),
  })
  .strict()
  .openapi('SynonymGroupBody');

const positionHeader = (position: number) => ({ 'X-Position': String(position) });

/** Search synonyms (admins): groups of equivalent words applied by every search when it runs. */
export function adminSearchRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get', path: '/search/synonyms', tags, security: bearer, middleware: [requireUser('admin')] as const,
      summary: 'The search synonym groups',
      responses: { 200: json(z.object({ items: z.array(SynonymGroupSchema) }), 'every group, by id'), ...errors(401, 403) },
    }),
    async (c) => c.json({ items: await listSynonymGroups(deps) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'put', path: '/search/synonyms/{id}', tags, security: bearer, middleware: [requireUser('admin')] as const,
      summary: 'Create or replace a synonym group (笔记本 ↔ 笔记本电脑, tee ↔ t-shirt)',
      description:
        'Event SynonymGroupSet on stream `search-synonyms`. A query word or phrase equal to a term of the group (as the analyzer folds it) also matches every other term; the words typed rank first. Searches apply it as soon as the search projection has it (`X-Position`), without reindexing. 2–20 different terms, each with a word.',
      request: { params: z.object({ id: GroupId }), body: jsonBody(SynonymGroupBody) },
      responses: { 200: json(SynonymGroupSchema, 'the group as stored'), ...errors(400, 401, 403, 415) },
    }),
    async (c) => {
      const result = await setSynonymGroup(deps, { groupId: c.req.valid('param').id, terms: c.req.valid('json').terms }, commandMetadata(c));
      return c.json({ id: result.groupId, terms: result.terms }, 200, positionHeader(result.position));
    },
  );

  app.openapi(
    createRoute({
      method: 'delete', path: '/search/synonyms/{id}', tags, security: bearer, middleware: [requireUser('admin')] as const,
      summary: 'Delete a synonym group',
      request: { params: z.object({ id: GroupId }) },
      responses: { 204: { description: 'deleted' }, ...errors(401, 403, 404) },
    }),
    async (c) => {
      const result = await deleteSynonymGroup(deps, c.req.valid('param').id, commandMetadata(c)).catch((error: unknown) => {
        throw error instanceof NotFoundError ? new NotFoundError('synonym group') : error;
      });
      return c.body(null, 204, positionHeader(result.position));
    },
  );

  return app;
}
