import { withKnownText } from './response-text.js';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  ConcurrencyError,
  ConflictError,
  DomainError,
  EngineUnavailableError,
  ForbiddenError,
  InvalidStateTransition,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
  ValidationError,
  VersionConflict,
  type FieldError,
} from '../kernel/errors.js';
import { InvalidCursor } from '../kernel/cursor.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** `type` is RFC 9457's `about:blank` (the title is the status's phrase); the stable `code` names the problem. */
export function problem(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, code, detail, ...extra };
}

/** Extra status codes for domain error codes that are not 409 conflicts. */
const STATUS_BY_CODE: Record<string, number> = {
  INVALID_CODE: 400,
  IDEMPOTENCY_KEY_REUSED: 422,
  PRECONDITION_REQUIRED: 428,
  OUT_OF_STOCK: 409,
  PRICE_CHANGED: 409,
  INSUFFICIENT_FUNDS: 409,
  PRODUCT_UNAVAILABLE: 409,
  PROMOTION_INVALID: 409,
  FRAUD_SUSPECTED: 403,
  ORDER_NOT_EXPIRED: 409,
};

/** What a 503 for an unreachable or restarting engine tells the client (the engine's name stays in the logs). */
export const UNAVAILABLE_DETAIL = 'the service is briefly unavailable (a storage engine is unreachable or restarting); retry after Retry-After seconds with the same Idempotency-Key';

/** The one place that maps errors to HTTP. Unknown errors become a 500 without details. */
export function toProblem(error: unknown): { problem: Problem; headers?: Record<string, string>; unexpected: boolean } {
  const unavailable = engineUnavailable(error);
  if (unavailable) {
    return { ...expected(problem(503, unavailable.code, UNAVAILABLE_DETAIL)), headers: { 'Retry-After': String(Math.max(1, Math.ceil(unavailable.retryAfterSeconds))) } };
  }
  if (error instanceof ValidationError) return expected(problem(400, error.code, error.message, error.errors.length ? { errors: error.errors } : {}));
  if (error instanceof NotFoundError) return expected(problem(404, error.code, error.message));
  if (error instanceof UnauthenticatedError) return { ...expected(problem(401, error.code, error.message)), headers: { 'WWW-Authenticate': 'Bearer' } };
  if (error instanceof ForbiddenError) return expected(problem(403, error.code, error.message));
  if (error instanceof VersionConflict) return expected(problem(412, error.code, error.message, { currentVersion: error.actual }));
  if (error instanceof RateLimitedError) {
    return { ...expected(problem(429, error.code, error.message)), headers: { 'Retry-After': String(error.retryAfterSeconds) } };
  }
  if (error instanceof ConcurrencyError) return expected(problem(409, 'CONCURRENCY_CONFLICT', 'the resource changed while this request ran; retry it'));
  if (error instanceof InvalidStateTransition || error instanceof ConflictError) return expected(problem(409, error.code, error.message, error.details ?? {}));
  if (error instanceof DomainError) return expected(problem(STATUS_BY_CODE[error.code] ?? 409, error.code, error.message, error.details ?? {}));
  if (error instanceof InvalidCursor) return expected(problem(400, 'VALIDATION_FAILED', error.message, { errors: [{ path: 'cursor', message: error.message }] }));
  if (error instanceof HTTPException) {
    const status = error.status;
    if (status === 415) return expected(problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json'));
    if (status === 413) return expected(problem(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large'));
    const code = status === 400 ? 'MALFORMED_REQUEST' : status === 401 ? 'UNAUTHENTICATED' : `HTTP_${status}`;
    return expected(problem(status, code, error.message || TITLES[status] || 'error'));
  }
  return { problem: problem(500, 'INTERNAL', 'something went wrong on our side; the error was logged'), unexpected: true };
}

/** The EngineUnavailableError an error is, or was caused by (a few `cause` links deep), or null. */
function engineUnavailable(error: unknown): EngineUnavailableError | null {
  for (let depth = 0; depth < 4 && error instanceof Error; depth++, error = error.cause) {
    if (error instanceof EngineUnavailableError) return error;
  }
  return null;
}

const expected = (body: Problem) => ({ problem: body, unexpected: false });

export function problemResponse(body: Problem, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  const allHeaders = { 'Content-Type': 'application/problem+json', ...headers };
  return withKnownText(new Response(text, { status: body.status as ContentfulStatusCode, headers: allHeaders }), text, allHeaders);
}
