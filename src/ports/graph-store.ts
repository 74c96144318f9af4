// Graph-store port: entities with aliases, mentions (which chunk of which document names an
// entity), and relations (facts) with validity intervals and their evidence. Writes are
// idempotent upserts keyed by natural keys, so re-extracting a chunk never duplicates anything.
// Resolution decisions are the service's; the store only answers the lookups they need.
import type { EntityType } from './extractor.js';

/** How a mention was matched to its entity, kept as provenance of every merge. */
export type ResolutionMethod = 'new' | 'exact' | 'normalized' | 'fuzzy' | 'embedding';

export interface EntityRecord {
  id: string;
  name: string;
  type: EntityType;
  /** Normalised name the entity was created under; unique per tenant and type class. */
  key: string;
  mentionCount: number;
  createdAt: number;
  updatedAt: number;
}

export interface AliasRecord {
  alias: string;
  key: string;
  method: ResolutionMethod;
  /** Similarity that justified the match (1 for exact and normalised matches). */
  score: number;
  /** Where the alias was first seen. */
  documentId: string;
  chunkId: string;
}

export interface MentionRecord {
  entityId: string;
  documentId: string;
  chunkId: string;
  surface: string;
  type: EntityType;
  method: ResolutionMethod;
  score: number;
  createdAt: number;
}

/** Where a page of an entity's mentions ends: the next page starts after it. */
export type MentionPosition = Pick<
  MentionRecord,
  'createdAt' | 'documentId' | 'chunkId' | 'surface'
>;

export interface RelationSource {
  documentId: string;
  chunkId: string;
  sentence: string;
}

export interface RelationRecord {
  id: string;
  subjectId: string;
  predicate: string;
  objectId: string;
  /** When the fact became true (stated by the text, else when it was first extracted). */
  validAt: number;
  /** When a newer contradicting fact replaced it; null while current. */
  invalidAt: number | null;
  /** The relation that replaced it. */
  invalidatedBy: string | null;
  createdAt: number;
}

export interface RelationWithNames extends RelationRecord {
  subjectName: string;
  objectName: string;
}

/** An entity and the keys of all its aliases, for matching a new name against. */
export interface EntityCandidate {
  entity: EntityRecord;
  aliasKeys: string[];
}

export interface NewEntity {
  id: string;
  name: string;
  type: EntityType;
  typeClass: string;
  key: string;
  createdAt: number;
}

export interface NewMention extends MentionRecord {
  aliasKey: string;
}

export interface NewRelation {
  id: string;
  subjectId: string;
  predicate: string;
  objectId: string;
  validAt: number;
  createdAt: number;
  source: RelationSource;
}

export interface EntityDetail {
  entity: EntityRecord;
  aliases: AliasRecord[];
  /** Facts where the entity is subject or object, current and superseded, newest first. */
  facts: (RelationWithNames & { sources: RelationSource[] })[];
  mentions: MentionRecord[];
  /** True when mentions were capped at the requested limit. */
  mentionsTruncated: boolean;
  /** True when facts were capped at the requested limit. */
  factsTruncated: boolean;
}

export interface NeighborhoodEntity extends EntityRecord {
  depth: number;
}

export interface Neighborhood {
  entities: NeighborhoodEntity[];
  /** The relations among them, each with its evidence (up to 5 sources). */
  relations: (RelationWithNames & { sources: RelationSource[] })[];
  /** True when the entity or relation cap cut the result. */
  truncated: boolean;
}

export interface NeighborhoodQuery {
  entityId: string;
  depth: number;
  maxEntities: number;
  maxRelations: number;
  includeInvalid: boolean;
}

/** The chunks whose support a graph removal leaves in place (a new version's). */
export interface ChunkScope {
  keep: string[];
}

export interface RemovedGraph {
  mentions: number;
  relations: number;
  entities: number;
}

