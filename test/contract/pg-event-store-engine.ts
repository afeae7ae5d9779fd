import type { EventStore } from '../../src/ports/event-store.js';
import { postgresEventStore } from '../../src/adapters/eventstore/postgres.js';
import { freshSchema, postgresAvailable } from '../support/postgres.js';
import type { AdapterUnderTest } from './engines.js';

/** The PostgreSQL event store on this machine's server (or DATABASE_URL), in a schema of its own per suite. */
export function pgEventStoreAdapter(): AdapterUnderTest<EventStore> {
  return {
    name: 'postgres',
    available: postgresAvailable(),
    async create() {
      const { schema, pool, drop } = await freshSchema('es');
      const store = await postgresEventStore(pool, { schema });
      return {
        store,
        dispose: async () => {
          await store.close();
          await drop();
        },
      };
    },
  };
}
