import Database from 'better-sqlite3';
import { execSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { EventStore } from '../../src/ports/event-store.js';
import type { KeyValue } from '../../src/ports/key-value.js';
import type { ViewStore } from '../../src/ports/view-store.js';
import { sqliteEventStore } from '../../src/adapters/eventstore/sqlite.js';
import { memoryKeyValue } from '../../src/adapters/keyvalue/memory.js';
import { sqliteKeyValue } from '../../src/adapters/keyvalue/sqlite.js';
import { sqliteViewStore } from '../../src/adapters/viewstore/sqlite.js';
import { redisBinariesAvailable, startRedisCluster } from '../support/redis-cluster.js';
import { pgViewStoreAdapter } from './pg-view-store-engine.js';
import { pgEventStoreAdapter } from './pg-event-store-engine.js';

/** One entry per adapter of a port; a production engine is available when its URL is set or Docker runs. */
export interface AdapterUnderTest<T> {
  name: string;
  available: boolean;
  create(): Promise<{ store: T; dispose: () => Promise<void> }>;
}

let dockerChecked: boolean | undefined;
export function dockerAvailable(): boolean {
  if (dockerChecked === undefined) {
    try {
      execSync('docker info', { stdio: 'ignore', timeout: 5000 });
      dockerChecked = true;
    } catch {
      dockerChecked = false;
    }
  }
  return dockerChecked;
}

/** Prints once per engine why its contract suite is skipped (vitest then reports it as skipped, never passed). */
export function reportSkip(engine: string, variable: string, reason = 'no Docker engine is reachable (docker info failed)'): void {
  console.warn(`[contract] ${engine} adapter SKIPPED: ${variable} is not set and ${reason}.`);
}

/** Whether something accepts TCP connections at host:port (checked synchronously, in a child process). */
function tcpReachable(host: string, port: number, timeoutMs = 1000): boolean {
  const probe = `const s=require('net').connect(${port},${JSON.stringify(host)},()=>{s.destroy();process.exit(0)});s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),${timeoutMs});`;
  return spawnSync(process.execPath, ['-e', probe], { stdio: 'ignore', timeout: timeoutMs + 2000 }).status === 0;
}

const unique = () => `${Date.now().toString(36)}${randomUUID().slice(0, 8)}`;

async function retry<T>(what: string, attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not become ready`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Container images: the same image and version as infra/docker-compose.yml deploys (test/e2e/roles.test.ts compares them).

export const KURRENTDB_IMAGE = 'docker.kurrent.io/kurrent-latest/kurrentdb:25.0';
export const MONGO_IMAGE = 'mongo:7.0';

// ---------------------------------------------------------------------------------------------
// EventStore

export function eventStoreAdapters(): AdapterUnderTest<EventStore>[] {
  const url = process.env.EVENTSTORE_URL;
  const esdbAvailable = Boolean(url) || dockerAvailable();
  if (!esdbAvailable) reportSkip('EventStoreDB', 'EVENTSTORE_URL');
  return [
    {
      name: 'sqlite',
      available: true,
      async create() {
        const store = sqliteEventStore(new Database(':memory:'));
        return { store, dispose: () => store.close() };
      },
    },
    pgEventStoreAdapter(),
    {
      name: 'esdb',
      available: esdbAvailable,
      async create() {
        const { esdbEventStore, eventStoreDbClient } = await import('../../src/adapters/eventstore/esdb.js');
        let connection = url;
        let stopContainer = async () => {};
        if (!connection) {
          const { GenericContainer, Wait } = await import('testcontainers');
          const container = await new GenericContainer(KURRENTDB_IMAGE)
            .withEnvironment({
              KURRENTDB_INSECURE: 'true',
              KURRENTDB_CLUSTER_SIZE: '1',
              KURRENTDB_RUN_PROJECTIONS: 'None',
              KURRENTDB_MEM_DB: 'true',
            })
            .withExposedPorts(2113)
            .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCodeMatching((status) => status >= 200 && status < 300))
            .withStartupTimeout(120_000)
            .start();
          connection = `kurrentdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
          stopContainer = async () => {
            await container.stop();
          };
        }
        const client = eventStoreDbClient(connection);
        // Live is not ready: wait until the node serves reads (leader elected, indexes loaded).
        await retry('EventStoreDB', async () => {
          for await (const _ of client.readAll({ maxCount: 1 })) break;
        });
        const store = esdbEventStore(client);
        return {
          store,
          dispose: async () => {
            await store.close();
            await stopContainer();
          },
        };
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// KeyValue

export function keyValueAdapters(): AdapterUnderTest<KeyValue>[] {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const target = new URL(url);
  const redisAvailable = Boolean(process.env.REDIS_URL) || tcpReachable(target.hostname || '127.0.0.1', Number(target.port || 6379));
  if (!redisAvailable) reportSkip('Redis', 'REDIS_URL', `nothing answers at ${target.host}`);
  const clusterNodes = process.env.REDIS_CLUSTER_NODES;
  const clusterAvailable = Boolean(clusterNodes) || redisBinariesAvailable();
  if (!clusterAvailable) reportSkip('Redis Cluster', 'REDIS_CLUSTER_NODES', 'redis-server / redis-cli are not installed (a local cluster cannot be started)');
  return [
    {
      name: 'memory',
      available: true,
      async create() {
        const store = memoryKeyValue();
        return { store, dispose: () => store.close() };
      },
    },
    {
      name: 'sqlite',
      available: true,
      async create() {
        const store = sqliteKeyValue(new Database(':memory:'));
        return { store, dispose: () => store.close() };
      },
    },
    {
      name: 'redis',
      available: redisAvailable,
      async create() {
        const { Redis } = await import('ioredis');
        const { redisConnection, redisKeyValue } = await import('../../src/adapters/keyvalue/redis.js');
        // Every key of this run lives under its own prefix, deleted at the end.
        const prefix = `bazaar-contract:${unique()}:`;
        const store = redisKeyValue(redisConnection({ url }, { keyPrefix: prefix, maxRetriesPerRequest: 2 }));
        await store.ping();
        return {
          store,
          dispose: async () => {
            await store.close();
            const admin = new Redis(url);
            try {
              let cursor = '0';
              do {
                const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
                if (keys.length > 0) await admin.unlink(...keys);
                cursor = next;
              } while (cursor !== '0');
            } finally {
              await admin.quit();
            }
          },
        };
      },
    },
    {
      // REDIS_CLUSTER_NODES, else a real 3-master cluster of local redis-server processes on loopback ports.
      name: 'redis-cluster',
      available: clusterAvailable,
      async create() {
        const { redisConnection, redisKeyValue } = await import('../../src/adapters/keyvalue/redis.js');
        const local = clusterNodes ? null : await startRedisCluster(3);
        const nodes = clusterNodes ?? local!.nodes;
        // A prefix without a hash tag: keys spread over every slot, as in production.
        const prefix = `bazaar-contract:${unique()}:`;
        const store = redisKeyValue(redisConnection({ clusterNodes: nodes }, { keyPrefix: prefix, maxRetriesPerRequest: 2 }));
        await store.ping();
        return {
          store,
          dispose: async () => {
            await store.close();
            if (local) return local.stop();
            const admin = redisConnection({ clusterNodes: nodes });
            if (!('nodes' in admin)) return;
            try {
              for (const node of admin.nodes('master')) {
                let cursor = '0';
                do {
                  const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
                  for (const key of keys) await node.unlink(key);
                  cursor = next;
                } while (cursor !== '0');
              }
            } finally {
              await admin.quit();
            }
          },
        };
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// ViewStore

export function viewStoreAdapters(): AdapterUnderTest<ViewStore>[] {
  const url = process.env.MONGODB_URL;
  const mongoAvailable = Boolean(url) || dockerAvailable();
  if (!mongoAvailable) reportSkip('MongoDB', 'MONGODB_URL');
  return [
    {
      name: 'sqlite',
      available: true,
      async create() {
        const store = sqliteViewStore(new Database(':memory:'));
        return { store, dispose: () => store.close() };
      },
    },
    pgViewStoreAdapter(),
    {
      name: 'mongo',
      available: mongoAvailable,
      async create() {
        const { MongoClient } = await import('mongodb');
        const { mongoViewStore } = await import('../../src/adapters/viewstore/mongo.js');
        let connection = url;
        let stopContainer = async () => {};
        if (!connection) {
          // Transactions need a replica set: a single-node one, reached directly through the mapped port.
          const { GenericContainer, Wait } = await import('testcontainers');
          const container = await new GenericContainer(MONGO_IMAGE)
            .withCommand(['--replSet', 'rs0', '--bind_ip_all'])
            .withExposedPorts(27017)
            .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
            .withStartupTimeout(120_000)
            .start();
          const initiated = await container.exec([
            'mongosh',
            '--quiet',
            '--eval',
            "rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: '127.0.0.1:27017' }] })",
          ]);
          if (initiated.exitCode !== 0) throw new Error(`rs.initiate failed: ${initiated.output}`);
          connection = `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/?directConnection=true`;
          stopContainer = async () => {
            await container.stop();
          };
        }
        const client = await new MongoClient(connection).connect();
        await retry('MongoDB primary', async () => {
          const hello = await client.db('admin').command({ hello: 1 });
          if (!hello.isWritablePrimary) throw new Error('not primary yet');
        });
        // A database of its own per run, dropped at the end.
        const db = client.db(`bazaar_contract_${unique()}`);
        const store = await mongoViewStore(db);
        return {
          store,
          dispose: async () => {
            await db.dropDatabase();
            await store.close();
            await stopContainer();
          },
        };
      },
    },
  ];
}
