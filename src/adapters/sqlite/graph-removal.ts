// SQLite graph store, a document's share of the graph: removing it in one transaction (mentions,
// sources, then whatever no remaining document supports, restoring facts only a removed fact had
// superseded) and counting it.
//
// Plans: SQLite's planner has no statistics, and took `tenant_id = ?` over `id IN (…)`, reading
// every row of the tenant's index to find a few named by id. Such statements write `+tenant_id`
// (the test still applied, no longer choosing the index); graph-store.test.ts checks the plan of
// every statement the graph contract runs.
// A mention of an alias is found through graph_mentions_entity by name (INDEXED BY): left to
// itself the planner searched the mentions' key by the tenant alone.
import type { ChunkScope, RemovedGraph } from '../../ports/graph-store.js';
import { ENTITY_COLUMNS, toEntity, type EntityRow } from '../graph-rows.js';
import type { GraphRemovalPart } from '../graph-store-parts.js';
import type { SqliteHandle } from './database.js';
import { RECOUNT } from './graph-entities.js';

export function createSqliteGraphRemoval(db: SqliteHandle): GraphRemovalPart {
  const recount = db.prepare(RECOUNT);
  const removeDocument = db.transaction(
    (tenantId: string, documentId: string, chunks?: ChunkScope): RemovedGraph => {
      const json = (ids: string[]) => JSON.stringify(ids);
      // The document's support rows this removal takes: all, or all but those of kept chunks.
      const scope =
        chunks === undefined
          ? { sql: '', params: [] as string[] }
          : {
              sql: 'AND chunk_id NOT IN (SELECT value FROM json_each(?))',
              params: [json(chunks.keep)],
            };
      const touchedRelations = (
        db
          .prepare(
            `SELECT DISTINCT relation_id FROM graph_relation_sources WHERE tenant_id = ? AND document_id = ? ${scope.sql}`,
          )
          .all(tenantId, documentId, ...scope.params) as { relation_id: string }[]
      ).map((r) => r.relation_id);
      const touchedEntities = (
        db
          .prepare(
            `SELECT DISTINCT entity_id FROM graph_mentions WHERE tenant_id = ? AND document_id = ? ${scope.sql}`,
          )
          .all(tenantId, documentId, ...scope.params) as { entity_id: string }[]
      ).map((r) => r.entity_id);
      db.prepare(
        `DELETE FROM graph_relation_sources WHERE tenant_id = ? AND document_id = ? ${scope.sql}`,
      ).run(tenantId, documentId, ...scope.params);
      const mentions = db
        .prepare(`DELETE FROM graph_mentions WHERE tenant_id = ? AND document_id = ? ${scope.sql}`)
        .run(tenantId, documentId, ...scope.params).changes;
      db.prepare(
        `DELETE FROM graph_aliases WHERE +tenant_id = ? AND entity_id IN (SELECT value FROM json_each(?))
        AND NOT EXISTS (SELECT 1 FROM graph_mentions m INDEXED BY graph_mentions_entity WHERE m.tenant_id = graph_aliases.tenant_id
          AND m.entity_id = graph_aliases.entity_id AND m.surface = graph_aliases.alias)`,
      ).run(tenantId, json(touchedEntities));
      const orphanEntities = (
        db
          .prepare(
            `SELECT e.id FROM graph_entities e WHERE +e.tenant_id = ? AND e.id IN (SELECT value FROM json_each(?))
          AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.tenant_id = e.tenant_id AND m.entity_id = e.id)`,
          )
          .all(tenantId, json(touchedEntities)) as { id: string }[]
      ).map((r) => r.id);
      const doomed = (
        db
          .prepare(
            `SELECT r.id FROM graph_relations r WHERE +r.tenant_id = @tenantId AND r.id IN (SELECT value FROM json_each(@touched))
            AND NOT EXISTS (SELECT 1 FROM graph_relation_sources s WHERE s.relation_id = r.id)
          UNION SELECT r.id FROM graph_relations r WHERE r.tenant_id = @tenantId AND r.subject_id IN (SELECT value FROM json_each(@orphans))
          UNION SELECT r.id FROM graph_relations r WHERE r.tenant_id = @tenantId AND r.object_id IN (SELECT value FROM json_each(@orphans))`,
          )
          .all({ tenantId, touched: json(touchedRelations), orphans: json(orphanEntities) }) as {
          id: string;
        }[]
      ).map((r) => r.id);
      // A fact superseded only by a removed fact is current again — unless another surviving,
      // newer fact for the same subject and predicate supersedes it.
      db.prepare(
        `UPDATE graph_relations AS r SET
          invalidated_by = (SELECT n.id FROM graph_relations n WHERE n.tenant_id = r.tenant_id AND n.subject_id = r.subject_id
            AND n.predicate = r.predicate AND n.object_id <> r.object_id AND n.invalid_at IS NULL AND n.valid_at >= r.valid_at
            AND n.id NOT IN (SELECT value FROM json_each(@doomed)) ORDER BY n.valid_at, n.id LIMIT 1),
          invalid_at = (SELECT n.valid_at FROM graph_relations n WHERE n.tenant_id = r.tenant_id AND n.subject_id = r.subject_id
            AND n.predicate = r.predicate AND n.object_id <> r.object_id AND n.invalid_at IS NULL AND n.valid_at >= r.valid_at
            AND n.id NOT IN (SELECT value FROM json_each(@doomed)) ORDER BY n.valid_at, n.id LIMIT 1)
        WHERE r.tenant_id = @tenantId AND r.invalidated_by IN (SELECT value FROM json_each(@doomed))
          AND r.id NOT IN (SELECT value FROM json_each(@doomed))`,
      ).run({ tenantId, doomed: json(doomed) });
      const relations = db
        .prepare(
          `DELETE FROM graph_relations WHERE +tenant_id = ? AND id IN (SELECT value FROM json_each(?))`,
        )
        .run(tenantId, json(doomed)).changes;
      const entities = db
        .prepare(
          `DELETE FROM graph_entities WHERE +tenant_id = ? AND id IN (SELECT value FROM json_each(?))`,
        )
        .run(tenantId, json(orphanEntities)).changes;
      recount.run(tenantId, json(touchedEntities));
      // An entity whose display name lost its last mention takes its most-mentioned remaining alias.
      db.prepare(
        `UPDATE graph_entities AS e SET name = (
          SELECT a.alias FROM graph_aliases a WHERE a.entity_id = e.id
          ORDER BY (SELECT count(*) FROM graph_mentions m INDEXED BY graph_mentions_entity WHERE m.tenant_id = a.tenant_id AND m.entity_id = a.entity_id AND m.surface = a.alias) DESC, a.alias
          LIMIT 1)
        WHERE +e.tenant_id = ? AND e.id IN (SELECT value FROM json_each(?))
          AND NOT EXISTS (SELECT 1 FROM graph_aliases a WHERE a.entity_id = e.id AND a.alias = e.name)
          AND EXISTS (SELECT 1 FROM graph_aliases a WHERE a.entity_id = e.id)`,
      ).run(tenantId, json(touchedEntities));
      return { mentions, relations, entities };
    },
  );

  return {
    async removeDocument(tenantId, documentId, chunks) {
      return removeDocument(tenantId, documentId, chunks);
    },

    async documentEntities(tenantId, documentId, limit) {
      const rows = db
        .prepare(
          `WITH mentioned AS (
            SELECT entity_id, count(*) AS here FROM graph_mentions
            WHERE tenant_id = @tenantId AND document_id = @documentId GROUP BY entity_id)
          SELECT ${ENTITY_COLUMNS} FROM mentioned m JOIN graph_entities e ON e.id = m.entity_id AND +e.tenant_id = @tenantId
          ORDER BY m.here DESC, e.name, e.id LIMIT @limit`,
        )
        .all({ tenantId, documentId, limit }) as EntityRow[];
      return rows.map(toEntity);
    },

    async countDocument(tenantId, documentId) {
      const row = db
        .prepare(
          `SELECT
            (SELECT count(DISTINCT entity_id) FROM graph_mentions WHERE tenant_id = @tenantId AND document_id = @documentId) AS entities,
            (SELECT count(DISTINCT relation_id) FROM graph_relation_sources WHERE tenant_id = @tenantId AND document_id = @documentId) AS relations`,
        )
        .get({ tenantId, documentId }) as { entities: number; relations: number };
      return { entities: Number(row.entities), relations: Number(row.relations) };
    },
  };
}
