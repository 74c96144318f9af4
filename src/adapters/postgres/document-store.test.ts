// Runs the DocumentStore contracts (documents, versions) on a fresh PostgreSQL schema (pgvector).
import { describeDocumentStore } from '../../../test/ingest/document-store-contract.js';
import { describeDocumentVersions } from '../../../test/ingest/document-versions-contract.js';
import {
  POSTGRES_URL,
  dropSchema,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { openPostgres } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';

async function openStore() {
  if (!(await postgresAvailable())) return undefined;
  const schema = uniqueName('docs');
  const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 4 });
  const store = createPostgresDocumentStore({ pool: database.pool });
  return {
    store,
    analyze: async () => {
      await database.pool.query('ANALYZE chunks');
    },
    close: async () => {
      await store.close();
      await database.close();
      await dropSchema(schema);
    },
  };
}

describeDocumentStore('postgres', openStore);
describeDocumentVersions('postgres', openStore);
