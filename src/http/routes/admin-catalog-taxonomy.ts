import { createRoute, z } from '@hono/zod-openapi';
import type { Deps } from '../../deps.js';
import { NotFoundError } from '../../kernel/errors.js';
import { changeCategory, createCategory, defineAttribute, deleteCategory } from '../../commands/catalog/categories.js';
import { changeFrontendCategory, createFrontendCategory } from '../../commands/catalog/frontend-categories.js';
import { createBrand, createSpu } from '../../commands/catalog/brands-spus.js';
import { getCategory, getSpu, listBrands, listCategories, listFrontendCategories } from '../../queries/catalog/catalog.js';
import { commandMetadata } from '../command-metadata.js';
import { requireUser } from '../middleware/auth.js';
import { errors, etag, IfMatchHeader, json, jsonBody, parseIfMatch, router } from '../openapi.js';
import {
  BrandSchema,
  CategorySchema,
  ChangeCategoryBody,
  ChangeFrontendCategoryBody,
  Created,
  CreateAttributeBody,
  CreateBrandBody,
  CreateCategoryBody,
  CreateFrontendCategoryBody,
  CreateSpuBody,
  FrontendCategorySchema,
  IdParam,
  PageQuery,
  Position,
  security,
  SpuSchema,
  tags,
} from './admin-catalog-schemas.js';

const admin = requireUser('admin');
const reader = requireUser('admin', 'merchant');
const ParentQuery = z.object({ parentId: z.string().max(64).optional().openapi({ description: 'children of this category; `root` for the top level' }), ...PageQuery });
const parentOf = (value: string | undefined) => (value === undefined ? undefined : value === 'root' ? null : value);
const page = <T extends z.ZodType>(item: T, name: string) => z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
const CategoryChanged = z.object({ id: z.string(), name: z.string(), parentId: z.string().nullable(), version: z.number().int(), position: Position }).openapi('CategoryChanged');

