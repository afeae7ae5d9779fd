import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { elasticsearchClient, elasticsearchSearchIndex } from '../../../src/adapters/search/elasticsearch.js';

/*
 * The security settings of a secured cluster (Elasticsearch 8/9 default: TLS with its own CA, API keys),
 * against a real local HTTPS server with a CA made here by openssl, standing in for Elasticsearch (it answers
 * the ping with the product header the client checks). No Elasticsearch server runs on this machine.
 */
const openssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

function run(args: string[], cwd: string) {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

describe.skipIf(!openssl)('Elasticsearch client: API key and the cluster CA (file or fingerprint)', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let caFile: string;
  let caFingerprint: string;
  const requests: Array<{ method?: string; authorization?: string }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bazaar-es-tls-'));
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Bazaar test CA'], dir);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=localhost'], dir);
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
    run(['x509', '-req', '-in', 'node.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.crt', '-days', '2', '-extfile', 'san.ext'], dir);
    caFile = join(dir, 'ca.crt');
    caFingerprint = new X509Certificate(readFileSync(caFile)).fingerprint256; // AA:BB:… as Elasticsearch prints it
    // Like Elasticsearch, the node sends its certificate and the CA that signed it.
    const chain = `${readFileSync(join(dir, 'node.crt'), 'utf8')}${readFileSync(caFile, 'utf8')}`;
    server = createServer({ key: readFileSync(join(dir, 'node.key')), cert: chain }, (request, response) => {
      requests.push({ method: request.method, authorization: request.headers.authorization });
      response.writeHead(200, { 'x-elastic-product': 'Elasticsearch', 'content-type': 'application/json' });
      response.end(JSON.stringify({ tagline: 'You Know, for Search' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const ping = async (settings: Parameters<typeof elasticsearchClient>[0]) => {
    const index = elasticsearchSearchIndex(await elasticsearchClient(settings, { maxRetries: 0 }));
    try {
      await index.ping();
    } finally {
      await index.close();
    }
  };

  it('the configuration takes ELASTICSEARCH_API_KEY, ELASTICSEARCH_CA_FILE and ELASTICSEARCH_CA_FINGERPRINT', () => {
    const config = loadConfig(
      { ELASTICSEARCH_URL: 'https://es:9200', ELASTICSEARCH_API_KEY: 'a2V5OnNlY3JldA==', ELASTICSEARCH_CA_FILE: '/certs/http_ca.crt', ELASTICSEARCH_CA_FINGERPRINT: caFingerprint },
      { readDotEnv: false },
    );
    expect(config).toMatchObject({ ELASTICSEARCH_API_KEY: 'a2V5OnNlY3JldA==', ELASTICSEARCH_CA_FILE: '/certs/http_ca.crt', ELASTICSEARCH_CA_FINGERPRINT: caFingerprint });
    expect(() => loadConfig({ ELASTICSEARCH_CA_FINGERPRINT: 'not-a-fingerprint' }, { readDotEnv: false })).toThrow(/ELASTICSEARCH_CA_FINGERPRINT/);
  });

  it('trusts the cluster through its CA file and sends the API key', async () => {
    requests.length = 0;
    await ping({ url, apiKey: 'a2V5OnNlY3JldA==', caFile });
    expect(requests.at(-1)).toEqual({ method: 'HEAD', authorization: 'ApiKey a2V5OnNlY3JldA==' });
  });

  it('trusts the cluster through its CA fingerprint, with colons or without', async () => {
    await ping({ url, caFingerprint });
    await ping({ url, caFingerprint: caFingerprint.replaceAll(':', '').toLowerCase() });
    expect(createHash('sha256').update(new X509Certificate(readFileSync(caFile)).raw).digest('hex')).toBe(caFingerprint.replaceAll(':', '').toLowerCase());
  });

  it('refuses a cluster whose certificate it cannot verify', async () => {
    await expect(ping({ url })).rejects.toThrow(/self-signed certificate/);
    await expect(ping({ url, caFingerprint: 'AA'.repeat(32) })).rejects.toThrow(/no certificate .* has the fingerprint/);
    // The CA found by its fingerprint verifies the host name too, as a CA file does.
    const byAddress = url.replace('localhost', '127.0.0.1'); // the node's certificate names localhost only
    await expect(ping({ url: byAddress, caFingerprint })).rejects.toThrow(/altnames|Hostname|IP/i);
    await expect(ping({ url: byAddress, caFile })).rejects.toThrow(/altnames|Hostname|IP/i);
  });
});
