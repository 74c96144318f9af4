// The query plans of every statement a SQLite store ran, for tests that hold a store to reading
// rows it names by id (or by a narrower key) without reading a tenant whole: SQLite's planner,
// without statistics, takes `tenant_id = ?` on a low-selectivity index over `id IN (…)`, and
// each such statement costs time growing with the tenant.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite, type SqliteHandle } from '../../src/adapters/sqlite/database.js';

/** A new SQLite file whose statements are recorded; `close()` returns their plans and removes it. */
export function openRecordedSqlite(): { db: SqliteHandle; close(): StatementPlan[] } {
  const dir = mkdtempSync(join(tmpdir(), 'engram-plans-'));
  const database = openSqlite({ path: join(dir, 'engram.db') });
  const runs = recordStatements(database.db);
  return {
    db: database.db,
    close() {
      const plans = plansOf(database.db, runs);
      database.close();
      rmSync(dir, { recursive: true, force: true });
      return plans;
    },
  };
}

/** Each statement prepared on `db` from now on, with the parameters of its first run. */
function recordStatements(db: SqliteHandle): Map<string, unknown[]> {
  const runs = new Map<string, unknown[]>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const prepared = prepare(sql);
    const methods = prepared as unknown as Record<string, (...params: unknown[]) => unknown>;
    for (const method of ['run', 'get', 'all', 'iterate']) {
      const original = methods[method]!.bind(prepared);
      methods[method] = (...params: unknown[]) => {
        if (!runs.has(sql)) runs.set(sql, params);
        return original(...params);
      };
    }
    return prepared;
  }) as SqliteHandle['prepare'];
  return runs;
}

export interface StatementPlan {
  /** The statement on one line. */
  sql: string;
  lines: string[];
}

/**
 * The plans of the recorded statements that read or write rows (not pragmas or DDL). A test that
 * checks them runs after the suites that recorded them, in the same file (a `-t` filter that
 * leaves those out leaves it nothing to check, and it fails on its count of statements).
 */
function plansOf(db: SqliteHandle, runs: Map<string, unknown[]>): StatementPlan[] {
  const plans: StatementPlan[] = [];
  for (const [sql, params] of runs) {
    if (!/^\s*(?:SELECT|WITH|UPDATE|DELETE|INSERT)/i.test(sql)) continue;
    const lines = (
      db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>
    ).map((row) => row.detail);
    plans.push({ sql: sql.replace(/\s+/g, ' ').trim(), lines });
  }
  return plans;
}

/**
 * Plan lines that read a table, or an index of one, by nothing narrower than the tenant: a full
 * scan of the table or of an index (every tenant's rows), or a search by the tenant alone.
 */
const WHOLE_TENANT =
  /^(?:SCAN \w+(?: AS \w+)?(?: USING (?:(?:COVERING )?INDEX \w+|PRIMARY KEY))?$|(?:SEARCH|SCAN) \w+(?: AS \w+)? USING (?:(?:COVERING )?INDEX \w+|PRIMARY KEY) \(tenant_id=\?\)$)/;

/** A statement allowed to read a tenant whole by design (`sql` matches it, `line` its plan line). */
export interface WholeTenantRead {
  sql: RegExp;
  line: RegExp;
}

/**
 * Plan lines that read one of `tables` (`prefix` names them; an alias in the statement counts)
 * by the tenant alone or whole, outside the `allowed` reads; each with its statement.
 */
export function wholeTenantReads(
  plans: StatementPlan[],
  prefix: RegExp,
  allowed: WholeTenantRead[] = [],
): string[] {
  const readsTable = (sql: string, table: string) =>
    prefix.test(table) ||
    [...sql.matchAll(new RegExp(`\\b(\\w+) (?:AS )?${table}\\b`, 'g'))].some((m) =>
      prefix.test(m[1]!),
    );
  return plans.flatMap(({ sql, lines }) =>
    lines
      .filter((line) => WHOLE_TENANT.test(line) && readsTable(sql, line.split(' ')[1]!))
      .filter((line) => !allowed.some((read) => read.sql.test(sql) && read.line.test(line)))
      .map((line) => `${line}  ←  ${sql.slice(0, 240)}`),
  );
}

/** How many different statements the plans are of (a test's check that recording worked). */
export function distinctStatements(plans: StatementPlan[]): number {
  return new Set(plans.map((plan) => plan.sql)).size;
}

/**
 * Plan lines of `tables` (a pattern of their names) that scan them, or search them without
 * bounding any of the ranges the statement asks for (a column compared with a parameter by <,
 * <=, > or >=, written either way round): what a sweep for the few rows that are due reads when
 * it reads them all. The rows a subquery chose (`id IN (SELECT …)`, `(a, b) IN (SELECT …)`), found
 * by those columns alone, are not a range; an arm of an OR bounds its own column.
 */
export function unboundedReads(plans: StatementPlan[], tables: RegExp): string[] {
  return plans.flatMap(({ sql, lines }) => {
    const ranged = [...sql.matchAll(/\b(\w+) [<>]=? \?|\? [<>]=? (\w+)\b/g)].map(
      (m) => (m[1] ?? m[2])!,
    );
    const chosen = new Set(
      [...sql.matchAll(/(?:\(([\w, ]+)\)|(\w+)) IN \(\s*SELECT\b/gi)].flatMap((m) =>
        (m[1] ?? m[2])!.split(',').map((column) => column.trim()),
      ),
    );
    /** A search by equalities on the columns a subquery chose. */
    const byChosen = (line: string) => {
      const terms = /\(([^()]*)\)$/.exec(line)?.[1]?.split(' AND ') ?? [];
      return terms.length > 0 && terms.every((term) => chosen.has(term.replace(/=\?$/, '')));
    };
    return lines
      .filter((line) => {
        const [verb, table] = line.split(' ');
        if (table === undefined || !tables.test(table)) return false;
        if (verb === 'SCAN') return true;
        return (
          verb === 'SEARCH' &&
          ranged.length > 0 &&
          !byChosen(line) &&
          !ranged.some((column) => new RegExp(`\\b${column}[<>]`).test(line))
        );
      })
      .map((line) => `${line}  ←  ${sql.slice(0, 240)}`);
  });
}
