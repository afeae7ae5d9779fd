import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { postTransfer } from '../../src/commands/accounts/transfers.js';

/** Every list route of /openapi.json refuses a crafted pagination cursor with 400 VALIDATION_FAILED (never a 500). */

let runtime: TestRuntime;
let api: ReturnType<typeof client>;
let token: string;
let listRoutes: string[];

/** Values for the path parameters of list routes (a list inside a resource), each one that exists. */
const PATH_PARAMS: Record<string, string> = { accountId: 'wallet.cursor-probe' };

const b64 = (json: string) => Buffer.from(json).toString('base64url');

/** Valid base64url JSON of the wrong shape or types, and strings that are not cursors at all. */
const CRAFTED: Array<[string, string]> = [
  ['object sort key', b64('[{"a":1},"x"]')],
  ['array sort key', b64('[[1,2],"x"]')],
  ['object id', b64('["2026-01-01",{"a":1}]')],
  ['number id', b64('[1,2]')],
  ['empty id', b64('[null,""]')],
  ['one part', b64('["x"]')],
  ['three parts', b64('["x","y","z"]')],
  ['not an array', b64('{"sortKey":1,"id":"x"}')],
  ['a string', b64('"x"')],
  ['an infinite number', b64('[1e400,"x"]')],
  ['not base64url', 'not a cursor!'],
  ['not JSON', b64('[1,')],
];

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = client(runtime.app);
  // Every role, so each list route's own checks pass and only the cursor is in question.
  token = await runtime.deps.tokens.issueAccessToken({ userId: 'probe-1', roles: ['admin', 'merchant', 'customer'] }, new Date());
  // A ledger account, so GET /api/v1/admin/finance/accounts/{accountId}/entries has one to page.
  await postTransfer(runtime.deps, { transferId: 'topup-cursor-probe', from: 'platform.wallet-funding', to: PATH_PARAMS.accountId!, amount: 100, currency: 'CNY', cause: { type: 'WalletTopUp', id: 'cursor-probe' } });
  expect(await runtime.deps.projections.waitFor(await runtime.deps.store.headPosition(), 5000)).toBe(true);
  const doc = (await api('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>> };
  listRoutes = Object.entries(doc.paths)
    .filter(([, operations]) => operations.get?.parameters?.some((p) => p.in === 'query' && p.name === 'cursor'))
    .map(([path]) => path.replace(/\{(\w+)\}/g, (whole, name: string) => PATH_PARAMS[name] ?? whole));
});

afterAll(() => runtime?.close());

describe('pagination cursors', () => {
  it('finds the list routes in /openapi.json', () => {
    expect(listRoutes).toEqual(expect.arrayContaining(['/api/v1/orders', '/api/v1/me/wallet', '/api/v1/merchant/orders', '/api/v1/admin/payments/flagged', '/api/v1/admin/finance/accounts/wallet.cursor-probe/entries']));
    expect(listRoutes.filter((path) => path.includes('{'))).toEqual([]); // every path parameter has a value in PATH_PARAMS
  });

  it('accepts a well-formed cursor on every list route', async () => {
    for (const path of listRoutes) {
      const response = await api('GET', `${path}?cursor=${b64('[null,"zzz"]')}`, { token });
      expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(200);
    }
  });

  it('refuses every crafted cursor on every list route with 400 VALIDATION_FAILED', async () => {
    for (const path of listRoutes) {
      for (const [what, cursor] of CRAFTED) {
        const response = await api('GET', `${path}?cursor=${encodeURIComponent(cursor)}`, { token });
        expect(response.status, `${path} with ${what}: ${JSON.stringify(response.body)}`).toBe(400);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'cursor', message: expect.any(String) }] });
      }
    }
  });
});
