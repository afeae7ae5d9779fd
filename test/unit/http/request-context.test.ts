import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import pino from 'pino';
import { createMetrics } from '../../../src/http/metrics.js';
import { requestContext } from '../../../src/http/middleware/request-context.js';
import type { AppEnv } from '../../../src/http/env.js';

function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: ['password', '*.password'], censor: '[redacted]' } }, sink);
  return { logger, lines };
}

describe('requestContext', () => {
  it('writes one access line per request with its request id, status and route, and keeps redacting what handlers log', async () => {
    const { logger, lines } = capturedLogger();
    const app = new Hono<AppEnv>();
    app.use('*', requestContext(logger, createMetrics()));
    app.post('/things/:id', (c) => {
      c.get('log').info({ password: 'hunter2', detail: { password: 'again' } }, 'handler says');
      return c.json({ ok: true }, 201);
    });

    const response = await app.request('/things/7', { method: 'POST', headers: { 'X-Request-Id': 'req-1' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBe('req-1');

    const handlerLine = lines.find((line) => line.msg === 'handler says')!;
    expect(handlerLine).toMatchObject({ requestId: 'req-1', password: '[redacted]', detail: { password: '[redacted]' } });
    const access = lines.filter((line) => line.msg === 'request');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ requestId: 'req-1', method: 'POST', path: '/things/7', route: '/things/:id', status: 201 });
    expect(typeof access[0]!.ms).toBe('number');
  });
});
