import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';

/**
 * Every route of /openapi.json, probed with bad input (odd path parameters, malformed or mistyped bodies,
 * garbage query strings and headers): never a 5xx, and every refusal is application/problem+json.
 */

let runtime: TestRuntime;
let api: ReturnType<typeof client>;
let token: string;
type Operation = { requestBody?: unknown };
let operations: Array<{ method: string; path: string; operation: Operation }>;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime.app);
  token = await runtime.deps.tokens.issueAccessToken({ userId: 'probe-1', roles: ['admin', 'merchant', 'customer'] }, new Date());
  const doc = (await api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
  operations = Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })));
});
afterAll(() => runtime?.close());

/** One probe per row: a path parameter, a body and a query string, sent together. */
const PROBES: Array<[param: string, body: string, query: string]> = [
  ['x', '{}', `?cursor=${Buffer.from('[{"a":1},"x"]').toString('base64url')}`],
  ['%00', '[]', '?limit=abc'],
  ['a'.repeat(300), 'null', '?limit=1e400'],
  ['..%2F..', '"x"', '?cursor=%00'],
  ['%F0%9F%92%A9', '{"a":', '?status=%00&userId=%00'],
  ['-1', '1e400', `?q=${'x'.repeat(5000)}`],
  ['1e400', JSON.stringify({ items: [{}], amount: { amount: 1e300 }, quantity: -1 }), '?page=-1&size=1e9'],
  ['null', JSON.stringify({ a: 'x'.repeat(10) }), '?from=garbage&to=garbage'],
];

const HEADERS: Array<Record<string, string>> = [
  { 'X-Min-Position': 'abc' },
  { 'X-Min-Position': '1e400' },
  { 'X-Min-Position': '-5' },
  { 'X-Cart-Token': 'x'.repeat(5000) },
  { 'X-Cart-Token': '%00' },
  { Authorization: 'Bearer a.b.c' },
  { Authorization: `ApiKey bzk_01ARZ3NDEKTSV4RRFFQ69G5FAV_${'A'.repeat(43)}` },
  { Authorization: 'Bearer' },
  { Authorization: 'x'.repeat(9000) },
  { 'If-Match': '"99999999999"' },
  { 'If-Match': 'garbage', 'Idempotency-Key': 'k'.repeat(400) },
];

function check(failures: string[], what: string, response: { status: number; headers: Headers; body: unknown }) {
  if (response.status >= 500) failures.push(`${what} → ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
  else if (response.status >= 400 && response.headers.get('content-type') !== 'application/problem+json') failures.push(`${what} → ${response.status} as ${response.headers.get('content-type')}`);
}

describe('probing every route with bad input', () => {
  it('never answers 5xx; refusals are problem+json (bad parameters, bodies, queries)', async () => {
    expect(operations.length).toBeGreaterThan(50);
    const failures: string[] = [];
    for (const { method, path, operation } of operations) {
      for (const [param, body, query] of PROBES) {
        const url = path.replace(/\{[^}]+\}/g, param) + query;
        const sent = operation.requestBody || method !== 'GET' ? body : undefined;
        const response = await api(method, url, { token, ...(sent === undefined ? {} : { body: sent, headers: { 'Content-Type': 'application/json' } }) });
        check(failures, `${method} ${url.slice(0, 100)} ${sent?.slice(0, 40) ?? ''}`, response);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('never answers 5xx; refusals are problem+json (bad headers)', async () => {
    const failures: string[] = [];
    for (const { method, path } of operations) {
      for (const headers of HEADERS) {
        const response = await api(method, path.replace(/\{[^}]+\}/g, 'x'), { headers, ...(method === 'GET' ? {} : { body: '{}' }) });
        check(failures, `${method} ${path} ${JSON.stringify(headers).slice(0, 80)}`, response);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
