// The graph contract on SQLite (a temp file per suite).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeGraphStore, type GraphTables } from '../../../test/graph/graph-contract.js';
import { openSqlite } from './database.js';
import { createSqliteGraphStore } from './graph-store.js';

describeGraphStore('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'engram-graph-'));
  const database = openSqlite({ path: join(dir, 'graph.db') });
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
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