export interface GraphStore {
  /** Entities of a type class with an alias whose key is one of `keys`. */
  findEntitiesByKeys(
    tenantId: string,
    typeClass: string,
    keys: string[],
  ): Promise<EntityCandidate[]>;
  /** Entities of a type class with an alias key starting with `prefix`, at most `limit`. */
  findEntityCandidates(
    tenantId: string,
    typeClass: string,
    prefix: string,
    limit: number,
  ): Promise<EntityCandidate[]>;
  /** Nearest entities of a type class by cosine similarity of name embeddings from `embedderId`. */
  nearestEntities(
    tenantId: string,
    query: { typeClass: string; embedderId: string; vector: Float32Array; limit: number },
  ): Promise<{ entity: EntityRecord; similarity: number }[]>;
  /** Creates the entity, or returns the one already holding (tenant, typeClass, key). */
  createEntity(tenantId: string, entity: NewEntity): Promise<EntityRecord>;
  setEntityEmbedding(
    tenantId: string,
    entityId: string,
    embedderId: string,
    vector: Float32Array,
  ): Promise<void>;
  setEntityType(tenantId: string, entityId: string, type: EntityType): Promise<void>;
  /** Upserts mentions and the aliases they introduce; existing rows are left as they are. */
  saveMentions(tenantId: string, mentions: NewMention[]): Promise<void>;
  /**
   * Inserts each relation (or finds it by subject, predicate, object) and records its source, all
   * in one transaction; answers in input order, `created` false for relations that existed.
   */
  upsertRelations(
    tenantId: string,
    relations: NewRelation[],
  ): Promise<{ relation: RelationRecord; created: boolean }[]>;
  /** Every relation (current and superseded) with one of these subject-predicate pairs, oldest valid_at first. */
  relationsOf(
    tenantId: string,
    pairs: { subjectId: string; predicate: string }[],
  ): Promise<RelationRecord[]>;
  /** Ends relations: each gets its invalid_at and the relation that replaced it. */
  invalidateRelations(
    tenantId: string,
    updates: { id: string; invalidAt: number; invalidatedBy: string }[],
  ): Promise<void>;
  /** Makes a superseded relation current again from `validAt` (the text asserted it anew). */
  reviveRelation(tenantId: string, relationId: string, validAt: number): Promise<void>;
  /**
   * Removes the document's mentions and relation sources, then every relation, alias and entity
   * no remaining document supports. Facts that only a removed relation had superseded become
   * current again. With `chunks`, the support of the chunks it keeps (a new version's) stays.
   */
  removeDocument(tenantId: string, documentId: string, chunks?: ChunkScope): Promise<RemovedGraph>;
  /** Entities whose name or alias key matches `key` exactly, by prefix, or by substring, in that order. */
  searchEntities(tenantId: string, key: string, limit: number): Promise<EntityRecord[]>;
  /** The entity with its aliases, and its facts and mentions up to the given limits. */
  getEntity(
    tenantId: string,
    entityId: string,
    limits: { mentions: number; facts: number },
  ): Promise<EntityDetail | null>;
  /**
   * An entity's mentions, oldest first (then by document, chunk and surface), after `after` when
   * given, at most `limit`; null when the tenant has no such entity.
   */
  entityMentions(
    tenantId: string,
    entityId: string,
    after: MentionPosition | null,
    limit: number,
  ): Promise<MentionRecord[] | null>;
  neighborhood(tenantId: string, query: NeighborhoodQuery): Promise<Neighborhood>;
  /** Facts touching any of the entities, current first then newest, at most `limit`. */
  factsOf(tenantId: string, entityIds: string[], limit: number): Promise<RelationWithNames[]>;
  /** Entities a document mentions, most mentioned (in it) first, then by name; at most `limit`. */
  documentEntities(tenantId: string, documentId: string, limit: number): Promise<EntityRecord[]>;
  /** Entities and relations that a document supports, for its status counts. */
  countDocument(
    tenantId: string,
    documentId: string,
  ): Promise<{ entities: number; relations: number }>;
}