/** Backend categories, attribute templates, frontend categories, brands and SPUs: the platform's master data (admin writes). */
export function adminCatalogTaxonomyRoutes(deps: Deps) {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post', path: '/categories', tags, security, middleware: [admin] as const,
      summary: 'Create a backend category (name unique among its siblings)',
      request: { body: jsonBody(CreateCategoryBody) },
      responses: { 201: json(Created, 'created'), ...errors(400, 401, 403, 409, 415) },
    }),
    async (c) => {
      const result = await createCategory(deps, c.req.valid('json'), commandMetadata(c));
      return c.json({ id: result.id, position: String(result.position) }, 201, { ETag: etag(result.version), 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/categories', tags, security, middleware: [reader] as const,
      summary: 'List backend categories (with ancestor path and effective attribute templates)',
      request: { query: ParentQuery },
      responses: { 200: json(page(CategorySchema, 'CategoryPage'), 'a page of categories'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const { parentId, limit, cursor } = c.req.valid('query');
      return c.json(await listCategories(deps, { parentId: parentOf(parentId), limit, cursor }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/categories/{id}', tags, security, middleware: [reader] as const,
      summary: 'A backend category with its ancestor path and its own and inherited attribute templates',
      request: { params: IdParam },
      responses: { 200: json(CategorySchema, 'the category'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const category = await getCategory(deps, c.req.valid('param').id);
      if (!category) throw new NotFoundError('category');
      return c.json(category, 200, { ETag: etag(category.version) });
    },
  );

  app.openapi(
    createRoute({
      method: 'patch', path: '/categories/{id}', tags, security, middleware: [admin] as const,
      summary: 'Rename and/or move a backend category (no cycles; If-Match optional)',
      request: { params: IdParam, headers: IfMatchHeader, body: jsonBody(ChangeCategoryBody) },
      responses: { 200: json(CategoryChanged, 'changed'), ...errors(400, 401, 403, 404, 409, 412, 415) },
    }),
    async (c) => {
      const result = await changeCategory(
        deps,
        { categoryId: c.req.valid('param').id, ...c.req.valid('json'), expectedVersion: parseIfMatch(c.req.header('If-Match')) },
        commandMetadata(c),
      );
      const { categoryId, name, parentId } = result.category;
      return c.json({ id: categoryId, name, parentId, version: result.version, position: String(result.position) }, 200, {
        ETag: etag(result.version),
        'X-Position': String(result.position),
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'delete', path: '/categories/{id}', tags, security, middleware: [admin] as const,
      summary: 'Delete a backend category without sub-categories or products (409 CATEGORY_NOT_EMPTY otherwise; If-Match optional)',
      request: { params: IdParam, headers: IfMatchHeader },
      responses: { 204: { description: 'deleted' }, ...errors(400, 401, 403, 404, 409, 412) },
    }),
    async (c) => {
      const expectedVersion = parseIfMatch(c.req.header('If-Match'));
      const result = await deleteCategory(deps, { categoryId: c.req.valid('param').id, expectedVersion }, commandMetadata(c));
      return c.body(null, 204, { 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/attributes', tags, security, middleware: [admin] as const,
      summary: 'Define an attribute template on a category (inherited by its sub-categories)',
      description: 'Kept in the category stream (AttributeDefined). A name must be unique along the path from the category to the root.',
      request: { body: jsonBody(CreateAttributeBody) },
      responses: { 201: json(Created, 'defined'), ...errors(400, 401, 403, 409, 415) },
    }),
    async (c) => {
      const result = await defineAttribute(deps, c.req.valid('json'), commandMetadata(c));
      return c.json({ id: result.id, position: String(result.position) }, 201, { 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/frontend-categories', tags, security, middleware: [admin] as const,
      summary: 'Create a frontend (storefront) category mapped to backend categories',
      request: { body: jsonBody(CreateFrontendCategoryBody) },
      responses: { 201: json(Created, 'created'), ...errors(400, 401, 403, 415) },
    }),
    async (c) => {
      const result = await createFrontendCategory(deps, c.req.valid('json'), commandMetadata(c));
      return c.json({ id: result.id, position: String(result.position) }, 201, { ETag: etag(result.version), 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'patch', path: '/frontend-categories/{id}', tags, security, middleware: [admin] as const,
      summary: 'Rename, move or re-map a frontend category (If-Match optional)',
      request: { params: IdParam, headers: IfMatchHeader, body: jsonBody(ChangeFrontendCategoryBody) },
      responses: { 200: json(FrontendCategorySchema.extend({ position: Position }), 'changed'), ...errors(400, 401, 403, 404, 412, 415) },
    }),
    async (c) => {
      const result = await changeFrontendCategory(
        deps,
        { frontendCategoryId: c.req.valid('param').id, ...c.req.valid('json'), expectedVersion: parseIfMatch(c.req.header('If-Match')) },
        commandMetadata(c),
      );
      const { frontendCategoryId, name, parentId, backendCategoryIds } = result.category;
      return c.json({ id: frontendCategoryId, name, parentId, backendCategoryIds, version: result.version, position: String(result.position) }, 200, {
        ETag: etag(result.version),
        'X-Position': String(result.position),
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/frontend-categories', tags, security, middleware: [reader] as const,
      summary: 'List frontend categories (admin view)',
      request: { query: ParentQuery },
      responses: { 200: json(page(FrontendCategorySchema, 'FrontendCategoryPage'), 'a page of frontend categories'), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const { parentId, limit, cursor } = c.req.valid('query');
      return c.json(await listFrontendCategories(deps, { parentId: parentOf(parentId), limit, cursor }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/brands', tags, security, middleware: [admin] as const,
      summary: 'Create a brand (name unique)',
      request: { body: jsonBody(CreateBrandBody) },
      responses: { 201: json(Created, 'created'), ...errors(400, 401, 403, 409, 415) },
    }),
    async (c) => {
      const result = await createBrand(deps, c.req.valid('json'), commandMetadata(c));
      return c.json({ id: result.id, position: String(result.position) }, 201, { 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/brands', tags, security, middleware: [reader] as const,
      summary: 'List brands',
      request: { query: z.object(PageQuery) },
      responses: { 200: json(page(BrandSchema, 'BrandPage'), 'a page of brands'), ...errors(400, 401, 403) },
    }),
    async (c) => c.json(await listBrands(deps, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      method: 'post', path: '/spus', tags, security, middleware: [admin] as const,
      summary: 'Create a platform SPU (SPU-first mode): key attributes must fit the category’s key templates',
      request: { body: jsonBody(CreateSpuBody) },
      responses: { 201: json(Created, 'created'), ...errors(400, 401, 403, 415) },
    }),
    async (c) => {
      const result = await createSpu(deps, c.req.valid('json'), commandMetadata(c));
      return c.json({ id: result.id, position: String(result.position) }, 201, { 'X-Position': String(result.position) });
    },
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/spus/{id}', tags, security, middleware: [reader] as const,
      summary: 'An SPU',
      request: { params: IdParam },
      responses: { 200: json(SpuSchema, 'the SPU'), ...errors(401, 403, 404) },
    }),
    async (c) => {
      const spu = await getSpu(deps, c.req.valid('param').id);
      if (!spu) throw new NotFoundError('SPU');
      return c.json(spu, 200);
    },
  );

  return app;
}
