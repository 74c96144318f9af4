// PostgreSQL graph store, entities and aliases: the lookups entity resolution needs (by alias
// key, by key prefix, by name embedding in an untyped pgvector column, one embedder per row,
// filtered by embedder_id and compared with <=>), entity writes, mentions with the aliases they
// introduce, name search and an entity's detail.
import type { EntityCandidate, NewMention } from '../../ports/graph-store.js';
import {
  ENTITY_COLUMNS,
  RELATION_COLUMNS,
  RELATION_JOINS,
  toCandidates,
  toEntity,
  toEntityDetail,
  toMention,
  type AliasKeyRow,
  type AliasRow,
  type EntityRow,
  type MentionRow,
  type RelationRow,
} from '../graph-rows.js';
import type { GraphEntitiesPart } from '../graph-store-parts.js';
import type { SourceRow } from '../graph-sources.js';
import { likeEscape } from '../like-pattern.js';
import { vectorLiteral } from './pgvector.js';
import { withTransaction, type Queryable } from './transaction.js';

/**
 * Recounts the mentions of some entities. Run after the writing transaction commits, so with
 * concurrent writers the last recount sees every committed mention.
 */
export const RECOUNT = `UPDATE graph_entities AS e SET mention_count = (
    SELECT count(*) FROM graph_mentions m WHERE m.tenant_id = e.tenant_id AND m.entity_id = e.id)
  WHERE e.tenant_id = $1 AND e.id = ANY($2::text[])`;

