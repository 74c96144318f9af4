// PostgreSQL adapter of the graph-store port, assembled from one part per job: entities and
// aliases (graph-entities), relations and facts (graph-relations), the neighbourhood walk
// (graph-neighbourhood) and a document's removal and counts (graph-removal).
import type { GraphStore } from '../../ports/graph-store.js';
import { createPostgresGraphEntities } from './graph-entities.js';
import { createPostgresGraphNeighbourhood } from './graph-neighbourhood.js';
import { createPostgresGraphRelations } from './graph-relations.js';
import { createPostgresGraphRemoval } from './graph-removal.js';
import type { Queryable } from './transaction.js';

export function createPostgresGraphStore(pool: Queryable): GraphStore {
  return {
    ...createPostgresGraphEntities(pool),
    ...createPostgresGraphRelations(pool),
    ...createPostgresGraphNeighbourhood(pool),
    ...createPostgresGraphRemoval(pool),
  };
}
