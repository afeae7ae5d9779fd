/** Domain and application errors. src/http/problem.ts maps them to HTTP in one place. */

export interface FieldError {
  path: string;
  message: string;
}

/**
 * A refusal the domain answers with (a 4xx), not a bug: it carries no stack trace, as capturing one is the
 * costliest part of building an error and a flash sale refuses thousands per second.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = new.target.name;
  }
}

/** Input that breaks a rule of the domain (400). */
export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super('VALIDATION_FAILED', message);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} was not found`);
  }
}

/** The resource exists but the command does not fit its state (409). */
export class InvalidStateTransition extends DomainError {
  constructor(
    readonly from: string,
    readonly action: string,
  ) {
    super('INVALID_STATE_TRANSITION', `cannot ${action} while ${from}`);
  }
}

/** A uniqueness or business conflict other than a state transition (409). */
export class ConflictError extends DomainError {}

/** The store refused an append: the stream moved on since it was read. */
export class ConcurrencyError extends DomainError {
  constructor(
    readonly streamId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super('CONCURRENCY_CONFLICT', `stream ${streamId}: expected revision ${expected}, actual ${actual}`);
  }
}

/** The client's If-Match names an old revision (412). */
export class VersionConflict extends DomainError {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super('VERSION_CONFLICT', `the resource is at version ${actual}, not ${expected}; reload it and try again`);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'authentication required') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'you are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}

export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('RATE_LIMITED', message);
  }
}

/**
 * An engine (PostgreSQL, Redis, …) cannot be reached or refuses work for now: down, restarting, failing over,
 * or too slow to answer within its bound. Not a DomainError (a refusal the caller should accept): the same
 * request can succeed a moment later, so HTTP answers 503 with Retry-After, and reactors and projections try
 * again instead of giving up. Adapters throw it for their engine's connection failures (with the driver's
 * error as `cause`); src/http/problem.ts maps it.
 */
export class EngineUnavailableError extends Error {
  readonly code = 'SERVICE_UNAVAILABLE';

  constructor(
    readonly engine: string,
    readonly retryAfterSeconds = 2,
    options: { cause?: unknown } = {},
  ) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`${engine} is unavailable${reason}`, options);
    this.name = 'EngineUnavailableError';
  }
}

/**
 * Wraps every method of an adapter object so that an error `translate` recognises (a lost connection) is
 * thrown as what it returns (an EngineUnavailableError) instead. Methods that return no promise are wrapped
 * for synchronous throws only; the returned value is passed on untouched.
 */
export function translateErrors<T extends object>(target: T, translate: (error: unknown) => unknown): T {
  const wrapped = { ...target } as Record<string, unknown>;
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function') continue;
    const method = value as (...args: unknown[]) => unknown;
    wrapped[name] = function (this: unknown, ...args: unknown[]) {
      let result: unknown;
      try {
        result = method.apply(this === wrapped ? target : this, args);
      } catch (error) {
        throw translate(error);
      }
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          throw translate(error);
        });
      }
      return result;
    };
  }
  return wrapped as T;
}
