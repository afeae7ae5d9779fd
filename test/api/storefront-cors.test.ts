import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { corsOrigins } from '../../src/http/middleware/cors.js';

/** CORS for browser storefronts: BAZAAR_CORS_ORIGINS, preflights, exposed headers. */

const preflight = (runtime: TestRuntime, origin: string) =>
  runtime.app.request('/api/v1/cart/items', {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, x-cart-token, authorization' },
  });

describe('CORS with a list of origins', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime({ BAZAAR_CORS_ORIGINS: 'https://shop.example.com, http://localhost:5173' });
  });
  afterAll(async () => {
    await runtime?.close();
  });

  it('answers the preflight of an allowed origin with the method and headers asked for', async () => {
    const response = await preflight(runtime, 'https://shop.example.com');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-cart-token');
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('exposes X-Cart-Token, X-Position and ETag on actual responses, errors included', async () => {
    const added = await runtime.app.request('/api/v1/cart', { headers: { Origin: 'http://localhost:5173' } });
    expect(added.status).toBe(200);
    expect(added.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const exposed = (added.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(',');
    expect(exposed).toEqual(expect.arrayContaining(['x-cart-token', 'x-position', 'etag']));

    const refused = await runtime.app.request('/api/v1/orders', { headers: { Origin: 'http://localhost:5173' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('gives another origin no Access-Control-Allow-Origin', async () => {
    const response = await preflight(runtime, 'https://evil.example.com');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const read = await runtime.app.request('/api/v1/cart', { headers: { Origin: 'https://evil.example.com' } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS defaults', () => {
  let runtime: TestRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.close();
  });

  it('allows every origin outside production', async () => {
    const response = await preflight(runtime, 'http://localhost:3001');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('allows none in production unless configured, and refuses a malformed setting', () => {
    expect(corsOrigins({ NODE_ENV: 'production' })).toEqual([]);
    expect(corsOrigins({ NODE_ENV: 'production', BAZAAR_CORS_ORIGINS: 'https://a.example.com,https://b.example.com/' })).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(corsOrigins({ NODE_ENV: 'development', BAZAAR_CORS_ORIGINS: 'none' })).toEqual([]);
    expect(() => loadConfig({ BAZAAR_CORS_ORIGINS: 'shop.example.com' }, { readDotEnv: false })).toThrow(ConfigError);
    expect(loadConfig({ BAZAAR_CORS_ORIGINS: 'https://shop.example.com/' }, { readDotEnv: false }).BAZAAR_CORS_ORIGINS).toBe('https://shop.example.com/');
  });
});
