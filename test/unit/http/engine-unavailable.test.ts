import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError, EngineUnavailableError, NotFoundError, translateErrors } from '../../../src/kernel/errors.js';
import { problemResponse, toProblem } from '../../../src/http/problem.js';
import { isPostgresUnavailable, postgresError } from '../../../src/adapters/postgres/pool.js';
import { isRedisUnavailable, redisError } from '../../../src/adapters/keyvalue/redis.js';
import { errors } from '../../../src/http/openapi.js';

/** An error as a driver raises it: a message, and maybe a code (SQLSTATE, errno) or a class name. */
const driverError = (message: string, extra: { code?: string; name?: string } = {}) => Object.assign(new Error(message), extra);

describe('EngineUnavailableError → HTTP', () => {
  it('is a 503 problem with Retry-After, code SERVICE_UNAVAILABLE, and no detail of the engine or the driver', () => {
    const mapped = toProblem(new EngineUnavailableError('postgresql', 2, { cause: driverError('connect ECONNREFUSED 10.0.0.7:5432', { code: 'ECONNREFUSED' }) }));
    expect(mapped.unexpected).toBe(false);
    expect(mapped.headers).toEqual({ 'Retry-After': '2' });
    expect(mapped.problem).toMatchObject({ status: 503, title: 'Service Unavailable', code: 'SERVICE_UNAVAILABLE', type: 'about:blank' });
    expect(mapped.problem.detail).not.toMatch(/postgres|ECONNREFUSED|10\.0\.0\.7/i);
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    expect(toProblem(new EngineUnavailableError('redis', 0.2)).headers).toEqual({ 'Retry-After': '1' });
    expect(toProblem(new EngineUnavailableError('redis', 2.5)).headers).toEqual({ 'Retry-After': '3' });
  });

  it('is found behind an error that wraps it (cause)', () => {
    const wrapped = new Error('could not place the order', { cause: new EngineUnavailableError('redis') });
    expect(toProblem(wrapped).problem.status).toBe(503);
    expect(toProblem(new Error('boom')).problem.status).toBe(500);
  });

  it('answers as application/problem+json through an app, never a 500 or a stack trace', async () => {
    const app = new Hono();
    app.get('/x', () => {
      throw postgresError(driverError('Connection terminated unexpectedly'));
    });
    app.onError((error) => {
      const mapped = toProblem(error);
      return problemResponse(mapped.problem, mapped.headers);
    });
    const response = await app.request('/x');
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('retry-after')).toBe('2');
    const text = await response.text();
    expect(text).not.toMatch(/at .*\.ts:\d+|Connection terminated/);
    expect(JSON.parse(text).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('is documented as a response of every route that lists its errors', () => {
    expect(errors(400)).toHaveProperty('503');
    expect(Object.keys(errors(404, 409))).toEqual(['404', '409', '503']);
  });
});

describe('PostgreSQL errors that mean the server is away', () => {
  it.each([
    ['refused', driverError('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })],
    ['reset', driverError('read ECONNRESET', { code: 'ECONNRESET' })],
    ['timed out', driverError('connect ETIMEDOUT', { code: 'ETIMEDOUT' })],
    ['happy eyeballs', new AggregateError([driverError('connect ECONNREFUSED ::1:5432', { code: 'ECONNREFUSED' }), driverError('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })])],
    ['terminated', driverError('Connection terminated unexpectedly')],
    ['pool timeout', driverError('timeout exceeded when trying to connect')],
    ['class 08', driverError('connection failure', { code: '08006' })],
    ['admin shutdown', driverError('terminating connection due to administrator command', { code: '57P01' })],
    ['crash shutdown', driverError('terminating connection because of crash of another server process', { code: '57P02' })],
    ['starting up', driverError('the database system is starting up', { code: '57P03' })],
    ['statement timeout', driverError('canceling statement due to statement timeout', { code: '57014' })],
    ['too many connections', driverError('sorry, too many clients already', { code: '53300' })],
  ])('%s → EngineUnavailableError', (_, error) => {
    expect(isPostgresUnavailable(error)).toBe(true);
    const translated = postgresError(error);
    expect(translated).toBeInstanceOf(EngineUnavailableError);
    expect((translated as EngineUnavailableError).engine).toBe('postgresql');
    expect((translated as EngineUnavailableError).cause).toBe(error);
  });

  it.each([
    ['unique violation', driverError('duplicate key value violates unique constraint', { code: '23505' })],
    ['undefined table', driverError('relation does not exist', { code: '42P01' })],
    ['syntax', driverError('syntax error', { code: '42601' })],
    ['a conflict of the port', new ConcurrencyError('s', '1', '2')],
    ['a domain refusal', new NotFoundError('order')],
    ['not an error', 'ECONNREFUSED'],
  ])('%s passes through unchanged', (_, error) => {
    expect(isPostgresUnavailable(error)).toBe(false);
    expect(postgresError(error)).toBe(error);
  });
});

describe('Redis errors that mean the server is away', () => {
  it.each([
    ['retries used up', driverError('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.', { name: 'MaxRetriesPerRequestError' })],
    ['no answer', driverError('Command timed out')],
    ['closed', driverError('Connection is closed.')],
    ['refused', driverError('connect ECONNREFUSED 127.0.0.1:6379', { code: 'ECONNREFUSED' })],
    ['loading', driverError('LOADING Redis is loading the dataset in memory')],
    ['cluster down', driverError('CLUSTERDOWN The cluster is down')],
    ['cluster slots', driverError('Failed to refresh slots cache.', { name: 'ClusterAllFailedError' })],
  ])('%s → EngineUnavailableError', (_, error) => {
    expect(isRedisUnavailable(error)).toBe(true);
    expect(redisError(error)).toBeInstanceOf(EngineUnavailableError);
  });

  it.each([
    ['wrong type', driverError('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['script error', driverError('ERR value is not an integer')],
  ])('%s passes through unchanged', (_, error) => {
    expect(redisError(error)).toBe(error);
  });
});

describe('translateErrors', () => {
  const away = driverError('gone', { code: 'ECONNRESET' });
  const translate = (error: unknown) => (error === away ? new EngineUnavailableError('test') : error);

  it('translates rejections and synchronous throws of every method, and passes values and other errors on', async () => {
    const other = new Error('other');
    const adapter = translateErrors(
      {
        ok: async () => 1,
        rejects: async () => {
          throw away;
        },
        throwsSync: (): number => {
          throw away;
        },
        fails: async () => {
          throw other;
        },
        plain: () => 'value',
        flag: true,
      },
      translate,
    );
    await expect(adapter.ok()).resolves.toBe(1);
    await expect(adapter.rejects()).rejects.toBeInstanceOf(EngineUnavailableError);
    expect(() => adapter.throwsSync()).toThrow(EngineUnavailableError);
    await expect(adapter.fails()).rejects.toBe(other);
    expect(adapter.plain()).toBe('value');
    expect(adapter.flag).toBe(true);
  });
});
