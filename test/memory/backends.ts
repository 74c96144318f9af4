// Memory stores for the contract, service and HTTP suites: a temp SQLite file, or a fresh
// PostgreSQL schema.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { PostgresMemoryStore } from '../../src/adapters/postgres/memory-store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { createSqliteSearchThreads } from '../../src/adapters/sqlite/search-threads.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import type { MemoryStore } from '../../src/ports/memory-store.js';
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueName } from '../support/backends.js';

export interface MemoryBackend {
  store: MemoryStore;
  /** Fresh planner statistics (PostgreSQL; autovacuum would take them later). */
  analyze?(): Promise<void>;
  close(): Promise<void>;
}

/** A temp SQLite file; full-text search in `threads` threads of its own, as the server runs it. */
export async function openSqliteMemoryBackend(threads = 1): Promise<MemoryBackend> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-memory-'));
  const database = openSqlite({ path: join(dir, 'engram.db') });
  const searchThreads = createSqliteSearchThreads({
    db: database.db,
    threads,
    logger: createSilentLogger(),
  });
  return {
    store: new SqliteMemoryStore(database.db, { searchThreads }),
    close: async () => {
      await searchThreads?.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Undefined when no PostgreSQL server is reachable, so callers can skip. */
export async function openPostgresMemoryBackend(): Promise<MemoryBackend | undefined> {
  if (!(await postgresAvailable())) return undefined;
  const schema = uniqueName('memory');
  const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 4 });
  return {
    store: new PostgresMemoryStore(database.pool),
    analyze: async () => {
      await database.pool.query('ANALYZE memories');
    },
    close: async () => {
      await database.close();
      await dropSchema(schema);
    },
  };
}

export const MEMORY_BACKENDS: Array<{
  name: 'sqlite' | 'postgres';
  open(): Promise<MemoryBackend | undefined>;
}> = [
  { name: 'sqlite', open: () => openSqliteMemoryBackend() },
  { name: 'postgres', open: openPostgresMemoryBackend },
];
