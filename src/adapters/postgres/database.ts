// The distributed store: a sized pg Pool on one schema, migrated under an advisory lock.
import pg from 'pg';
import { sortedMigrations, type Migration } from '../migration.js';
import { postgresMigrations } from './migrations/index.js';

export interface PostgresDatabase {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly appliedNow: number[];
  close(): Promise<void>;
}

export interface OpenPostgresOptions {
  url: string;
  /** Tables live in this schema (created if missing); tests use one schema per suite. */
  schema?: string;
  poolMax?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  migrations?: Migration[];
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openPostgres(options: OpenPostgresOptions): Promise<PostgresDatabase> {
  const schema = options.schema ?? 'engram';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`Invalid PostgreSQL schema name "${schema}"`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    options: `-c search_path=${schema},public`,
    application_name: 'engram',
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener
  // that would crash the process. The next query reports the problem instead.
  pool.on('error', () => undefined);
  try {
    const appliedNow = await migratePostgres(
      pool,
      schema,
      options.migrations ?? postgresMigrations,
    );
    return { pool, schema, appliedNow, close: () => pool.end() };
  } catch (error) {
    await pool.end();
    throw error;
  }
}

export async function migratePostgres(
  pool: pg.Pool,
  schema: string,
  migrations: Migration[],
): Promise<number[]> {
  const client = await pool.connect();
  const appliedNow: number[] = [];
  try {
    // One lock per schema: concurrent starts of many API nodes migrate exactly once.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`engram-migrate:${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query('CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public');
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      const done = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(done.rows.map((row) => row.version));
      for (const migration of sortedMigrations(migrations)) {
        if (applied.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          // A migration may build an index over a whole table: the pool's per-statement limit is
          // for requests, and a migration cut short by it would fail every start the same way.
          await client.query('SET LOCAL statement_timeout = 0');
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            migration.version,
            migration.name,
          ]);
          await client.query('COMMIT');
          appliedNow.push(migration.version);
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(
            `Migration ${migration.version} (${migration.name}) failed: ${String(error)}`,
            {
              cause: error,
            },
          );
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`engram-migrate:${schema}`]);
    }
  } finally {
    client.release();
  }
  return appliedNow;
}
