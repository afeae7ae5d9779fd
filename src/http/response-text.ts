import type { Context } from 'hono';

/**
 * The body text of responses built here from a string, so middleware that records a response (the
 * idempotency record) need not read it back: reading or cloning a response makes @hono/node-server
 * turn its light response into a full one with a stream.
 */
const knownText = new WeakMap<Response, string>();

export function withKnownText(response: Response, text: string): Response {
  knownText.set(response, text);
  return response;
}

/** Makes `c.json` remember the text of the responses it builds (for this request only). */
export function rememberJsonText(c: Context): void {
  const json = c.json;
  c.json = ((object: unknown, ...rest: unknown[]) => {
    const response = (json as (...args: unknown[]) => Response)(object, ...rest);
    return withKnownText(response, JSON.stringify(object));
  }) as typeof c.json;
}

/** The body of a response as text, without reading it when it is known. */
export async function responseText(response: Response): Promise<string> {
  return knownText.get(response) ?? (await response.clone().text());
}
