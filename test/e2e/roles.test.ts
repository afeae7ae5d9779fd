import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewProjections, type Runtime } from '../../src/main.js';
import { searchState } from '../../src/projections/search/state.js';
import { call, catalog, Cluster, leaseOwner, metric, until, type Proc } from './roles-support.js';
import { KURRENTDB_IMAGE, MONGO_IMAGE } from '../contract/engines.js';
import { DEFAULT_ELASTICSEARCH_IMAGE } from '../contract/search-engines.js';

/** `bazaar serve --role api|projector|reactors` as separate processes over one set of SQLite files. */
describe('roles: api, projector (with a hot standby) and reactors as separate processes', () => {
  const cluster = new Cluster();
  let api: Proc;
  let projectors: Proc[];
  let reactors: Proc;
  let observer: Runtime;

  beforeAll(async () => {
    [api, reactors, ...projectors] = await Promise.all([cluster.spawn('api'), cluster.spawn('reactors'), cluster.spawn('projector'), cluster.spawn('projector')]);
    observer = await cluster.observer();
  }, 60_000);
  afterAll(() => cluster.close());

  it('serves /api only on the api role; every role answers the ops endpoints', async () => {
    for (const proc of [api, reactors, ...projectors]) {
      expect((await call(proc, 'GET', '/healthz')).status).toBe(200);
      const metrics = await call(proc, 'GET', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('bazaar_projection_lag_events');
    }
    expect((await call(api, 'GET', '/api/v1/products/search?q=tee')).status).toBe(200);
    for (const proc of [reactors, ...projectors]) {
      const refused = await call(proc, 'GET', '/api/v1/products/search?q=tee');
      expect(refused.status).toBe(404);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.body.code).toBe('NOT_FOUND');
      expect(refused.body.detail).toContain(proc.role);
    }
    // Projections run in exactly one projector, reactors and sweepers in the reactors process, nothing in the API.
    const catalogOwner = await until('a projector to take the catalog lease', () => leaseOwner(projectors, 'catalog'));
    expect(projectors).toContain(catalogOwner);
    const owners = await Promise.all(projectors.map(async (p) => metric((await call(p, 'GET', '/metrics')).body, 'bazaar_lease_owned', 'lease="catalog"')));
    expect(owners.sort()).toEqual([0, 1]);
    expect(await leaseOwner([reactors], 'payment-follow-ups')).toBe(reactors);
    expect(await leaseOwner([reactors], 'sweepers')).toBe(reactors);
    expect((await call(api, 'GET', '/metrics')).body).not.toContain('bazaar_lease_owned{');
    for (const proc of [api, reactors, ...projectors]) expect((await call(proc, 'GET', '/readyz')).status).toBe(200);
  });

  it('reads its writes on the API while another process projects (X-Min-Position), and a standby projector takes over after kill -9', async () => {
    const shop = await catalog(api, observer.deps);
    const sku = await shop.sku({ stock: 5 });
    const product = await call(api, 'GET', `/api/v1/products/${sku.productId}`, { headers: { 'X-Min-Position': String(sku.position) } });
    expect(product.status).toBe(200);
    expect(product.headers.get('x-consistency')).toBe('consistent');

    const owner = (await leaseOwner(projectors, 'catalog'))!;
    const standby = projectors.find((p) => p !== owner)!;
    await cluster.kill9(owner);
    const killedAt = Date.now();
    // Written while no projector runs the catalog: the standby applies it once the dead owner's lease expires.
    const later = await shop.sku({ stock: 3 });
    await until('the standby to take the catalog lease', () => leaseOwner([standby], 'catalog'), 10_000);
    expect(Date.now() - killedAt).toBeLessThan(6000);
    const read = await until('the product written during the fail-over', async () => {
      const response = await call(api, 'GET', `/api/v1/products/${later.productId}`, { headers: { 'X-Min-Position': String(later.position) } });
      return response.headers.get('x-consistency') === 'consistent' && response;
    });
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(later.productId);
    await until('every role ready again', async () => (await Promise.all([api, reactors, standby].map((p) => call(p, 'GET', '/readyz')))).every((r) => r.status === 200));
  });
});

