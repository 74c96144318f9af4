// Migrations run to the end however long they take: an index over a big table can take longer
// than the pool's per-statement limit, and a migration cut short would fail every start alike.
// And they reach tables made after the first migrations ran: the chunk vector table, made when
// an embedder is bound, gains its tenant index in a store made before it was.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { openPostgres } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';
import { postgresMigrations } from './migrations/index.js';

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

  it('give a vector table made before them its tenant index', async () => {
    const schema = uniqueName('migrate');
    try {
      const before = await openPostgres({
        url: POSTGRES_URL,
        schema,
        poolMax: 1,
        migrations: postgresMigrations.filter((migration) => migration.version < 107),
      });
      try {
        await createPostgresDocumentStore({ pool: before.pool }).bindVectorSpace({
          embedderId: 'test',
          dimension: 8,
        });
        // As a table made before the index was: without it.
        await before.pool.query('DROP INDEX chunk_vectors_tenant');
        expect(await vectorIndexes(before.pool)).not.toContain('chunk_vectors_tenant');
      } finally {
        await before.close();
      }
      const after = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 1 });
      try {
        expect(await vectorIndexes(after.pool)).toContain('chunk_vectors_tenant');
      } finally {
        await after.close();
      }
    } finally {
      await dropSchema(schema);
    }
  });

  it('and a process finding one made without it by an older process, after them, adds it', async () => {
    const schema = uniqueName('migrate');
    const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 2 });
    try {
      // The older process: its table, made after this schema's migrations, has no tenant index.
      await createPostgresDocumentStore({ pool: database.pool }).bindVectorSpace({
        embedderId: 'test',
        dimension: 8,
      });
      await database.pool.query('DROP INDEX chunk_vectors_tenant');
      // A process of this version starts and searches.
      const store = createPostgresDocumentStore({ pool: database.pool });
      await store.searchVector({ tenantId: 't1', vector: new Float32Array(8).fill(0.5), limit: 5 });
      expect(await vectorIndexes(database.pool)).toContain('chunk_vectors_tenant');
    } finally {
      await database.close();
      await dropSchema(schema);
    }
  });
});

/** The indexes of this schema's vector table. */
async function vectorIndexes(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT indexname AS name FROM pg_indexes
     WHERE schemaname = current_schema() AND tablename = 'chunk_vectors' ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}
