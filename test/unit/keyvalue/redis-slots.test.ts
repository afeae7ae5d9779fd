import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis, type Command } from 'ioredis';
import { REDIS_SCRIPTS, clusterSeeds, redisConnection, redisKeyValue } from '../../../src/adapters/keyvalue/redis.js';
import type { KeyValue } from '../../../src/ports/key-value.js';

/** Redis Cluster's key → slot function (CRC16 of the key or of its `{hash tag}`, mod 16384), the one ioredis routes with. */
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string | Buffer) => number;

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('Redis key layout (Redis Cluster: every command keeps its keys in one hash slot)', () => {
  it('the slot function is the cluster one: hash tags pin keys to one slot', () => {
    expect(calculateSlot('123456789')).toBe(12739); // CRC16/XMODEM check value 0x31C3 mod 16384
    expect(calculateSlot('{user:1}:cart')).toBe(calculateSlot('{user:1}:orders'));
    expect(calculateSlot('user:1:cart')).not.toBe(calculateSlot('user:1:orders'));
  });

  it.each(Object.entries(REDIS_SCRIPTS))('script %s reads and writes only the keys it declares', (_name, { numberOfKeys, lua }) => {
    // Every key a redis.call touches is one of KEYS[1..numberOfKeys]; no key is built from ARGV or a string.
    const calls = [...lua.matchAll(/redis\.p?call\(\s*'([A-Z]+)'\s*,\s*([^,)]+)/g)];
    expect(calls.length).toBeGreaterThan(0);
    for (const [, command, key] of calls) {
      expect(key!.trim(), `${command} in ${_name}`).toMatch(/^KEYS\[\d+\]$/);
    }
    const indexes = [...lua.matchAll(/KEYS\[(\d+)\]/g)].map((match) => Number(match[1]));
    expect(Math.max(...indexes)).toBeLessThanOrEqual(numberOfKeys);
  });

  describe('every command the adapter sends, against the local Redis', () => {
    let redis: Redis;
    let kv: KeyValue;
    const sent: Array<{ name: string; keys: Array<string | Buffer> }> = [];
    const prefix = `bazaar-slots:${Date.now().toString(36)}:`;

    beforeAll(async () => {
      redis = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 2 });
      const send = redis.sendCommand.bind(redis);
      redis.sendCommand = ((command: Command, stream?: never) => {
        sent.push({ name: command.name, keys: command.getKeys() });
        return send(command, stream);
      }) as typeof redis.sendCommand;
      kv = redisKeyValue(redis);
      await kv.ping();
    });
    afterAll(async () => {
      const admin = new Redis(url);
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.unlink(...keys);
      await admin.quit();
      await kv.close();
    });

    it('sends one slot per command for every KeyValue operation', async () => {
      await kv.set('a', '1', { ttlMs: 10_000, ifAbsent: true });
      await kv.get('a');
      await kv.incr('counter', 2, { ttlMs: 10_000 });
      await kv.compareAndSet('cas', null, 'x', { ttlMs: 10_000 });
      await kv.compareAndSet('cas', 'x', null);
      await kv.set('gate', '5', { ttlMs: 10_000 });
      await kv.takeTokens('gate', 2);
      await kv.returnTokens('gate', 1);
      await kv.ttl('gate');
      await kv.del('a');
      const scripted = sent.filter((command) => command.name === 'evalsha' || command.name === 'eval');
      expect(scripted.length).toBeGreaterThanOrEqual(Object.keys(REDIS_SCRIPTS).length);
      for (const command of sent) {
        const slots = new Set(command.keys.map((key) => calculateSlot(key)));
        expect(slots.size, `${command.name} ${command.keys.join(' ')}`).toBeLessThanOrEqual(1);
        for (const key of command.keys) expect(String(key).startsWith(prefix), `${command.name}: ${String(key)} carries the client's prefix`).toBe(true);
      }
      expect(sent.filter((command) => command.keys.length > 0).map((command) => command.name)).toEqual(
        expect.arrayContaining(['set', 'get', 'del', 'pttl', scripted[0]!.name]),
      );
    });
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('reads the seed nodes, and the first URL\u2019s credentials and TLS for every node', () => {
    expect(clusterSeeds('redis://10.0.0.1:7000, redis://10.0.0.2')).toEqual({ nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 6379 }], redisOptions: {} });
    expect(clusterSeeds('rediss://app:s%40cret@cache-1:6380,rediss://cache-2:6380')).toEqual({
      nodes: [{ host: 'cache-1', port: 6380 }, { host: 'cache-2', port: 6380 }],
      redisOptions: { username: 'app', password: 's@cret', tls: {} },
    });
    expect(clusterSeeds('redis://[::1]:7000').nodes).toEqual([{ host: '::1', port: 7000 }]);
    expect(() => clusterSeeds('redis://a:1/2')).toThrow(/database 0/);
    expect(() => clusterSeeds('http://a:1')).toThrow(/redis:\/\//);
  });

  it('builds an ioredis Cluster for REDIS_CLUSTER_NODES and a Redis for REDIS_URL, never both', async () => {
    const cluster = redisConnection({ clusterNodes: 'redis://127.0.0.1:1' });
    expect(cluster).toBeInstanceOf(Cluster);
    cluster.disconnect();
    const single = redisConnection({ url });
    expect(single).toBeInstanceOf(Redis);
    await single.quit();
    expect(() => redisConnection({ url, clusterNodes: 'redis://127.0.0.1:1' })).toThrow(/not both/);
  });
});
