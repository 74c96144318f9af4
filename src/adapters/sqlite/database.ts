// The embedded store: one SQLite file (WAL) with FTS5 and sqlite-vec, migrated on open.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { sortedMigrations, type Migration } from '../migration.js';
import { sqliteMigrations } from './migrations/index.js';

export type SqliteHandle = Database.Database;

export interface SqliteDatabase {
  readonly db: SqliteHandle;
  readonly path: string;
  /** Versions applied by this open (empty when the file was already current). */
  readonly appliedNow: number[];
  close(): void;
}

export interface OpenSqliteOptions {
  /** File path, or ':memory:'. */
  path: string;
  migrations?: Migration[];
  busyTimeoutMs?: number;
}

/**
 * Engram's SQLite extension (native/: engram_bm25() and engram_fts_tokens()), built by
 * `npm run build` beside src/ and dist/ (both two folders below this file's).
 */
const EXTENSION = fileURLToPath(
  new URL(
    `../../../build/native/engram-fts5.${process.platform === 'darwin' ? 'dylib' : 'so'}`,
    import.meta.url,
  ),
);

/** Loads Engram's extension, or says what is missing. */
function loadExtension(db: SqliteHandle): void {
  if (!existsSync(EXTENSION)) {
    throw new Error(
      `Engram's SQLite extension is missing (${EXTENSION}): run \`npm run build\` (it needs a C compiler).`,
    );
  }
  db.loadExtension(EXTENSION);
}

/** SQLITE_MAX_MMAP_SIZE of better-sqlite3's build (0x7fff0000); larger values are capped. */
const MMAP_BYTES = 0x7fff0000;

export function openSqlite(options: OpenSqliteOptions): SqliteDatabase {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    // Reads go through a memory map of the file's first 2 GiB (this build's limit): a search
    // that scores 1,600 vectors of 2 KB reads as many pages, and skips a system call and a copy
    // for each. The known cost of mapping: an I/O error on the disk surfaces as a signal that
    // ends the process, where a read would have returned an error.
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    sqliteVec.load(db);
    loadExtension(db);
    const appliedNow = migrateSqlite(db, options.migrations ?? sqliteMigrations);
    return {
      db,
      path: options.path,
      appliedNow,
      close: () => {
        if (db.open) db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Applies pending migrations in one IMMEDIATE transaction each, so two processes never race. */
export function migrateSqlite(db: SqliteHandle, migrations: Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const appliedNow: number[] = [];
  for (const migration of sortedMigrations(migrations)) {
    const apply = db.transaction(() => {
      const done = db
        .prepare('SELECT 1 FROM schema_migrations WHERE version = ?')
        .get(migration.version);
      if (done !== undefined) return false;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      );
      return true;
    });
    if (apply.immediate()) appliedNow.push(migration.version);
  }
  return appliedNow;
}
