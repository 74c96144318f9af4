// Row shapes of the graph tables and their mapping to port records, shared by the SQLite and
// PostgreSQL graph stores: both schemas use the same column names. Numbers may arrive as
// strings (pg returns bigint columns as text), so every mapper converts with Number().
import type { EntityType } from '../ports/extractor.js';
import type {
  AliasRecord,
  EntityCandidate,
  EntityDetail,
  EntityRecord,
  MentionRecord,
  RelationRecord,
  RelationWithNames,
  ResolutionMethod,
} from '../ports/graph-store.js';
import { groupSources, type SourceRow } from './graph-sources.js';

export interface EntityRow {
  id: string;
  name: string;
  type: string;
  key: string;
  mention_count: string | number;
  created_at: string | number;
  updated_at: string | number;
}

export interface RelationRow {
  id: string;
  subject_id: string;
  predicate: string;
  object_id: string;
  valid_at: string | number;
  invalid_at: string | number | null;
  invalidated_by: string | null;
  created_at: string | number;
  subject_name?: string;
  object_name?: string;
}

export interface AliasRow {
  alias: string;
  key: string;
  method: string;
  score: number;
  document_id: string;
  chunk_id: string;
}

export interface MentionRow {
  entity_id: string;
  document_id: string;
  chunk_id: string;
  surface: string;
  type: string;
  method: string;
  score: number;
  created_at: string | number;
}

export const ENTITY_COLUMNS = `e.id, e.name, e.type, e.key, e.created_at, e.updated_at, e.mention_count`;

export const RELATION_COLUMNS = `r.id, r.subject_id, r.predicate, r.object_id, r.valid_at, r.invalid_at, r.invalidated_by, r.created_at,
  s.name AS subject_name, o.name AS object_name`;

export const RELATION_JOINS = `JOIN graph_entities s ON s.id = r.subject_id JOIN graph_entities o ON o.id = r.object_id`;

export function toEntity(row: EntityRow): EntityRecord {
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

export function toRelation(row: RelationRow): RelationRecord {
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

export function toNamedRelation(row: RelationRow): RelationWithNames {
  return {
    ...toRelation(row),
    subjectName: row.subject_name ?? '',
    objectName: row.object_name ?? '',
  };
}

export function toAlias(row: AliasRow): AliasRecord {
  return {
    alias: row.alias,
    key: row.key,
    method: row.method as ResolutionMethod,
    score: Number(row.score),
    documentId: row.document_id,
    chunkId: row.chunk_id,
  };
}

export function toMention(row: MentionRow): MentionRecord {
  return {
    entityId: row.entity_id,
    documentId: row.document_id,
    chunkId: row.chunk_id,
    surface: row.surface,
    type: row.type as EntityType,
    method: row.method as ResolutionMethod,
    score: Number(row.score),
    createdAt: Number(row.created_at),
  };
}

/** Alias keys of entities, as selected for entity resolution. */
export interface AliasKeyRow {
  entity_id: string;
  key: string;
}

/**
 * Candidates in the order of `entityRows`, each with its own key then its alias keys (in row
 * order, without duplicates). Aliases are grouped once, not scanned per entity.
 */
export function toCandidates(entityRows: EntityRow[], aliasRows: AliasKeyRow[]): EntityCandidate[] {
  const keysByEntity = new Map<string, string[]>();
  for (const alias of aliasRows) {
    const keys = keysByEntity.get(alias.entity_id);
    if (keys === undefined) keysByEntity.set(alias.entity_id, [alias.key]);
    else keys.push(alias.key);
  }
  return entityRows.map((row) => ({
    entity: toEntity(row),
    aliasKeys: [...new Set([row.key, ...(keysByEntity.get(row.id) ?? [])])],
  }));
}

/**
 * An entity's detail from its rows. `facts` and `mentions` were fetched with one row beyond
 * the limit, so an extra row marks the list as truncated.
 */
export function toEntityDetail(
  rows: {
    entity: EntityRow;
    aliases: AliasRow[];
    facts: RelationRow[];
    sources: SourceRow[];
    mentions: MentionRow[];
  },
  limits: { mentions: number; facts: number },
): EntityDetail {
  const sources = groupSources(rows.sources);
  return {
    entity: toEntity(rows.entity),
    aliases: rows.aliases.map(toAlias),
    facts: rows.facts
      .slice(0, limits.facts)
      .map((row) => ({ ...toNamedRelation(row), sources: sources.get(row.id) ?? [] })),
    factsTruncated: rows.facts.length > limits.facts,
    mentions: rows.mentions.slice(0, limits.mentions).map(toMention),
    mentionsTruncated: rows.mentions.length > limits.mentions,
  };
}
