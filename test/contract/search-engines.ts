import Database from 'better-sqlite3';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import type { SearchIndex } from '../../src/ports/search-index.js';
import { sqliteSearchIndex } from '../../src/adapters/search/sqlite.js';
import { elasticsearchClient, elasticsearchSearchIndex } from '../../src/adapters/search/elasticsearch.js';
import { dockerAvailable, reportSkip, type AdapterUnderTest } from './engines.js';

/** The image and version infra/docker-compose.yml deploys (test/e2e/roles.test.ts compares them); ELASTICSEARCH_IMAGE overrides it. */
export const DEFAULT_ELASTICSEARCH_IMAGE = 'docker.elastic.co/elasticsearch/elasticsearch:9.4.9';
const ELASTICSEARCH_IMAGE = process.env.ELASTICSEARCH_IMAGE ?? DEFAULT_ELASTICSEARCH_IMAGE;

let container: Promise<StartedTestContainer> | undefined;

/** ELASTICSEARCH_URL, or a single-node container started once for the whole run. */
async function elasticsearchUrl(): Promise<string> {
  if (process.env.ELASTICSEARCH_URL) return process.env.ELASTICSEARCH_URL;
  container ??= new GenericContainer(ELASTICSEARCH_IMAGE)
    .withEnvironment({ 'discovery.type': 'single-node', 'xpack.security.enabled': 'false', ES_JAVA_OPTS: '-Xms512m -Xmx512m' })
    .withExposedPorts(9200)
    .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow', 9200))
    .withStartupTimeout(180_000)
    .start();
  const started = await container;
  return `http://${started.getHost()}:${started.getMappedPort(9200)}`;
}

export async function stopSearchEngines(): Promise<void> {
  await (await container)?.stop();
}

export function searchIndexAdapters(): AdapterUnderTest<SearchIndex>[] {
  const elasticsearch = Boolean(process.env.ELASTICSEARCH_URL) || dockerAvailable();
  if (!elasticsearch) reportSkip('elasticsearch', 'ELASTICSEARCH_URL');
  return [
    {
      name: 'sqlite',
      available: true,
      async create() {
        const store = sqliteSearchIndex(new Database(':memory:'));
        return { store, dispose: () => store.close() };
      },
    },
    {
      name: 'elasticsearch',
      available: elasticsearch,
      async create() {
        // As the runtime builds it: a secured ELASTICSEARCH_URL takes ELASTICSEARCH_API_KEY and ELASTICSEARCH_CA_FILE / _CA_FINGERPRINT.
        const client = await elasticsearchClient({
          url: await elasticsearchUrl(),
          apiKey: process.env.ELASTICSEARCH_API_KEY,
          caFile: process.env.ELASTICSEARCH_CA_FILE,
          caFingerprint: process.env.ELASTICSEARCH_CA_FINGERPRINT,
        });
        const alias = `bazaar-test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
        const store = elasticsearchSearchIndex(client, { alias });
        return {
          store,
          async dispose() {
            // Deleting by wildcard is refused by default (action.destructive_requires_name): name them.
            const indices = Object.keys(await client.indices.get({ index: `${alias}-*` }));
            if (indices.length > 0) await client.indices.delete({ index: indices });
            await store.close();
          },
        };
      },
    },
  ];
}
