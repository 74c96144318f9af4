// Runs the MemoryStore contract against the PostgreSQL adapter in a fresh schema.
import { describeMemoryStore } from '../../../test/memory/memory-store.contract.js';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { openPostgres } from './database.js';
import { PostgresMemoryStore } from './memory-store.js';

describeMemoryStore('postgres', async () => {
  if (!(await postgresAvailable())) return undefined;
  const schema = uniqueName('memory');
  const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 4 });
  return {
    store: new PostgresMemoryStore(database.pool),
    close: async () => {
      await database.close();
      await dropSchema(schema);
    },
  };
});
