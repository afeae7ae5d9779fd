import type { ZodType } from 'zod';
import { NotFoundError, UnauthenticatedError, ValidationError } from './errors.js';

/** What a provider (payments, carriers) offers for its callbacks. */
export interface CallbackSigner {
  readonly name: string;
  verify(rawBody: string, signature: string | undefined): boolean;
}

/**
 * The shared front of every provider callback: the provider must be the one configured (404), the
 * signature must hold over the raw body (401, checked before anything is parsed), the body must be JSON.
 */
export function verifiedCallbackBody(provider: CallbackSigner, providerName: string, rawBody: string, signature: string | undefined, what: string): unknown {
  if (providerName !== provider.name) throw new NotFoundError(what);
  if (!provider.verify(rawBody, signature)) throw new UnauthenticatedError('the callback signature is missing or wrong');
  try {
    return JSON.parse(rawBody) as unknown;
  } catch {
    throw new ValidationError('the callback body is not JSON');
  }
}

/** Parses a verified callback body with its schema; a body of another shape is a 400 with field errors. */
export function callbackOfShape<T>(schema: ZodType<T>, body: unknown, what = 'callback'): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new ValidationError(`the ${what} body has an unexpected shape`, result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })));
  }
  return result.data;
}
