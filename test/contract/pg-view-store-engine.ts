import type { ViewStore } from '../../src/ports/view-store.js';
import { postgresViewStore } from '../../src/adapters/viewstore/postgres.js';
import { freshSchema, postgresAvailable } from '../support/postgres.js';
import type { AdapterUnderTest } from './engines.js';

/**
 * The PostgreSQL ViewStore under the contract: a schema of its own per suite, dropped at the end. A short
 * drop grace keeps the rebuild cases quick (the default is for reads of other processes under way).
 */
export function pgViewStoreAdapter(): AdapterUnderTest<ViewStore> {
  return {
    name: 'postgres',
    available: postgresAvailable(),
    async create() {
      const { schema, pool, drop } = await freshSchema('views');
      const store = await postgresViewStore(pool, { schema, dropGraceMs: 50 });
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
