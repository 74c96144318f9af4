// The graph-store port cut by job, the same way for every backend: each adapter builds one part
// per job and its graph-store.ts joins them into a GraphStore.
import type { GraphStore } from '../ports/graph-store.js';

/** Entities and aliases: resolution lookups, entity writes, mentions, name search, detail. */
export type GraphEntitiesPart = Pick<
  GraphStore,
  | 'findEntitiesByKeys'
  | 'findEntityCandidates'
  | 'nearestEntities'
  | 'createEntity'
  | 'setEntityEmbedding'
  | 'setEntityType'
  | 'saveMentions'
  | 'searchEntities'
  | 'getEntity'
  | 'entityMentions'
>;

/** Relations (facts) and their sources. */
export type GraphRelationsPart = Pick<
  GraphStore,
  'upsertRelations' | 'relationsOf' | 'invalidateRelations' | 'reviveRelation' | 'factsOf'
>;

/** The walk around one entity. */
export type GraphNeighbourhoodPart = Pick<GraphStore, 'neighborhood'>;

/** A document's share of the graph: removal, counts and its entities. */
export type GraphRemovalPart = Pick<
  GraphStore,
  'removeDocument' | 'countDocument' | 'documentEntities'
>;
