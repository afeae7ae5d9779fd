import type { Redis } from 'ioredis';
import type { KeyValue, SetOptions } from '../../ports/key-value.js';
import { requireTokenCount } from './checks.js';

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

interface WithIncrCommand {
  [COMMAND](key: string, by: number, ttlMs: number): Promise<number>;
  [CAS_COMMAND](key: string, mustBeAbsent: string, expected: string, remove: string, value: string, ttlMs: number): Promise<number>;
  [TAKE_COMMAND](key: string, count: number): Promise<number>;
  [RETURN_COMMAND](key: string, count: number): Promise<number | null>;
}

/** Redis takes whole, positive milliseconds for PX / PEXPIRE. */
const wholeMs = (ms: number) => Math.max(1, Math.ceil(ms));

/** KeyValue on Redis (ioredis). Key prefixes, if wanted, belong to the client (`keyPrefix` option). */
export function redisKeyValue(redis: Redis): KeyValue {
  // defineCommand sends EVALSHA and falls back to EVAL once per connection when the script is not cached.
  redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: INCR_WITH_TTL });
  redis.defineCommand(CAS_COMMAND, { numberOfKeys: 1, lua: COMPARE_AND_SET });
  redis.defineCommand(TAKE_COMMAND, { numberOfKeys: 1, lua: TAKE_TOKENS });
  redis.defineCommand(RETURN_COMMAND, { numberOfKeys: 1, lua: RETURN_TOKENS });
  const scripted = redis as unknown as WithIncrCommand;

  return {
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
      await redis.quit();
    },
  };
}
