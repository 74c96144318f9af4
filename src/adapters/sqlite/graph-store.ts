// SQLite adapter of the graph-store port. Name embeddings live in a BLOB column compared with
// sqlite-vec's vec_distance_cosine (brute force per tenant and type class); the neighbourhood
// is one recursive CTE whose step follows relations out and in through their own indexes.
import type { EntityType } from '../../ports/extractor.js';
import type {
  AliasRecord,
  EntityCandidate,
  EntityDetail,
  EntityRecord,
  GraphStore,
  MentionRecord,
  Neighborhood,
  NewEntity,
  NewMention,
  NewRelation,
  RelationRecord,
  RelationSource,
  RelationWithNames,
  RemovedGraph,
  ResolutionMethod,
} from '../../ports/graph-store.js';
import type { SqliteHandle } from './database.js';

interface EntityRow {
  id: string;
  name: string;
  type: string;
  key: string;
  mention_count: number;
  created_at: number;
  updated_at: number;
}

interface RelationRow {
  id: string;
  subject_id: string;
  predicate: string;
  object_id: string;
  valid_at: number;
  invalid_at: number | null;
  invalidated_by: string | null;
  created_at: number;
  subject_name?: string;
  object_name?: string;
}

const ENTITY_COLUMNS = `e.id, e.name, e.type, e.key, e.created_at, e.updated_at, e.mention_count`;

/** Recounts the mentions of some entities (after mentions were added or removed). */
const RECOUNT = `UPDATE graph_entities AS e SET mention_count = (
    SELECT count(*) FROM graph_mentions m WHERE m.tenant_id = e.tenant_id AND m.entity_id = e.id)
  WHERE e.tenant_id = ? AND e.id IN (SELECT value FROM json_each(?))`;

const RELATION_COLUMNS = `r.id, r.subject_id, r.predicate, r.object_id, r.valid_at, r.invalid_at, r.invalidated_by, r.created_at,
  s.name AS subject_name, o.name AS object_name`;

const RELATION_JOINS = `JOIN graph_entities s ON s.id = r.subject_id JOIN graph_entities o ON o.id = r.object_id`;

function toEntity(row: EntityRow): EntityRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type as EntityType,
    key: row.key,
    mentionCount: Number(row.mention_count),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toRelation(row: RelationRow): RelationRecord {
  return {
    id: row.id,
    subjectId: row.subject_id,
    predicate: row.predicate,
    objectId: row.object_id,
    validAt: Number(row.valid_at),
    invalidAt: row.invalid_at === null ? null : Number(row.invalid_at),
    invalidatedBy: row.invalidated_by,
    createdAt: Number(row.created_at),
  };
}

function toNamedRelation(row: RelationRow): RelationWithNames {
  return { ...toRelation(row), subjectName: row.subject_name ?? '', objectName: row.object_name ?? '' };
}

interface SourceRow {
  relation_id: string;
  document_id: string;
  chunk_id: string;
  sentence: string;
}

/** Evidence per relation, at most MAX_SOURCES_PER_FACT each: a fact repeated in 1,000 chunks needs no 1,000 quotes. */
const MAX_SOURCES_PER_FACT = 5;

function groupSources(rows: SourceRow[]): Map<string, RelationSource[]> {
  const grouped = new Map<string, RelationSource[]>();
  for (const row of rows) {
    const list = grouped.get(row.relation_id) ?? [];
    if (list.length < MAX_SOURCES_PER_FACT) list.push({ documentId: row.document_id, chunkId: row.chunk_id, sentence: row.sentence });
    grouped.set(row.relation_id, list);
  }
  return grouped;
}

function vectorBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function createSqliteGraphStore(db: SqliteHandle): GraphStore {
  const candidatesFor = (tenantId: string, entityIds: string[]): EntityCandidate[] => {
    if (entityIds.length === 0) return [];
    const entities = db
      .prepare(`SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = ? AND e.id IN (SELECT value FROM json_each(?)) ORDER BY e.created_at, e.id`)
      .all(tenantId, JSON.stringify(entityIds)) as EntityRow[];
    const aliases = db
      .prepare(`SELECT entity_id, key FROM graph_aliases WHERE tenant_id = ? AND entity_id IN (SELECT value FROM json_each(?))`)
      .all(tenantId, JSON.stringify(entityIds)) as { entity_id: string; key: string }[];
    return entities.map((row) => ({
      entity: toEntity(row),
      aliasKeys: [...new Set([row.key, ...aliases.filter((a) => a.entity_id === row.id).map((a) => a.key)])],
    }));
  };

  const insertAlias = db.prepare(`INSERT INTO graph_aliases
      (tenant_id, entity_id, alias, key, prefix, type_class, method, score, document_id, chunk_id, created_at)
    SELECT @tenantId, @entityId, @surface, @aliasKey, substr(@aliasKey, 1, 2), e.type_class, @method, @score, @documentId, @chunkId, @createdAt
    FROM graph_entities e WHERE e.tenant_id = @tenantId AND e.id = @entityId
    ON CONFLICT (entity_id, alias) DO NOTHING`);
  const insertMention = db.prepare(`INSERT INTO graph_mentions
      (tenant_id, entity_id, document_id, chunk_id, surface, type, method, score, created_at)
    VALUES (@tenantId, @entityId, @documentId, @chunkId, @surface, @type, @method, @score, @createdAt)
    ON CONFLICT DO NOTHING`);

  const recount = db.prepare(RECOUNT);
  const saveMentions = db.transaction((tenantId: string, mentions: NewMention[]) => {
    for (const mention of mentions) {
      const params = { tenantId, ...mention };
      insertMention.run(params);
      insertAlias.run(params);
    }
    recount.run(tenantId, JSON.stringify([...new Set(mentions.map((m) => m.entityId))]));
  });

  const insertRelation = db.prepare(`INSERT INTO graph_relations (id, tenant_id, subject_id, predicate, object_id, valid_at, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, subject_id, predicate, object_id) DO NOTHING`);
  const selectRelation = db.prepare(`SELECT * FROM graph_relations WHERE tenant_id = ? AND subject_id = ? AND predicate = ? AND object_id = ?`);
  const insertSource = db.prepare(`INSERT INTO graph_relation_sources (tenant_id, relation_id, document_id, chunk_id, sentence)
    VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
  const upsertRelations = db.transaction((tenantId: string, relations: NewRelation[]) =>
    relations.map((relation) => {
      const inserted = insertRelation.run(
        relation.id, tenantId, relation.subjectId, relation.predicate, relation.objectId, relation.validAt, relation.createdAt,
      );
      const row = selectRelation.get(tenantId, relation.subjectId, relation.predicate, relation.objectId) as RelationRow;
      insertSource.run(tenantId, row.id, relation.source.documentId, relation.source.chunkId, relation.source.sentence);
      return { relation: toRelation(row), created: inserted.changes > 0 };
    }),
  );

  const invalidate = db.prepare(`UPDATE graph_relations SET invalid_at = ?, invalidated_by = ? WHERE tenant_id = ? AND id = ?`);
  const invalidateRelations = db.transaction((tenantId: string, updates: { id: string; invalidAt: number; invalidatedBy: string }[]) => {
    for (const update of updates) invalidate.run(update.invalidAt, update.invalidatedBy, tenantId, update.id);
  });

  const removeDocument = db.transaction((tenantId: string, documentId: string): RemovedGraph => {
    const json = (ids: string[]) => JSON.stringify(ids);
    const touchedRelations = (db
      .prepare(`SELECT DISTINCT relation_id FROM graph_relation_sources WHERE tenant_id = ? AND document_id = ?`)
      .all(tenantId, documentId) as { relation_id: string }[]).map((r) => r.relation_id);
    const touchedEntities = (db
      .prepare(`SELECT DISTINCT entity_id FROM graph_mentions WHERE tenant_id = ? AND document_id = ?`)
      .all(tenantId, documentId) as { entity_id: string }[]).map((r) => r.entity_id);
    db.prepare(`DELETE FROM graph_relation_sources WHERE tenant_id = ? AND document_id = ?`).run(tenantId, documentId);
    const mentions = db.prepare(`DELETE FROM graph_mentions WHERE tenant_id = ? AND document_id = ?`).run(tenantId, documentId).changes;
    db.prepare(`DELETE FROM graph_aliases WHERE tenant_id = ? AND entity_id IN (SELECT value FROM json_each(?))
        AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.tenant_id = graph_aliases.tenant_id
          AND m.entity_id = graph_aliases.entity_id AND m.surface = graph_aliases.alias)`)
      .run(tenantId, json(touchedEntities));
    const orphanEntities = (db
      .prepare(`SELECT e.id FROM graph_entities e WHERE e.tenant_id = ? AND e.id IN (SELECT value FROM json_each(?))
          AND NOT EXISTS (SELECT 1 FROM graph_mentions m WHERE m.tenant_id = e.tenant_id AND m.entity_id = e.id)`)
      .all(tenantId, json(touchedEntities)) as { id: string }[]).map((r) => r.id);
    const doomed = (db
      .prepare(`SELECT r.id FROM graph_relations r WHERE r.tenant_id = @tenantId AND r.id IN (SELECT value FROM json_each(@touched))
            AND NOT EXISTS (SELECT 1 FROM graph_relation_sources s WHERE s.relation_id = r.id)
          UNION SELECT r.id FROM graph_relations r WHERE r.tenant_id = @tenantId AND r.subject_id IN (SELECT value FROM json_each(@orphans))
          UNION SELECT r.id FROM graph_relations r WHERE r.tenant_id = @tenantId AND r.object_id IN (SELECT value FROM json_each(@orphans))`)
      .all({ tenantId, touched: json(touchedRelations), orphans: json(orphanEntities) }) as { id: string }[]).map((r) => r.id);
    // A fact superseded only by a removed fact is current again — unless another surviving,
    // newer fact for the same subject and predicate supersedes it.
    db.prepare(`UPDATE graph_relations AS r SET
          invalidated_by = (SELECT n.id FROM graph_relations n WHERE n.tenant_id = r.tenant_id AND n.subject_id = r.subject_id
            AND n.predicate = r.predicate AND n.object_id <> r.object_id AND n.invalid_at IS NULL AND n.valid_at >= r.valid_at
            AND n.id NOT IN (SELECT value FROM json_each(@doomed)) ORDER BY n.valid_at, n.id LIMIT 1),
          invalid_at = (SELECT n.valid_at FROM graph_relations n WHERE n.tenant_id = r.tenant_id AND n.subject_id = r.subject_id
            AND n.predicate = r.predicate AND n.object_id <> r.object_id AND n.invalid_at IS NULL AND n.valid_at >= r.valid_at
            AND n.id NOT IN (SELECT value FROM json_each(@doomed)) ORDER BY n.valid_at, n.id LIMIT 1)
        WHERE r.tenant_id = @tenantId AND r.invalidated_by IN (SELECT value FROM json_each(@doomed))
          AND r.id NOT IN (SELECT value FROM json_each(@doomed))`)
      .run({ tenantId, doomed: json(doomed) });
    const relations = db
      .prepare(`DELETE FROM graph_relations WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))`)
      .run(tenantId, json(doomed)).changes;
    const entities = db
      .prepare(`DELETE FROM graph_entities WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))`)
      .run(tenantId, json(orphanEntities)).changes;
    recount.run(tenantId, json(touchedEntities));
    // An entity whose display name lost its last mention takes its most-mentioned remaining alias.
    db.prepare(`UPDATE graph_entities AS e SET name = (
          SELECT a.alias FROM graph_aliases a WHERE a.entity_id = e.id
          ORDER BY (SELECT count(*) FROM graph_mentions m WHERE m.tenant_id = a.tenant_id AND m.entity_id = a.entity_id AND m.surface = a.alias) DESC, a.alias
          LIMIT 1)
        WHERE e.tenant_id = ? AND e.id IN (SELECT value FROM json_each(?))
          AND NOT EXISTS (SELECT 1 FROM graph_aliases a WHERE a.entity_id = e.id AND a.alias = e.name)
          AND EXISTS (SELECT 1 FROM graph_aliases a WHERE a.entity_id = e.id)`)
      .run(tenantId, json(touchedEntities));
    return { mentions, relations, entities };
  });

  return {
    async findEntitiesByKeys(tenantId, typeClass, keys) {
      if (keys.length === 0) return [];
      const ids = db
        .prepare(`SELECT DISTINCT entity_id FROM graph_aliases WHERE tenant_id = ? AND type_class = ? AND key IN (SELECT value FROM json_each(?))
          UNION SELECT id FROM graph_entities WHERE tenant_id = ? AND type_class = ? AND key IN (SELECT value FROM json_each(?))`)
        .all(tenantId, typeClass, JSON.stringify(keys), tenantId, typeClass, JSON.stringify(keys)) as { entity_id: string }[];
      return candidatesFor(tenantId, ids.map((r) => r.entity_id));
    },

    async findEntityCandidates(tenantId, typeClass, prefix, limit) {
      const ids = db
        .prepare(`SELECT DISTINCT entity_id FROM graph_aliases WHERE tenant_id = ? AND type_class = ? AND prefix = ? LIMIT ?`)
        .all(tenantId, typeClass, prefix, limit) as { entity_id: string }[];
      return candidatesFor(tenantId, ids.map((r) => r.entity_id));
    },

    async nearestEntities(tenantId, query) {
      const rows = db
        .prepare(`SELECT ${ENTITY_COLUMNS}, vec_distance_cosine(e.embedding, ?) AS distance FROM graph_entities e
          WHERE e.tenant_id = ? AND e.type_class = ? AND e.embedder_id = ? AND e.embedding IS NOT NULL
          ORDER BY distance LIMIT ?`)
        .all(vectorBlob(query.vector), tenantId, query.typeClass, query.embedderId, query.limit) as (EntityRow & { distance: number })[];
      return rows.map((row) => ({ entity: toEntity(row), similarity: 1 - row.distance }));
    },

    async createEntity(tenantId, entity: NewEntity) {
      db.prepare(`INSERT INTO graph_entities (id, tenant_id, name, type, type_class, key, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, type_class, key) DO NOTHING`)
        .run(entity.id, tenantId, entity.name, entity.type, entity.typeClass, entity.key, entity.createdAt, entity.createdAt);
      const row = db
        .prepare(`SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = ? AND e.type_class = ? AND e.key = ?`)
        .get(tenantId, entity.typeClass, entity.key) as EntityRow;
      return toEntity(row);
    },

    async setEntityEmbedding(tenantId, entityId, embedderId, vector) {
      db.prepare(`UPDATE graph_entities SET embedder_id = ?, embedding = ? WHERE tenant_id = ? AND id = ?`).run(
        embedderId,
        vectorBlob(vector),
        tenantId,
        entityId,
      );
    },

    async setEntityType(tenantId, entityId, type) {
      db.prepare(`UPDATE graph_entities SET type = ? WHERE tenant_id = ? AND id = ?`).run(type, tenantId, entityId);
    },

    async saveMentions(tenantId, mentions) {
      saveMentions(tenantId, mentions);
    },

    async upsertRelations(tenantId, relations) {
      return upsertRelations(tenantId, relations);
    },

    async relationsOf(tenantId, pairs) {
      if (pairs.length === 0) return [];
      const rows = db
        .prepare(`SELECT r.* FROM json_each(?) p CROSS JOIN graph_relations r
          WHERE r.tenant_id = ? AND r.subject_id = json_extract(p.value, '$[0]') AND r.predicate = json_extract(p.value, '$[1]')
          ORDER BY r.valid_at, r.id`)
        .all(JSON.stringify(pairs.map((p) => [p.subjectId, p.predicate])), tenantId) as RelationRow[];
      return rows.map(toRelation);
    },

    async invalidateRelations(tenantId, updates) {
      invalidateRelations(tenantId, updates);
    },

    async reviveRelation(tenantId, relationId, validAt) {
      db.prepare(`UPDATE graph_relations SET valid_at = ?, invalid_at = NULL, invalidated_by = NULL WHERE tenant_id = ? AND id = ?`).run(
        validAt,
        tenantId,
        relationId,
      );
    },

    async removeDocument(tenantId, documentId) {
      return removeDocument(tenantId, documentId);
    },

    async searchEntities(tenantId, key, limit) {
      const pattern = likeEscape(key);
      const rows = db
        .prepare(`WITH hits AS (
            SELECT entity_id, MIN(CASE WHEN key = @key THEN 0 WHEN key LIKE @prefix ESCAPE '\\' THEN 1 ELSE 2 END) AS rank
            FROM graph_aliases WHERE tenant_id = @tenantId AND key LIKE @infix ESCAPE '\\' GROUP BY entity_id)
          SELECT ${ENTITY_COLUMNS}, h.rank FROM hits h JOIN graph_entities e ON e.id = h.entity_id AND e.tenant_id = @tenantId
          ORDER BY h.rank, mention_count DESC, e.name LIMIT @limit`)
        .all({ tenantId, key, prefix: `${pattern}%`, infix: `%${pattern}%`, limit }) as EntityRow[];
      return rows.map(toEntity);
    },

    async getEntity(tenantId, entityId, limits) {
      const maxMentions = limits.mentions;
      const row = db.prepare(`SELECT ${ENTITY_COLUMNS} FROM graph_entities e WHERE e.tenant_id = ? AND e.id = ?`).get(tenantId, entityId) as
        | EntityRow
        | undefined;
      if (row === undefined) return null;
      const aliases = db
        .prepare(`SELECT alias, key, method, score, document_id, chunk_id FROM graph_aliases WHERE tenant_id = ? AND entity_id = ? ORDER BY created_at, alias`)
        .all(tenantId, entityId) as { alias: string; key: string; method: string; score: number; document_id: string; chunk_id: string }[];
      const facts = db
        .prepare(`SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE r.tenant_id = ? AND (r.subject_id = ? OR r.object_id = ?) ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id LIMIT ?`)
        .all(tenantId, entityId, entityId, limits.facts + 1) as RelationRow[];
      const sources = groupSources(
        db
          .prepare(`SELECT relation_id, document_id, chunk_id, sentence FROM graph_relation_sources
            WHERE tenant_id = ? AND relation_id IN (SELECT value FROM json_each(?)) ORDER BY relation_id, document_id, chunk_id`)
          .all(tenantId, JSON.stringify(facts.map((f) => f.id))) as SourceRow[],
      );
      const mentions = db
        .prepare(`SELECT * FROM graph_mentions WHERE tenant_id = ? AND entity_id = ? ORDER BY created_at, document_id, chunk_id, surface LIMIT ?`)
        .all(tenantId, entityId, maxMentions + 1) as {
        entity_id: string; document_id: string; chunk_id: string; surface: string; type: string; method: string; score: number; created_at: number;
      }[];
      const detail: EntityDetail = {
        entity: toEntity(row),
        aliases: aliases.map((a): AliasRecord => ({
          alias: a.alias,
          key: a.key,
          method: a.method as ResolutionMethod,
          score: a.score,
          documentId: a.document_id,
          chunkId: a.chunk_id,
        })),
        facts: facts.slice(0, limits.facts).map((row) => ({ ...toNamedRelation(row), sources: sources.get(row.id) ?? [] })),
        factsTruncated: facts.length > limits.facts,
        mentions: mentions.slice(0, maxMentions).map((m): MentionRecord => ({
          entityId: m.entity_id,
          documentId: m.document_id,
          chunkId: m.chunk_id,
          surface: m.surface,
          type: m.type as EntityType,
          method: m.method as ResolutionMethod,
          score: m.score,
          createdAt: Number(m.created_at),
        })),
        mentionsTruncated: mentions.length > maxMentions,
      };
      return detail;
    },

    async neighborhood(tenantId, query): Promise<Neighborhood> {
      const all = query.includeInvalid ? 1 : 0;
      const reached = db
        .prepare(`WITH RECURSIVE walk(id, depth) AS (
            SELECT @start, 0
            UNION
            SELECT r.object_id, w.depth + 1 FROM walk w CROSS JOIN graph_relations r INDEXED BY graph_relations_subject
            WHERE r.tenant_id = @tenantId AND r.subject_id = w.id AND w.depth < @depth AND (@all = 1 OR r.invalid_at IS NULL)
            UNION
            SELECT r.subject_id, w.depth + 1 FROM walk w CROSS JOIN graph_relations r INDEXED BY graph_relations_object
            WHERE r.tenant_id = @tenantId AND r.object_id = w.id AND w.depth < @depth AND (@all = 1 OR r.invalid_at IS NULL))
          SELECT ${ENTITY_COLUMNS}, MIN(w.depth) AS depth FROM walk w JOIN graph_entities e ON e.id = w.id AND e.tenant_id = @tenantId
          GROUP BY e.id ORDER BY depth, mention_count DESC, e.id LIMIT @cap`)
        .all({ tenantId, start: query.entityId, depth: query.depth, all, cap: query.maxEntities + 1 }) as (EntityRow & { depth: number })[];
      const kept = reached.slice(0, query.maxEntities);
      const ids = JSON.stringify(kept.map((row) => row.id));
      const relations = db
        .prepare(`SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE r.tenant_id = ? AND r.subject_id IN (SELECT value FROM json_each(?)) AND r.object_id IN (SELECT value FROM json_each(?))
            AND (? = 1 OR r.invalid_at IS NULL)
          ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id LIMIT ?`)
        .all(tenantId, ids, ids, all, query.maxRelations + 1) as RelationRow[];
      return {
        entities: kept.map((row) => ({ ...toEntity(row), depth: Number(row.depth) })),
        relations: relations.slice(0, query.maxRelations).map(toNamedRelation),
        truncated: reached.length > query.maxEntities || relations.length > query.maxRelations,
      };
    },

    async factsOf(tenantId, entityIds, limit) {
      if (entityIds.length === 0) return [];
      const ids = JSON.stringify(entityIds);
      const rows = db
        .prepare(`SELECT ${RELATION_COLUMNS} FROM graph_relations r ${RELATION_JOINS}
          WHERE r.tenant_id = ? AND (r.subject_id IN (SELECT value FROM json_each(?)) OR r.object_id IN (SELECT value FROM json_each(?)))
          ORDER BY r.invalid_at IS NOT NULL, r.valid_at DESC, r.id LIMIT ?`)
        .all(tenantId, ids, ids, limit) as RelationRow[];
      return rows.map(toNamedRelation);
    },

    async countDocument(tenantId, documentId) {
      const row = db
        .prepare(`SELECT
            (SELECT count(DISTINCT entity_id) FROM graph_mentions WHERE tenant_id = @tenantId AND document_id = @documentId) AS entities,
            (SELECT count(DISTINCT relation_id) FROM graph_relation_sources WHERE tenant_id = @tenantId AND document_id = @documentId) AS relations`)
        .get({ tenantId, documentId }) as { entities: number; relations: number };
      return { entities: Number(row.entities), relations: Number(row.relations) };
    },
  };
}
