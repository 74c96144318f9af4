// The graph contract on SQLite (a temp file per suite), and the query plans of every statement
// the contract ran: none may read a tenant's whole index or table to find rows it names by id
// (SQLite's planner, without statistics, took `tenant_id = ?` over `id IN (…)`: each entity
// look-up of a graph write read every entity and alias of the tenant, a cost that grew with
// the store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeGraphStore, type GraphTables } from '../../../test/graph/graph-contract.js';
import { openSqlite, type SqliteHandle } from './database.js';
import { createSqliteGraphStore } from './graph-store.js';

/** Each statement the store prepares, with the parameters of its first run. */
function recordStatements(db: SqliteHandle): Map<string, unknown[]> {
  const runs = new Map<string, unknown[]>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    const prepared = prepare(sql);
    const methods = prepared as unknown as Record<string, (...params: unknown[]) => unknown>;
    for (const method of ['run', 'get', 'all']) {
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

/**
 * Plan lines that read a graph table, or an index of one, by nothing narrower than the tenant:
 * a full scan of the table or of an index (every tenant's rows), or a search by the tenant alone.
 */
const WHOLE_TENANT =
  /^(?:SCAN \w+(?: AS \w+)?(?: USING (?:COVERING )?INDEX \w+)?$|(?:SEARCH|SCAN) \w+(?: AS \w+)? USING (?:COVERING )?INDEX \w+ \(tenant_id=\?\)$)/;

/**
 * The one statement that reads a tenant's whole index by design: name search by a key's infix
 * (LIKE '%…%' cannot use an index), over the tenant's alias keys.
 */
const ALLOWED = [
  {
    sql: /key LIKE @infix/,
    line: /^SEARCH graph_aliases USING INDEX graph_aliases_search \(tenant_id=\?\)$/,
  },
];

/** Whether a plan line's table is one of the graph's (by name, or by its alias in `sql`). */
function readsGraphTable(sql: string, table: string): boolean {
  return table.startsWith('graph_') || new RegExp(`\\bgraph_\\w+ (?:AS )?${table}\\b`).test(sql);
}

const plans: Array<{ sql: string; lines: string[] }> = [];

describeGraphStore('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'engram-graph-'));
  const database = openSqlite({ path: join(dir, 'graph.db') });
  const { db } = database;
  const runs = recordStatements(db);
  return {
    store: createSqliteGraphStore(db),
    async tables(tenantId) {
      return db
        .prepare(
          `SELECT
            (SELECT count(*) FROM graph_entities WHERE tenant_id = @t) AS entities,
            (SELECT count(*) FROM graph_aliases WHERE tenant_id = @t) AS aliases,
            (SELECT count(*) FROM graph_mentions WHERE tenant_id = @t) AS mentions,
            (SELECT count(*) FROM graph_relations WHERE tenant_id = @t) AS relations,
            (SELECT count(*) FROM graph_relation_sources WHERE tenant_id = @t) AS sources,
            (SELECT count(*) FROM graph_entities e WHERE tenant_id = @t
                AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.entity_id = e.id))
             + (SELECT count(*) FROM graph_aliases a WHERE tenant_id = @t
                AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.entity_id = a.entity_id AND m.surface = a.alias))
             + (SELECT count(*) FROM graph_relations r WHERE tenant_id = @t
                AND NOT EXISTS (SELECT 1 FROM graph_relation_sources s WHERE s.relation_id = r.id)) AS orphans`,
        )
        .get({ t: tenantId }) as GraphTables;
    },
    async close() {
      for (const [sql, params] of runs) {
        if (
          !/^\s*(?:SELECT|WITH|UPDATE|DELETE|INSERT)/i.test(sql) ||
          sql.includes('count(*) FROM graph_entities WHERE tenant_id = @t')
        )
          continue;
        const lines = (
          db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>
        ).map((row) => row.detail);
        plans.push({ sql: sql.replace(/\s+/g, ' ').trim(), lines });
      }
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('graph store query plans (sqlite)', () => {
  it('read no tenant whole where the rows are named by id', () => {
    expect(plans.length).toBeGreaterThan(20);
    const offenders = plans.flatMap(({ sql, lines }) =>
      lines
        .filter((line) => WHOLE_TENANT.test(line) && readsGraphTable(sql, line.split(' ')[1]!))
        .filter(
          (line) => !ALLOWED.some((allowed) => allowed.sql.test(sql) && allowed.line.test(line)),
        )
        .map((line) => `${line}  ←  ${sql.slice(0, 200)}`),
    );
    expect(offenders).toEqual([]);
  });
});
