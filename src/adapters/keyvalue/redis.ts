import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type { KeyValue, SetOptions } from '../../ports/key-value.js';
import { requireTokenCount } from './checks.js';
import { EngineUnavailableError, translateErrors } from '../../kernel/errors.js';

/**
 * Redis Cluster. Every command this adapter sends names one key (each Lua script declares one key, KEYS[1],
 * and touches no other; there is no MULTI), so keys spread over the hash slots freely and no hash tags are
 * needed. A script or transaction that ever takes several keys must give them one hash tag (`{…}`) so they
 * share a slot: test/unit/keyvalue/redis-slots.test.ts checks every command's keys map to one slot.
 */

/**
 * INCRBY that sets the expiry only when this call created the key, in one atomic step (a script
 * runs alone on the server). KEYS[1] = key, ARGV[1] = increment, ARGV[2] = ttl in ms (0: none).
 */
const INCR_WITH_TTL = `
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if created and ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return value
`;

/**
 * Compare-and-set of a string value, atomic because a script runs alone on the server. KEYS[1] = key;
 * ARGV[1] = '1' when the key must be absent (else ARGV[2] is the expected value); ARGV[3] = '1' to
 * delete (else ARGV[4] is the new value); ARGV[5] = ttl in ms (0: none). Returns 1 when it wrote.
 * GET answers false for a missing key (and fails for a key that is not a string, as GET does).
 */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[1])
else
  local ttl = tonumber(ARGV[5])
  if ttl > 0 then
    redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
  else
    redis.call('SET', KEYS[1], ARGV[4])
  end
end
return 1
`;

/**
 * The flash-sale gate: take ARGV[1] tokens from the counter at KEYS[1] when that many remain, in one
 * atomic step. Returns 1 taken, 0 too few, -1 no such key. A value that is not an integer fails (as
 * DECRBY would), and the key's ttl is kept (SET ... KEEPTTL needs Redis 6; DECRBY keeps it anyway).
 */
const TAKE_TOKENS = `
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
local tokens = tonumber(current)
if tokens == nil or tokens ~= math.floor(tokens) then return redis.error_reply('ERR value is not an integer') end
local count = tonumber(ARGV[1])
if tokens < count then return 0 end
redis.call('DECRBY', KEYS[1], count)
return 1
`;

/** Adds ARGV[1] tokens back to the counter at KEYS[1] only when it exists: the new value, or false (nil) when absent. */
const RETURN_TOKENS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
`;

const COMMAND = 'bazaarIncrWithTtl';
const TAKE_COMMAND = 'bazaarTakeTokens';
const RETURN_COMMAND = 'bazaarReturnTokens';
const CAS_COMMAND = 'bazaarCompareAndSet';

/** Every script of the adapter with the number of keys it declares (its KEYS); the rest are ARGV. */
export const REDIS_SCRIPTS: Readonly<Record<string, { numberOfKeys: number; lua: string }>> = {
  [COMMAND]: { numberOfKeys: 1, lua: INCR_WITH_TTL },
  [CAS_COMMAND]: { numberOfKeys: 1, lua: COMPARE_AND_SET },
  [TAKE_COMMAND]: { numberOfKeys: 1, lua: TAKE_TOKENS },
  [RETURN_COMMAND]: { numberOfKeys: 1, lua: RETURN_TOKENS },
};

interface WithIncrCommand {
  [COMMAND](key: string, by: number, ttlMs: number): Promise<number>;
  [CAS_COMMAND](key: string, mustBeAbsent: string, expected: string, remove: string, value: string, ttlMs: number): Promise<number>;
  [TAKE_COMMAND](key: string, count: number): Promise<number>;
  [RETURN_COMMAND](key: string, count: number): Promise<number | null>;
}

/** Redis takes whole, positive milliseconds for PX / PEXPIRE. */
const wholeMs = (ms: number) => Math.max(1, Math.ceil(ms));

export interface RedisSettings {
  /** REDIS_URL: one server (redis:// or rediss://). */
  url?: string;
  /**
   * REDIS_CLUSTER_NODES: Redis Cluster, a comma list of seed nodes as redis:// or rediss:// URLs (the others
   * are discovered). The first URL's user, password and TLS (rediss://) apply to every node.
   */
  clusterNodes?: string;
}

/** The seed nodes and per-node options of REDIS_CLUSTER_NODES. */
export function clusterSeeds(clusterNodes: string): { nodes: ClusterNode[]; redisOptions: RedisOptions } {
  const urls = clusterNodes
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => new URL(part));
  if (urls.length === 0) throw new Error('REDIS_CLUSTER_NODES names no node');
  for (const url of urls) {
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`REDIS_CLUSTER_NODES: ${url.protocol}// is not redis:// or rediss://`);
    if (url.pathname.length > 1 && url.pathname !== '/0') throw new Error('REDIS_CLUSTER_NODES: a cluster has database 0 only');
  }
  const first = urls[0]!;
  const redisOptions: RedisOptions = {
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return { nodes: urls.map((url) => ({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) })), redisOptions };
}

/**
 * Bounds on a command while Redis is away (docs/operations.md, Engine outages): a connection attempt gives up
 * after CONNECT_TIMEOUT_MS, reconnects come at most RECONNECT_MAX_MS apart, a queued command fails after one
 * failed reconnect (maxRetriesPerRequest 1), and any command without an answer after COMMAND_TIMEOUT_MS fails
 * (a server that is stopped, or a network that drops packets, answers nothing at all).
 */
