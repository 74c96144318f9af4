// One user's full text finds rows through postings kept per user (migration 205,
// memory_user_terms). The keys are computed by the index when a row is written and by the search
// when it runs, each under its session's search_path: a function of the same name as a built-in
// in another schema on a later path must not change them, or the user's rows go unfound.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { openPostgres, type PostgresDatabase } from './database.js';
import { PostgresMemoryStore } from './memory-store.js';
import { userTurn } from '../../../test/support/memories.js';

const available = await postgresAvailable();

describe.runIf(available)("PostgreSQL: one user's postings", () => {
  const schema = uniqueName('userterms');
  const shadow = uniqueName('shadow');
  let database: PostgresDatabase;

  beforeAll(async () => {
    database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 1 });
  });
  afterAll(async () => {
    await database.close();
    await dropSchema(schema);
    await dropSchema(shadow);
  });

  it('are found alike whatever else is on the search_path', async () => {
    const store = new PostgresMemoryStore(database.pool);
    await store.insertMemories('t1', [userTurn('m1', { text: 'hello world' })], 1);
    await database.pool.query(`CREATE SCHEMA ${shadow}`);
    await database.pool.query(
      `CREATE FUNCTION ${shadow}.hashtextextended(text, integer) RETURNS bigint
         LANGUAGE sql IMMUTABLE AS 'SELECT 42::bigint'`,
    );
    // Only the postings per user left to find the row by: the keys in the index are what count.
    await database.pool.query(
      'DROP INDEX memories_user_time, memories_tenant_time, memories_text_search, memories_session',
    );
    await database.pool.query(`SET search_path = ${schema}, ${shadow}, public`);
    await database.pool.query('SET enable_seqscan = off');
    const hits = await store.searchText({ tenantId: 't1', userId: 'u1', query: 'hello', k: 5 });
    expect(hits.map((hit) => hit.memory.id)).toEqual(['m1']);
  });
});
