// The graph contract on PostgreSQL (a fresh schema per suite).
import { describeGraphStore, type GraphTables } from '../../../test/graph/graph-contract.js';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { openPostgres } from './database.js';
import { createPostgresGraphStore } from './graph-store.js';

describeGraphStore('postgres', async () => {
  if (!(await postgresAvailable())) return undefined;
  const schema = uniqueName('graph');
  const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 4 });
  const { pool } = database;
  return {
    store: createPostgresGraphStore(pool),
    async tables(tenantId) {
      const row = (
        await pool.query<Record<keyof GraphTables, string>>(
          `SELECT
            (SELECT count(*) FROM graph_entities WHERE tenant_id = $1) AS entities,
            (SELECT count(*) FROM graph_aliases WHERE tenant_id = $1) AS aliases,
            (SELECT count(*) FROM graph_mentions WHERE tenant_id = $1) AS mentions,
            (SELECT count(*) FROM graph_relations WHERE tenant_id = $1) AS relations,
            (SELECT count(*) FROM graph_relation_sources WHERE tenant_id = $1) AS sources,
            (SELECT count(*) FROM graph_entities e WHERE tenant_id = $1
                AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.entity_id = e.id))
             + (SELECT count(*) FROM graph_aliases a WHERE tenant_id = $1
                AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.entity_id = a.entity_id AND m.surface = a.alias))
             + (SELECT count(*) FROM graph_relations r WHERE tenant_id = $1
                AND NOT EXISTS (SELECT 1 FROM graph_relation_sources s WHERE s.relation_id = r.id)) AS orphans`,
          [tenantId],
        )
      ).rows[0]!;
      return {
        entities: Number(row.entities),
        aliases: Number(row.aliases),
        mentions: Number(row.mentions),
        relations: Number(row.relations),
        sources: Number(row.sources),
        orphans: Number(row.orphans),
      };
    },
    async close() {
      await database.close();
      await dropSchema(schema);
    },
  };
});
