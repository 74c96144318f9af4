// A store's vector table is its own schema's. The pool's search path ends in `public`, so a
// store whose schema held no `chunk_vectors` found one in `public` by name: it searched another
// store's vectors, dropped that table when an embedder was bound, and its migration 106 altered
// it (or failed, not owning it). Checked in a database of its own, with a `chunk_vectors` in
// `public` that must come through untouched.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, postgresAvailable, uniqueName } from '../../../test/support/backends.js';
import { openPostgres } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';

const available = await postgresAvailable();

describe.runIf(available)('a store’s vector table is its own schema’s', () => {
  const name = uniqueName('engram_vectors_db');
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const other = new pg.Client({ connectionString: url.toString() });
    await other.connect();
    await other.query('CREATE EXTENSION IF NOT EXISTS vector');
    await other.query(
      `CREATE TABLE public.chunk_vectors (chunk_id TEXT PRIMARY KEY, tenant_id TEXT, embedding vector(3))`,
    );
    await other.query(`INSERT INTO public.chunk_vectors VALUES ('kept', 't', '[1,0,0]')`);
    await other.end();
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('migrates, binds and searches without touching public.chunk_vectors', async () => {
    const database = await openPostgres({ url: url.toString(), schema: 'store_a', poolMax: 2 });
    try {
      const store = createPostgresDocumentStore({ pool: database.pool });
      // No space bound yet: nothing to search, though public holds a table by that name.
      expect(
        await store.searchVector({ tenantId: 't', vector: new Float32Array([1, 0, 0]), limit: 5 }),
      ).toEqual([]);
      await store.bindVectorSpace({ embedderId: 'test:three', dimension: 3 });
      const { rows } = await database.pool.query<{ schema: string }>(
        `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'chunk_vectors'
         ORDER BY 1`,
      );
      expect(rows.map((row) => row.schema)).toEqual(['public', 'store_a']);
      const kept = await database.pool.query<{ id: string; options: string[] | null }>(
        `SELECT (SELECT chunk_id FROM public.chunk_vectors) AS id,
                (SELECT reloptions FROM pg_class WHERE oid = 'public.chunk_vectors'::regclass) AS options`,
      );
      expect(kept.rows[0]).toEqual({ id: 'kept', options: null });
    } finally {
      await database.close();
    }
  });
});
