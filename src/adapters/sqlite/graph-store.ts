// SQLite adapter of the graph-store port, assembled from one part per job: entities and aliases
// (graph-entities), relations and facts (graph-relations), the neighbourhood walk
// (graph-neighbourhood) and a document's removal and counts (graph-removal).
import type { GraphStore } from '../../ports/graph-store.js';
import type { SqliteHandle } from './database.js';
import { createSqliteGraphEntities } from './graph-entities.js';
import { createSqliteGraphNeighbourhood } from './graph-neighbourhood.js';
import { createSqliteGraphRelations } from './graph-relations.js';
import { createSqliteGraphRemoval } from './graph-removal.js';

export function createSqliteGraphStore(db: SqliteHandle): GraphStore {
  return {
    ...createSqliteGraphEntities(db),
    ...createSqliteGraphRelations(db),
    ...createSqliteGraphNeighbourhood(db),
    ...createSqliteGraphRemoval(db),
  };
}
