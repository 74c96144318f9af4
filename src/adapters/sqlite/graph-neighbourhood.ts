// SQLite graph store, neighbourhood: one recursive CTE whose step follows relations out and in
// through their own indexes (pinned with INDEXED BY), then the relations among the entities reached.
//
// Plans: SQLite's planner has no statistics, and took `tenant_id = ?` over `id IN (…)`, reading
// every row of the tenant's index to find a few named by id. The entities reached are looked up
// by id from the walk (CROSS JOIN fixes that order; `+tenant_id` alone let GROUP BY e.id walk
// every tenant's entities), and the relations among them by the tenant and their ids;
// graph-store.test.ts checks the plan of every statement the graph contract runs.
import type { Neighborhood } from '../../ports/graph-store.js';
import {
  ENTITY_COLUMNS,
  RELATION_COLUMNS,
  RELATION_JOINS,
  toEntity,
  toNamedRelation,
  type EntityRow,
  type RelationRow,
} from '../graph-rows.js';
import { groupSources, type SourceRow } from '../graph-sources.js';
import type { GraphNeighbourhoodPart } from '../graph-store-parts.js';
import type { SqliteHandle } from './database.js';

export function createSqliteGraphNeighbourhood(db: SqliteHandle): GraphNeighbourhoodPart {
  return {
    async neighborhood(tenantId, query): Promise<Neighborhood> {
      const all = query.includeInvalid ? 1 : 0;
      const reached = db
        .prepare(
          `WITH RECURSIVE walk(id, depth) AS (
            SELECT @start, 0
            UNION
            SELECT r.object_id, w.depth + 1 FROM walk w CROSS JOIN graph_relations r INDEXED BY graph_relations_subject
            WHERE r.tenant_id = @tenantId AND r.subject_id = w.id AND w.depth < @depth AND (@all = 1 OR r.invalid_at IS NULL)
            UNION
            SELECT r.subject_id, w.depth + 1 FROM walk w CROSS JOIN graph_relations r INDEXED BY graph_relations_object
            WHERE r.tenant_id = @tenantId AND r.object_id = w.id AND w.depth < @depth AND (@all = 1 OR r.invalid_at IS NULL))
          SELECT ${ENTITY_COLUMNS}, MIN(w.depth) AS depth FROM walk w CROSS JOIN graph_entities e ON e.id = w.id AND e.tenant_id = @tenantId
          GROUP BY e.id ORDER BY depth, mention_count DESC, e.id LIMIT @cap`,
        )
        .all({
          tenantId,
          start: query.entityId,
          depth: query.depth,
          all,
          cap: query.maxEntities + 1,
        }) as (EntityRow & { depth: number })[];
      const kept = reached.slice(0, query.maxEntities);
      const ids = JSON.stringify(kept.map((row) => row.id));
      const relations = db
        .prepare(
          `SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE r.tenant_id = ? AND r.subject_id IN (SELECT value FROM json_each(?)) AND r.object_id IN (SELECT value FROM json_each(?))
            AND (? = 1 OR r.invalid_at IS NULL)
          ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id LIMIT ?`,
        )
        .all(tenantId, ids, ids, all, query.maxRelations + 1) as RelationRow[];
      const shown = relations.slice(0, query.maxRelations);
      const sources = groupSources(
        db
          .prepare(
            `SELECT relation_id, document_id, chunk_id, sentence FROM graph_relation_sources
            WHERE +tenant_id = ? AND relation_id IN (SELECT value FROM json_each(?)) ORDER BY relation_id, document_id, chunk_id`,
          )
          .all(tenantId, JSON.stringify(shown.map((r) => r.id))) as SourceRow[],
      );
      return {
        entities: kept.map((row) => ({ ...toEntity(row), depth: Number(row.depth) })),
        relations: shown.map((row) => ({
          ...toNamedRelation(row),
          sources: sources.get(row.id) ?? [],
        })),
        truncated: reached.length > query.maxEntities || relations.length > query.maxRelations,
      };
    },
  };
}