describe('infra', () => {
  it('infra/mongo/indexes.json mirrors the indexes the view projections declare', () => {
    const expected: Record<string, Array<Record<string, 1>>> = {};
    for (const projection of [...viewProjections, searchState]) {
      for (const [collection, list] of Object.entries(projection.indexes ?? {})) {
        for (const fields of list) (expected[collection] ??= []).push({ ...Object.fromEntries(fields.map((field) => [field, 1] as const)), _id: 1 });
      }
    }
    const declared = JSON.parse(readFileSync(new URL('../../infra/mongo/indexes.json', import.meta.url), 'utf8'));
    expect(declared).toEqual(expected);
  });

  it('the compose file runs the three roles and references the Elasticsearch template and the Mongo indexes', () => {
    const compose = readFileSync(new URL('../../infra/docker-compose.yml', import.meta.url), 'utf8');
    for (const role of ['api', 'projector', 'reactors']) expect(compose).toContain(`"serve", "--role", "${role}"`);
    expect(compose).toContain('products-index.json');
    expect(compose).toContain('/infra/mongo/indexes.js');
    expect(compose).toContain('--replSet');
  });

  it('every engine has a healthcheck, and the roles start once every engine is healthy and the init jobs are done', () => {
    const compose = readFileSync(new URL('../../infra/docker-compose.yml', import.meta.url), 'utf8');
    const services = composeServices(compose);
    const engines = ['kurrentdb', 'elasticsearch', 'mongo', 'redis'];
    for (const engine of engines) {
      const block = services.get(engine);
      expect(block, engine).toBeDefined();
      expect(block, `${engine} healthcheck`).toMatch(/\n {4}healthcheck:\n {6}test: \[.+\]\n(?: {6}\w+: .+\n)*? {6}interval: /);
    }
    // The roles share the x-bazaar anchor: its depends_on lists every engine healthy and every init job completed.
    const anchor = compose.slice(compose.indexOf('x-bazaar:'), compose.indexOf('\nservices:'));
    const dependsOn = Object.fromEntries([...anchor.matchAll(/^ {4}([\w-]+): \{ condition: (\w+) \}/gm)].map((match) => [match[1], match[2]]));
    const inits = [...services.keys()].filter((name) => name.endsWith('-init'));
    expect(inits.sort()).toEqual(['elasticsearch-init', 'mongo-init']);
    expect(dependsOn).toEqual({
      ...Object.fromEntries(engines.map((engine) => [engine, 'service_healthy'])),
      ...Object.fromEntries(inits.map((init) => [init, 'service_completed_successfully'])),
    });
    for (const role of ['api', 'projector', 'reactors']) expect(services.get(role), role).toContain('<<: *bazaar');
    // Each init job waits for its engine to be healthy.
    for (const init of inits) expect(services.get(init)).toContain(`${init.replace(/-init$/, '')}: { condition: service_healthy }`);
  });

  it('the contract suites run the image versions the compose file deploys; the Elasticsearch client is not of a later minor than the server', () => {
    const compose = readFileSync(new URL('../../infra/docker-compose.yml', import.meta.url), 'utf8');
    const services = composeServices(compose);
    const image = (name: string) => /\n {4}image: (\S+)/.exec(services.get(name) ?? '')?.[1];
    expect(image('kurrentdb')).toBe(KURRENTDB_IMAGE);
    expect(image('mongo')).toBe(MONGO_IMAGE);
    expect(image('elasticsearch')).toBe(DEFAULT_ELASTICSEARCH_IMAGE);
    // The client speaks its own minor's API to the server: 9.4 against a 9.0 server fails on what 9.1–9.4 added.
    const server = /:(\d+)\.(\d+)\.\d+$/.exec(image('elasticsearch')!)!;
    const installed = JSON.parse(readFileSync(new URL('../../node_modules/@elastic/elasticsearch/package.json', import.meta.url), 'utf8')).version as string;
    const declared = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).dependencies['@elastic/elasticsearch'] as string;
    const [major, minor] = installed.split('.').map(Number);
    expect(major).toBe(Number(server[1]));
    expect(minor).toBeLessThanOrEqual(Number(server[2]));
    // ~ keeps `npm install` within the minor (a ^ range would move the client past the server's minor).
    expect(declared).toMatch(new RegExp(`^~${major}\\.${minor}\\.`));
    // The roles reach KurrentDB with the client's own scheme.
    expect(compose).toContain('EVENTSTORE_URL: kurrentdb://kurrentdb:2113');
  });
});

/** The compose file's services, each as its block of lines (two-space-indented keys under `services:`). */
function composeServices(compose: string): Map<string, string> {
  const body = compose.slice(compose.indexOf('\nservices:\n') + '\nservices:\n'.length, compose.indexOf('\nvolumes:'));
  const services = new Map<string, string>();
  for (const block of body.split(/\n(?= {2}[\w-]+:\n)/)) {
    const name = /^ {2}([\w-]+):\n/.exec(block.startsWith('\n') ? block.slice(1) : block)?.[1];
    if (name) services.set(name, `${block}\n`);
  }
  return services;
}
