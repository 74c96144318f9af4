// Lab setup shared by the PostgreSQL labs: a kept schema of the bench database (migrated on
// open), with a long statement timeout for fills.
import { openPostgres, type PostgresDatabase } from '../../src/adapters/postgres/database.js';
import { POSTGRES_URL } from '../../test/support/backends.js';

export function openLabSchema(schema: string, poolMax = 4): Promise<PostgresDatabase> {
  return openPostgres({
    url: process.env.ENGRAM_BENCH_DATABASE_URL ?? POSTGRES_URL,
    schema,
    poolMax,
    statementTimeoutMs: 3_600_000,
  });
}
