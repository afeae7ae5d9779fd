import { afterEach, describe, expect, it, vi } from 'vitest';
import { KurrentDBClient, NO_STREAM, StreamNotFoundError, WrongExpectedVersionError, type AppendToStreamOptions } from '@kurrent/kurrentdb-client';
import { loadConfig } from '../../../src/config.js';
import { esdbEventStore, eventStoreDbClient } from '../../../src/adapters/eventstore/esdb.js';
import { ConcurrencyError } from '../../../src/kernel/errors.js';

afterEach(() => vi.restoreAllMocks());

describe('EVENTSTORE_URL → KurrentDB client (the function src/main.ts builds the event store with)', () => {
  const urls = [
    'esdb://127.0.0.1:2113?tls=false',
    'kurrentdb://127.0.0.1:2113?tls=false',
    'kdb://127.0.0.1:2113?tls=false',
    'esdb+discover://127.0.0.1:2113?tls=false',
    'kurrentdb+discover://127.0.0.1:2113?tls=false',
    'kurrentdb://admin:changeit@node1:2113,node2:2113,node3:2113?nodePreference=leader&tls=false',
  ];

  it.each(urls)('%s passes the configuration and constructs a client', async (url) => {
    const warn = vi.spyOn(console, 'warn');
    expect(loadConfig({ EVENTSTORE_URL: url }, { readDotEnv: false }).EVENTSTORE_URL).toBe(url);
    const client = eventStoreDbClient(url);
    expect(client).toBeInstanceOf(KurrentDBClient);
    await client.dispose();
    // esdb:// is handed to the client as kurrentdb://: no deprecation line per process start.
    expect(warn).not.toHaveBeenCalled();
  });

  it('refuses what is not a KurrentDB connection string', () => {
    expect(() => eventStoreDbClient('http://127.0.0.1:2113')).toThrow(/kurrentdb:\/\//);
  });
});

/** The client's methods the adapter calls, typed by the official client; nothing here reaches a server. */
function fakeClient(overrides: Partial<Pick<KurrentDBClient, 'appendToStream' | 'readStream' | 'dispose'>>): KurrentDBClient {
  return { dispose: async () => undefined, ...overrides } as unknown as KurrentDBClient;
}

describe('esdbEventStore on @kurrent/kurrentdb-client (a fake client: no KurrentDB server runs here)', () => {
  it('asks for the expected stream state under its v1 name (streamState)', async () => {
    const seen: Array<AppendToStreamOptions | undefined> = [];
    const store = esdbEventStore(
      fakeClient({
        appendToStream: async (_stream, _events, options) => {
          seen.push(options);
          return { success: true, nextExpectedRevision: 0n, position: { commit: 42n, prepare: 42n } };
        },
      }),
    );
    expect(await store.append('cart-1', [{ type: 'CartCreated', data: { id: 'cart-1' } }], 'no_stream')).toEqual({ nextRevision: 0, position: 42 });
    await store.append('cart-1', [{ type: 'ItemAdded', data: {} }], 0);
    expect(seen.map((options) => options?.streamState)).toEqual([NO_STREAM, 0n]);
    await store.close();
  });

  it('maps WrongExpectedVersionError (expectedState / actualState) to ConcurrencyError', async () => {
    const store = esdbEventStore(
      fakeClient({
        appendToStream: async () => {
          throw new WrongExpectedVersionError(undefined, { streamName: 'order-1', expected: 3n, current: 5n });
        },
      }),
    );
    const failure = await store.append('order-1', [{ type: 'OrderPaid', data: {} }], 3).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConcurrencyError);
    expect(failure).toMatchObject({ streamId: 'order-1', expected: '3', actual: '5' });
    await store.close();
  });

  it('reads a stream that does not exist (StreamNotFoundError) as no events', async () => {
    const store = esdbEventStore(
      fakeClient({
        readStream: () =>
          (async function* () {
            yield* [];
            throw new StreamNotFoundError(undefined, 'missing');
          })(),
      }),
    );
    expect(await store.readStream('missing')).toEqual([]);
    await store.close();
  });
});
