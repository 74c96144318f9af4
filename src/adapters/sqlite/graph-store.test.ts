// The graph contract on SQLite (a temp file per suite), and the query plans of every statement
// the contract ran: none may read a tenant's whole index or table to find rows it names by id
// (SQLite's planner, without statistics, took `tenant_id = ?` over `id IN (…)`: each entity
// look-up of a graph write read every entity and alias of the tenant, a cost that grew with
// the store).
import { describe, expect, it } from 'vitest';
import { describeGraphStore, type GraphTables } from '../../../test/graph/graph-contract.js';
import {
  distinctStatements,
  openRecordedSqlite,
  wholeTenantReads,
  type StatementPlan,
} from '../../../test/support/sqlite-plans.js';
import { createSqliteGraphStore } from './graph-store.js';

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

const plans: StatementPlan[] = [];

describeGraphStore('sqlite', async () => {
  const database = openRecordedSqlite();
  const { db } = database;
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
      // The suite's own count of a tenant's rows (above) is not the store's.
      plans.push(
        ...database
          .close()
          .filter(
            (plan) => !plan.sql.includes('count(*) FROM graph_entities WHERE tenant_id = @t'),
          ),
      );
    },
  };
});

describe('graph store query plans (sqlite)', () => {
  it('read no tenant whole where the rows are named by id', () => {
    expect(distinctStatements(plans)).toBeGreaterThan(20);
    const offenders = wholeTenantReads(plans, /^graph_/, ALLOWED);
    expect(offenders).toEqual([]);
  });
});
