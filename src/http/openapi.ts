import { OpenAPIHono, z, type Hook } from '@hono/zod-openapi';
import type { ZodType } from 'zod';
import { ValidationError } from '../kernel/errors.js';
import type { AppEnv } from './env.js';

/** Field errors a person can act on, from zod issues. */
const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) {
    const errors = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));
    throw new ValidationError(validationDetail(errors), errors);
  }
};

/** The detail names the broken rule itself ("password must be at least 8 characters"), not only the field list. */
function validationDetail(errors: Array<{ path: string; message: string }>): string {
  const [first] = errors;
  if (!first) return 'the request is not valid';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more: see errors)` : '';
  const subject = first.path === '(body)' ? 'the body' : first.path;
  return `${subject} ${first.message.replace(new RegExp(`^${first.path.split('.').pop()} `), '')}${more}`;
}

/**
 * A sub-app whose routes validate with zod and document themselves in /openapi.json. Request headers a
 * route declares are documented, not validated by a schema: a header schema makes Hono copy every request
 * header into a Headers object on each request (about 4 % of a refused checkout), and the code that reads
 * a header checks it (Idempotency-Key, If-Match, the cart token, signatures).
 */
export const router = () => {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const openapi = app.openapi;
  app.openapi = ((route, handler, hook) => {
    if (!route.request?.headers) return openapi(route, handler, hook);
    const { middleware: _middleware, hide, ...documented } = route;
    if (!hide) app.openAPIRegistry.registerPath(documented);
    const { headers: _headers, ...request } = route.request;
    return openapi({ ...route, request, hide: true }, handler, hook);
  }) as typeof app.openapi;
  return app;
};

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ example: 'VALIDATION_FAILED' }),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export const MoneySchema = z
  .object({
    amount: z.number().int().openapi({ description: 'integer minor units (fen for CNY)', example: 1999 }),
    currency: z.string().regex(/^[A-Z]{3}$/).openapi({ example: 'CNY' }),
  })
  .openapi('Money');

/** A required JSON request body (415 for another content type, 400 for malformed JSON or a missing body). */
export const jsonBody = <T extends ZodType>(schema: T, description?: string) => ({
  content: { 'application/json': { schema } },
  required: true,
  ...(description ? { description } : {}),
});

export const json = <T extends ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

/**
 * Standard error responses for the OpenAPI document. Every route that lists its errors also gets 503: any
 * request can meet a storage engine that is unreachable or restarting (docs/operations.md, Engine outages).
 */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(
    [...new Set([...statuses, 503])].map((status) => [
      status,
      {
        description:
          {
            400: 'invalid input (field-level `errors`)',
            401: 'missing or invalid credentials',
            403: 'not allowed for this role',
            404: 'not found',
            409: 'conflicts with the current state',
            412: 'If-Match names an old version',
            415: 'body is not application/json',
            422: 'Idempotency-Key reused with another body',
            429: 'rate limited; see Retry-After',
            503: 'SERVICE_UNAVAILABLE: a storage engine is unreachable or restarting; retry after Retry-After seconds (commands with the same Idempotency-Key)',
          }[status] ?? 'error',
        ...(status === 503 ? { headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' as const } } } } : {}),
        content: problemContent,
      },
    ]),
  );

export const bearer = [{ bearerAuth: [] }];

export const IdempotencyKeyHeader = z.object({
  'idempotency-key': z.string().optional().openapi({ description: 'replays the first response for the same key and body' }),
});

export const IfMatchHeader = z.object({
  'if-match': z.string().optional().openapi({ description: 'the ETag (version) last read; a stale value is 412' }),
});

/** Parses an If-Match header (`"3"`, `3` or `W/"3"`) into a stream revision; `*` (any current version) checks nothing. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,12})"?$/.exec(header.trim());
  if (!match) throw new ValidationError('If-Match must be an ETag this server returned', [{ path: 'If-Match', message: 'expected a version such as "3"' }]);
  return Number(match[1]);
}

export const etag = (version: number) => `"${version}"`;