export const REDIS_BOUNDS = { connectTimeoutMs: 2_000, commandTimeoutMs: 2_500, reconnectMaxMs: 1_000, maxRetriesPerRequest: 1 } as const;

/** The ioredis client for REDIS_URL or REDIS_CLUSTER_NODES (a `Cluster` for the latter), as the runtime builds it. */
export function redisConnection(settings: RedisSettings, options: { maxRetriesPerRequest?: number; keyPrefix?: string; commandTimeoutMs?: number } = {}): Redis | Cluster {
  const bounded: RedisOptions = {
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? REDIS_BOUNDS.maxRetriesPerRequest,
    connectTimeout: REDIS_BOUNDS.connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs ?? REDIS_BOUNDS.commandTimeoutMs,
    retryStrategy: (times: number) => Math.min(times * 100, REDIS_BOUNDS.reconnectMaxMs),
  };
  const prefix = options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix };
  if (settings.clusterNodes) {
    if (settings.url) throw new Error('set REDIS_URL or REDIS_CLUSTER_NODES, not both');
    const { nodes, redisOptions } = clusterSeeds(settings.clusterNodes);
    return new Cluster(nodes, { ...prefix, clusterRetryStrategy: (times: number) => Math.min(times * 100, REDIS_BOUNDS.reconnectMaxMs), redisOptions: { ...redisOptions, ...bounded } });
  }
  if (!settings.url) throw new Error('REDIS_URL or REDIS_CLUSTER_NODES is needed');
  return new Redis(settings.url, { ...prefix, lazyConnect: false, ...bounded });
}

const UNAVAILABLE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN']);
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);
const UNAVAILABLE_MESSAGE = /^(Command timed out|Connection is closed|None of startup nodes is available|Failed to refresh slots cache|Stream isn't writeable|Cluster isn't ready|LOADING |MASTERDOWN |CLUSTERDOWN |TRYAGAIN )/;

/**
 * Whether an ioredis error means Redis is away or cannot serve right now (connection refused or lost, the
 * retries of a queued command used up, no answer within the command timeout, a server still loading its data
 * or a cluster without a master for a slot): the same command can succeed later.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof EngineUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_NET_CODES.has(code)) return true;
  return UNAVAILABLE_NAMES.has(error.name) || UNAVAILABLE_MESSAGE.test(error.message);
}

/** `error` as EngineUnavailableError when Redis is away (isRedisUnavailable), else unchanged. */
export function redisError(error: unknown): unknown {
  if (error instanceof EngineUnavailableError || !isRedisUnavailable(error)) return error;
  return new EngineUnavailableError('redis', 2, { cause: error });
}

/**
 * KeyValue on Redis or Redis Cluster (ioredis). Key prefixes, if wanted, belong to the client (`keyPrefix` option).
 * Every method throws EngineUnavailableError when Redis cannot serve (redisError).
 */
export function redisKeyValue(redis: Redis | Cluster): KeyValue {
  // defineCommand sends EVALSHA and falls back to EVAL once per connection when the script is not cached.
  for (const [name, script] of Object.entries(REDIS_SCRIPTS)) redis.defineCommand(name, script);
  const scripted = redis as unknown as WithIncrCommand;

  return translateErrors<KeyValue>({
    async get(key) {
      return redis.get(key);
    },

    async set(key: string, value: string, options: SetOptions = {}) {
      const { ttlMs, ifAbsent } = options;
      let reply: string | null;
      if (ttlMs !== undefined && ifAbsent) reply = await redis.set(key, value, 'PX', wholeMs(ttlMs), 'NX');
      else if (ttlMs !== undefined) reply = await redis.set(key, value, 'PX', wholeMs(ttlMs));
      else if (ifAbsent) reply = await redis.set(key, value, 'NX');
      else reply = await redis.set(key, value);
      return reply === 'OK';
    },

    async del(key) {
      return (await redis.del(key)) > 0;
    },

    async incr(key, by = 1, options = {}) {
      if (!Number.isSafeInteger(by)) throw new Error(`incr needs an integer step, not ${by}`);
      const ttl = options.ttlMs === undefined ? 0 : wholeMs(options.ttlMs);
      return Number(await scripted[COMMAND](key, by, ttl));
    },

    async compareAndSet(key, expected, value, options = {}) {
      const ttl = options.ttlMs === undefined ? 0 : wholeMs(options.ttlMs);
      const absent = expected === null ? '1' : '0';
      const remove = value === null ? '1' : '0';
      return Number(await scripted[CAS_COMMAND](key, absent, expected ?? '', remove, value ?? '', ttl)) === 1;
    },

    async takeTokens(key, count) {
      requireTokenCount(count);
      const reply = Number(await scripted[TAKE_COMMAND](key, count));
      return reply === 1 ? 'taken' : reply === 0 ? 'insufficient' : 'absent';
    },

    async returnTokens(key, count) {
      requireTokenCount(count);
      const reply = await scripted[RETURN_COMMAND](key, count);
      return reply === null ? null : Number(reply);
    },

    async ttl(key) {
      const ms = await redis.pttl(key);
      return ms < 0 ? null : ms;
    },

    async ping() {
      await redis.ping();
    },

    async close() {
      // QUIT needs the server; without it (an outage) the connection is dropped instead.
      await redis.quit().catch(() => redis.disconnect());
    },
  }, redisError);
}
