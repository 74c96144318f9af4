// PostgreSQL graph store, a document's share of the graph: removing it in one transaction
// (mentions, sources, then whatever no remaining document supports, restoring facts only a removed
// fact had superseded; mention counts are recounted after the commit) and counting it.
import type pg from 'pg';
import type { ChunkScope, RemovedGraph } from '../../ports/graph-store.js';
import { ENTITY_COLUMNS, toEntity, type EntityRow } from '../graph-rows.js';
import type { GraphRemovalPart } from '../graph-store-parts.js';
import { RECOUNT } from './graph-entities.js';
import { withTransaction, type Queryable } from './transaction.js';

export function createPostgresGraphRemoval(pool: Queryable): GraphRemovalPart {
  async function removeDocument(
    client: pg.PoolClient,
    tenantId: string,
    documentId: string,
    chunks: ChunkScope | undefined,
  ): Promise<{ removed: RemovedGraph; touchedEntities: string[] }> {
    // The document's support rows this removal takes: all, or all but those of kept chunks.
    const scope =
      chunks === undefined
        ? { sql: '', params: [] as string[][] }
        : { sql: 'AND NOT (chunk_id = ANY($3::text[]))', params: [chunks.keep] };
    const touchedRelations = (
      await client.query<{ relation_id: string }>(
        `SELECT DISTINCT relation_id FROM graph_relation_sources WHERE tenant_id = $1 AND document_id = $2 ${scope.sql}`,
        [tenantId, documentId, ...scope.params],
      )
    ).rows.map((r) => r.relation_id);
    const touchedEntities = (
      await client.query<{ entity_id: string }>(
        `SELECT DISTINCT entity_id FROM graph_mentions WHERE tenant_id = $1 AND document_id = $2 ${scope.sql}`,
        [tenantId, documentId, ...scope.params],
      )
    ).rows.map((r) => r.entity_id);
    await client.query(
      `DELETE FROM graph_relation_sources WHERE tenant_id = $1 AND document_id = $2 ${scope.sql}`,
      [tenantId, documentId, ...scope.params],
    );
    const mentions =
      (
        await client.query(
          `DELETE FROM graph_mentions WHERE tenant_id = $1 AND document_id = $2 ${scope.sql}`,
          [tenantId, documentId, ...scope.params],
        )
      ).rowCount ?? 0;
    await client.query(
      `DELETE FROM graph_aliases a WHERE a.tenant_id = $1 AND a.entity_id = ANY($2::text[])
        AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.tenant_id = a.tenant_id AND m.entity_id = a.entity_id AND m.surface = a.alias)`,
      [tenantId, touchedEntities],
    );
    const orphanEntities = (
      await client.query<{ id: string }>(
        `SELECT e.id FROM graph_entities e WHERE e.tenant_id = $1 AND e.id = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.tenant_id = e.tenant_id AND m.entity_id = e.id)`,
        [tenantId, touchedEntities],
      )
    ).rows.map((r) => r.id);
    const doomed = (
      await client.query<{ id: string }>(
        `SELECT r.id FROM graph_relations r WHERE r.tenant_id = $1 AND r.id = ANY($2::text[])
            AND NOT EXISTS (SELECT 1 FROM graph_relation_sources s WHERE s.relation_id = r.id)
          UNION SELECT r.id FROM graph_relations r WHERE r.tenant_id = $1 AND r.subject_id = ANY($3::text[])
          UNION SELECT r.id FROM graph_relations r WHERE r.tenant_id = $1 AND r.object_id = ANY($3::text[])`,
        [tenantId, touchedRelations, orphanEntities],
      )
    ).rows.map((r) => r.id);
    // A fact superseded only by a removed fact is current again — unless another surviving,
    // newer fact for the same subject and predicate supersedes it.
    await client.query(
      `UPDATE graph_relations AS r SET (invalidated_by, invalid_at) = (
          SELECT n.id, n.valid_at FROM graph_relations n WHERE n.tenant_id = r.tenant_id AND n.subject_id = r.subject_id
            AND n.predicate = r.predicate AND n.object_id <> r.object_id AND n.invalid_at IS NULL AND n.valid_at >= r.valid_at
            AND NOT (n.id = ANY($2::text[])) ORDER BY n.valid_at, n.id LIMIT 1)
        WHERE r.tenant_id = $1 AND r.invalidated_by = ANY($2::text[]) AND NOT (r.id = ANY($2::text[]))`,
      [tenantId, doomed],
    );
    const relations =
      (
        await client.query(
          `DELETE FROM graph_relations WHERE tenant_id = $1 AND id = ANY($2::text[])`,
          [tenantId, doomed],
        )
      ).rowCount ?? 0;
    const entities =
      (
        await client.query(
          `DELETE FROM graph_entities WHERE tenant_id = $1 AND id = ANY($2::text[])`,
          [tenantId, orphanEntities],
        )
      ).rowCount ?? 0;
    // An entity whose display name lost its last mention takes its most-mentioned remaining alias.
    await client.query(
      `UPDATE graph_entities AS e SET name = (
          SELECT a.alias FROM graph_aliases a WHERE a.entity_id = e.id
          ORDER BY (SELECT count(*) FROM graph_mentions m WHERE m.tenant_id = a.tenant_id AND m.entity_id = a.entity_id AND m.surface = a.alias) DESC, a.alias
          LIMIT 1)
        WHERE e.tenant_id = $1 AND e.id = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM graph_aliases a WHERE a.entity_id = e.id AND a.alias = e.name)
          AND EXISTS (SELECT 1 FROM graph_aliases a WHERE a.entity_id = e.id)`,
      [tenantId, touchedEntities],
    );
    return { removed: { mentions, relations, entities }, touchedEntities };
  }

  return {
    async removeDocument(tenantId, documentId, chunks) {
      const { removed, touchedEntities } = await withTransaction(pool, (client) =>
        removeDocument(client, tenantId, documentId, chunks),
      );
      await pool.query(RECOUNT, [tenantId, touchedEntities]);
      return removed;
    },

    async documentEntities(tenantId, documentId, limit) {
      const rows = await pool.query<EntityRow>(
        `WITH mentioned AS (
            SELECT entity_id, count(*) AS here FROM graph_mentions
            WHERE tenant_id = $1 AND document_id = $2 GROUP BY entity_id)
          SELECT ${ENTITY_COLUMNS} FROM mentioned m JOIN graph_entities e ON e.id = m.entity_id AND e.tenant_id = $1
          ORDER BY m.here DESC, e.name, e.id LIMIT $3`,
        [tenantId, documentId, limit],
      );
      return rows.rows.map(toEntity);
    },

    async countDocument(tenantId, documentId) {
      const row = (
        await pool.query<{ entities: string; relations: string }>(
          `SELECT
            (SELECT count(DISTINCT entity_id) FROM graph_mentions WHERE tenant_id = $1 AND document_id = $2) AS entities,
            (SELECT count(DISTINCT relation_id) FROM graph_relation_sources WHERE tenant_id = $1 AND document_id = $2) AS relations`,
          [tenantId, documentId],
        )
      ).rows[0]!;
      return { entities: Number(row.entities), relations: Number(row.relations) };
    },
  };
}
