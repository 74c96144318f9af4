// Migrations run to the end however long they take: an index over a big table can take longer
// than the pool's per-statement limit, and a migration cut short would fail every start alike.
import { describe, expect, it } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { openPostgres } from './database.js';

const available = await postgresAvailable();

describe.runIf(available)('PostgreSQL migrations', () => {
  it("run past the pool's statement timeout, which still bounds requests", async () => {
    const schema = uniqueName('migrate');
    const database = await openPostgres({
      url: POSTGRES_URL,
      schema,
      poolMax: 1,
      statementTimeoutMs: 100,
      migrations: [{ version: 1, name: 'slow', sql: 'SELECT pg_sleep(0.4)' }],
    });
    try {
      const { rows } = await database.pool.query('SELECT version FROM schema_migrations');
      expect(rows).toEqual([{ version: 1 }]);
      await expect(database.pool.query('SELECT pg_sleep(0.4)')).rejects.toThrow(
        /statement timeout/,
      );
    } finally {
      await database.close();
      await dropSchema(schema);
    }
  });
});
