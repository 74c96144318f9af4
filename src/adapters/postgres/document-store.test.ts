// Runs the DocumentStore contract on a fresh PostgreSQL schema (pgvector).
import { describeDocumentStore } from '../../../test/ingest/document-store-contract.js';
import {
  POSTGRES_URL,
  dropSchema,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { openPostgres } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';

describeDocumentStore('postgres', async () => {
  if (!(await postgresAvailable())) return undefined;
  const schema = uniqueName('docs');
  const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 4 });
  const store = createPostgresDocumentStore({ pool: database.pool });
  return {
    store,
    close: async () => {
      await store.close();
      await database.close();
      await dropSchema(schema);
    },
  };
});
