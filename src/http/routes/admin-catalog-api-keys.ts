import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { issueApiKey, revokeApiKey } from '../../commands/catalog/api-keys.js';
import { listApiKeys } from '../../queries/catalog/catalog.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { bearer, errors, json, jsonBody, router } from '../openapi.js';
import { ApiKeyBody, ApiKeyCreated, ApiKeySchema, catalogActor, IdParam, PageQuery, tags } from './admin-catalog-schemas.js';

const staff = requireUser('admin', 'merchant');

/** Merchant API keys for server-to-server item sync (managed with a bearer token only, never with a key). */
export function adminCatalogApiKeyRoutes(deps: Deps) {
  const app = router();

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: '`Authorization: ApiKey <key>` (from POST /api/v1/admin/api-keys): acts as the key’s merchant, on the product-center routes and the merchant’s order routes (GET /merchant/orders, GET /orders/{id}, shipments) only',
  });

  app.openapi(
    createRoute({
      method: 'post', path: '/api-keys', tags, security: bearer, middleware: [staff] as const,
      summary: 'Create an API key acting as this merchant (the key is shown once)',
      description: 'Only the sha256 of the key is stored. Use it as `Authorization: ApiKey <key>` on the product-center routes (categories, brands, attributes, SPUs, products, SKUs, bulk jobs) and the merchant’s order routes (GET /merchant/orders, GET /orders/{id}, POST/GET/PATCH /admin/orders/{id}/shipments); it reaches the merchant’s own products and orders only. An admin may name merchantId (default "platform").',
      request: { body: jsonBody(ApiKeyBody) },
      responses: { 201: json(ApiKeyCreated, 'created'), ...errors(400, 401, 403, 415) },
    }),
    async (c) => {
      const result = await issueApiKey(deps, catalogActor(c), c.req.valid('json'), commandMetadata(c));
      return c.json({ ...result, position: String(result.position) }, 201, { 'X-Position': String(result.position), 'Cache-Control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/api-keys', tags, security: bearer, middleware: [staff] as const,
      summary: 'List API keys (a merchant sees its own; never the keys themselves)',
      request: { query: z.object(PageQuery) },
      responses: { 200: json(z.object({ items: z.array(ApiKeySchema), nextCursor: z.string().nullable() }).openapi('ApiKeyPage'), 'a page of keys'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const actor = catalogActor(c);
      return c.json(await listApiKeys(deps, { ...c.req.valid('query'), merchantId: actor.role === 'admin' ? undefined : actor.id }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete', path: '/api-keys/{id}', tags, security: bearer, middleware: [staff] as const,
      summary: 'Revoke an API key (refused from the next request on)',
      request: { params: IdParam },
      responses: { 204: { description: 'revoked' }, ...errors(401, 403, 404) },
    }),
    async (c) => {
      const result = await revokeApiKey(deps, catalogActor(c), c.req.valid('param').id, commandMetadata(c));
      return c.body(null, 204, { 'X-Position': String(result.position) });
    },
  );

  return app;
}
