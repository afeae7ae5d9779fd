import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { publishHomePage } from '../../commands/catalog/home-page.js';
import { getHomePage, resolvedHomePage } from '../../queries/catalog/home.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { bearer, errors, etag, IfMatchHeader, json, jsonBody, parseIfMatch, router } from '../openapi.js';
import { HomePageBody, HomePageDefinitionSchema, HomePagePublishedSchema, HomePageSchema, tags } from './storefront-schemas.js';

const adminTags = ['Product center'];

/** The app's home page: GET /home (public, resolved) and GET / PUT /admin/home (admins compose it). */
export function homeRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get', path: '/home', tags,
      summary: 'The home page, with its collections resolved to product cards',
      description: 'Manual collections keep their order and skip products that are not listed now; rule collections run as searches when read. Before any publication the page is empty.',
      responses: { 200: json(HomePageSchema, 'the home page') },
    }),
    async (c) => c.json(await resolvedHomePage(deps), 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/admin/home', tags: adminTags, security: bearer, middleware: [requireUser('admin')] as const,
      summary: 'The home page as composed (ETag: its version)',
      responses: { 200: json(HomePageDefinitionSchema, 'the published page'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const page = await getHomePage(deps);
      if (!page) throw new NotFoundError('home page');
      const { banners, featuredFrontendCategoryIds, collections, version, publishedAt } = page;
      return c.json({ banners, featuredFrontendCategoryIds, collections, version, publishedAt }, 200, { ETag: etag(version) });
    },
  );

  app.openapi(
    createRoute({
      method: 'put', path: '/admin/home', tags: adminTags, security: bearer, middleware: [requireUser('admin')] as const,
      summary: 'Publish the home page: banners, featured frontend categories, product collections (If-Match optional)',
      description:
        'Replaces the whole page (event HomePagePublished on stream `home-page`). A collection is `manual` (product ids in display order) or `rule` (a frontend or backend category, a sort and a limit ≤ 50, run as a search when the page is read). Referenced frontend categories, categories and products must exist (400 with the field path otherwise). Publishing the same page again appends nothing.',
      request: { headers: IfMatchHeader, body: jsonBody(HomePageBody) },
      responses: { 200: json(HomePagePublishedSchema, 'published'), ...errors(400, 401, 403, 412, 415) },
    }),
    async (c) => {
      const result = await publishHomePage(deps, { content: c.req.valid('json'), expectedVersion: parseIfMatch(c.req.header('If-Match')) }, commandMetadata(c));
      return c.json({ version: result.version, position: String(result.position) }, 200, { ETag: etag(result.version), 'X-Position': String(result.position) });
    },
  );

  return app;
}