export function createPostgresGraphEntities(pool: Queryable): GraphEntitiesPart {
  async function candidatesFor(
    db: Queryable,
    tenantId: string,
    entityIds: string[],
  ): Promise<EntityCandidate[]> {
    if (entityIds.length === 0) return [];
    const entities = await db.query<EntityRow>(
      `SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = $1 AND e.id = ANY($2::text[]) ORDER BY e.created_at, e.id`,
      [tenantId, entityIds],
    );
    const aliases = await db.query<AliasKeyRow>(
      `SELECT entity_id, key FROM graph_aliases WHERE tenant_id = $1 AND entity_id = ANY($2::text[])`,
      [tenantId, entityIds],
    );
    return toCandidates(entities.rows, aliases.rows);
  }

  async function insertMentions(tenantId: string, mentions: NewMention[]): Promise<void> {
    const column = <K extends keyof NewMention>(key: K) => mentions.map((m) => m[key]);
    await withTransaction(pool, async (client) => {
      await client.query(
        `INSERT INTO graph_mentions (tenant_id, entity_id, document_id, chunk_id, surface, type, method, score, created_at)
          SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::bigint[])
          ON CONFLICT DO NOTHING`,
        [
          tenantId,
          column('entityId'),
          column('documentId'),
          column('chunkId'),
          column('surface'),
          column('type'),
          column('method'),
          column('score'),
          column('createdAt'),
        ],
      );
      await client.query(
        `INSERT INTO graph_aliases (tenant_id, entity_id, alias, key, prefix, type_class, method, score, document_id, chunk_id, created_at)
          SELECT DISTINCT ON (m.entity_id, m.surface) $1, m.entity_id, m.surface, m.key, substr(m.key, 1, 2), e.type_class, m.method, m.score,
            m.document_id, m.chunk_id, m.created_at
          FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::text[], $9::bigint[])
            AS m(entity_id, surface, key, document_id, chunk_id, score, method, created_at)
          JOIN graph_entities e ON e.tenant_id = $1 AND e.id = m.entity_id
          ON CONFLICT (entity_id, alias) DO NOTHING`,
        [
          tenantId,
          column('entityId'),
          column('surface'),
          column('aliasKey'),
          column('documentId'),
          column('chunkId'),
          column('score'),
          column('method'),
          column('createdAt'),
        ],
      );
    });
  }

  return {
    async findEntitiesByKeys(tenantId, typeClass, keys) {
      if (keys.length === 0) return [];
      const ids = await pool.query<{ entity_id: string }>(
        `SELECT entity_id FROM graph_aliases WHERE tenant_id = $1 AND type_class = $2 AND key = ANY($3::text[])
          UNION SELECT id FROM graph_entities WHERE tenant_id = $1 AND type_class = $2 AND key = ANY($3::text[])`,
        [tenantId, typeClass, keys],
      );
      return candidatesFor(
        pool,
        tenantId,
        ids.rows.map((r) => r.entity_id),
      );
    },

    async findEntityCandidates(tenantId, typeClass, prefix, limit) {
      const ids = await pool.query<{ entity_id: string }>(
        `SELECT DISTINCT entity_id FROM graph_aliases WHERE tenant_id = $1 AND type_class = $2 AND prefix = $3 LIMIT $4`,
        [tenantId, typeClass, prefix, limit],
      );
      return candidatesFor(
        pool,
        tenantId,
        ids.rows.map((r) => r.entity_id),
      );
    },

    async nearestEntities(tenantId, query) {
      const rows = await pool.query<EntityRow & { distance: number }>(
        `SELECT ${ENTITY_COLUMNS}, e.embedding <=> $1::vector AS distance FROM graph_entities e
          WHERE e.tenant_id = $2 AND e.type_class = $3 AND e.embedder_id = $4 AND e.embedding IS NOT NULL
          ORDER BY distance LIMIT $5`,
        [vectorLiteral(query.vector), tenantId, query.typeClass, query.embedderId, query.limit],
      );
      return rows.rows.map((row) => ({
        entity: toEntity(row),
        similarity: 1 - Number(row.distance),
      }));
    },

    async createEntity(tenantId, entity) {
      await pool.query(
        `INSERT INTO graph_entities (id, tenant_id, name, type, type_class, key, created_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (tenant_id, type_class, key) DO NOTHING`,
        [
          entity.id,
          tenantId,
          entity.name,
          entity.type,
          entity.typeClass,
          entity.key,
          entity.createdAt,
        ],
      );
      const row = await pool.query<EntityRow>(
        `SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = $1 AND e.type_class = $2 AND e.key = $3`,
        [tenantId, entity.typeClass, entity.key],
      );
      return toEntity(row.rows[0]!);
    },

    async setEntityEmbedding(tenantId, entityId, embedderId, vector) {
      await pool.query(
        `UPDATE graph_entities SET embedder_id = $1, embedding = $2::vector WHERE tenant_id = $3 AND id = $4`,
        [embedderId, vectorLiteral(vector), tenantId, entityId],
      );
    },

    async setEntityType(tenantId, entityId, type) {
      await pool.query(`UPDATE graph_entities SET type = $1 WHERE tenant_id = $2 AND id = $3`, [
        type,
        tenantId,
        entityId,
      ]);
    },

    async saveMentions(tenantId, mentions: NewMention[]) {
      if (mentions.length === 0) return;
      await insertMentions(tenantId, mentions);
      await pool.query(RECOUNT, [tenantId, [...new Set(mentions.map((m) => m.entityId))]]);
    },

    async searchEntities(tenantId, key, limit) {
      const pattern = likeEscape(key);
      const rows = await pool.query<EntityRow>(
        `WITH hits AS (
            SELECT entity_id, MIN(CASE WHEN key = $2 THEN 0 WHEN key LIKE $3 ESCAPE '\\' THEN 1 ELSE 2 END) AS rank
            FROM graph_aliases WHERE tenant_id = $1 AND key LIKE $4 ESCAPE '\\' GROUP BY entity_id)
          SELECT ${ENTITY_COLUMNS}, h.rank FROM hits h JOIN graph_entities e ON e.id = h.entity_id AND e.tenant_id = $1
          ORDER BY h.rank, mention_count DESC, e.name LIMIT $5`,
        [tenantId, key, `${pattern}%`, `%${pattern}%`, limit],
      );
      return rows.rows.map(toEntity);
    },

    async getEntity(tenantId, entityId, limits) {
      const row = (
        await pool.query<EntityRow>(
          `SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = $1 AND e.id = $2`,
          [tenantId, entityId],
        )
      ).rows[0];
      if (row === undefined) return null;
      const aliases = await pool.query<AliasRow>(
        `SELECT alias, key, method, score, document_id, chunk_id FROM graph_aliases WHERE tenant_id = $1 AND entity_id = $2 ORDER BY created_at, alias`,
        [tenantId, entityId],
      );
      const facts = await pool.query<RelationRow>(
        `SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE r.tenant_id = $1 AND (r.subject_id = $2 OR r.object_id = $2) ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id
          LIMIT $3`,
        [tenantId, entityId, limits.facts + 1],
      );
      const sources = await pool.query<SourceRow>(
        `SELECT relation_id, document_id, chunk_id, sentence FROM graph_relation_sources
          WHERE tenant_id = $1 AND relation_id = ANY($2::text[]) ORDER BY relation_id, document_id, chunk_id`,
        [tenantId, facts.rows.map((f) => f.id)],
      );
      const mentions = await pool.query<MentionRow>(
        `SELECT * FROM graph_mentions WHERE tenant_id = $1 AND entity_id = $2 ORDER BY created_at, document_id, chunk_id, surface LIMIT $3`,
        [tenantId, entityId, limits.mentions + 1],
      );
      return toEntityDetail(
        {
          entity: row,
          aliases: aliases.rows,
          facts: facts.rows,
          sources: sources.rows,
          mentions: mentions.rows,
        },
        limits,
      );
    },

    async entityMentions(tenantId, entityId, after, limit) {
      const exists = await pool.query(
        `SELECT 1 FROM graph_entities WHERE tenant_id = $1 AND id = $2`,
        [tenantId, entityId],
      );
      if (exists.rowCount === 0) return null;
      const position = after ?? { createdAt: -1, documentId: '', chunkId: '', surface: '' };
      const rows = await pool.query<MentionRow>(
        `SELECT * FROM graph_mentions WHERE tenant_id = $1 AND entity_id = $2
          AND (created_at, document_id, chunk_id, surface) > ($3::bigint, $4::text, $5::text, $6::text)
          ORDER BY created_at, document_id, chunk_id, surface LIMIT $7`,
        [
          tenantId,
          entityId,
          position.createdAt,
          position.documentId,
          position.chunkId,
          position.surface,
          limit,
        ],
      );
      return rows.rows.map(toMention);
    },
  };
}
