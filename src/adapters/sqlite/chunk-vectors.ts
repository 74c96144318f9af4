// SQLite document store, chunk vectors: the store's one vector space (embedder and dimension),
// each chunk's vector with its sign bits and int8 copy, and the sign-bit index per tenant
// (signed-vectors.ts) told of every vector replaced or removed.
import { AppError } from '../../domain/errors.js';
import type { Clock } from '../../domain/clock.js';
import {
  embedderMismatch,
  type ChunkVector,
  type VectorSpace,
} from '../../ports/document-store.js';
import type { SqliteHandle } from './database.js';
import { SignedVectors, type SignedVectorTable } from './signed-vectors.js';
import { vectorBlob } from './vector-blob.js';

/** Chunk vectors, indexed per tenant, filtered by namespace. */
const CHUNK_VECTORS: SignedVectorTable = {
  kind: 'chunks',
  table: 'chunk_vectors',
  id: 'id',
  scope: 'v.tenant_id = ?',
  join: '',
  keys: ['v.namespace'],
  time: '0',
};

export class SqliteChunkVectors {
  /** The sign-bit indexes searched (document-search.ts). */
  readonly indexes: SignedVectors;

  constructor(
    private readonly db: SqliteHandle,
    private readonly clock: Clock,
  ) {
    this.indexes = new SignedVectors(db, CHUNK_VECTORS);
  }

  /** The embedder and dimension bound to the store; undefined before the first. */
  space(): VectorSpace | undefined {
    const row = this.db
      .prepare('SELECT embedder_id, dimension FROM vector_space WHERE id = 1')
      .get() as { embedder_id: string; dimension: number } | undefined;
    return row === undefined
      ? undefined
      : { embedderId: row.embedder_id, dimension: row.dimension };
  }

  /** Binds the store to an embedder; another one only while no chunk holds a vector. */
  bindSpace(space: VectorSpace): void {
    if (!Number.isInteger(space.dimension) || space.dimension < 1 || space.dimension > 8192) {
      throw new AppError(
        'INVALID_STATE',
        `Embedder ${space.embedderId} reports dimension ${space.dimension}.`,
      );
    }
    const current = this.space();
    if (
      current !== undefined &&
      current.embedderId === space.embedderId &&
      current.dimension === space.dimension
    ) {
      return;
    }
    const bind = this.db.transaction(() => {
      const recorded = this.space();
      if (recorded?.embedderId === space.embedderId && recorded.dimension === space.dimension)
        return;
      if (recorded !== undefined) {
        const held = this.db
          .prepare('SELECT count(*) AS n FROM chunks WHERE has_vector = 1')
          .get() as {
          n: number;
        };
        if (held.n > 0) throw embedderMismatch(recorded, space, held.n);
      }
      this.db.exec('DELETE FROM chunk_vectors');
      this.indexes.reset();
      this.db
        .prepare(
          `INSERT INTO vector_space (id, embedder_id, dimension, created_at) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET embedder_id = excluded.embedder_id, dimension = excluded.dimension,
           created_at = excluded.created_at`,
        )
        .run(space.embedderId, space.dimension, this.clock.now());
    });
    bind.immediate();
  }

  /** Writes (or replaces) chunks' vectors; a chunk gone meanwhile is skipped. */
  upsert(tenantId: string, written: ChunkVector[]): void {
    if (written.length === 0) return;
    const space = this.space();
    if (space === undefined) {
      throw new AppError(
        'INVALID_STATE',
        'No embedder is bound to this store yet: call bindVectorSpace first.',
      );
    }
    const write = this.db.transaction(() => {
      const find = this.db.prepare(
        'SELECT seq, namespace FROM chunks WHERE tenant_id = ? AND id = ?',
      );
      const remove = this.db.prepare('DELETE FROM chunk_vectors WHERE seq = ? RETURNING id');
      // A new id on every write, so the sign-bit index catches up by id.
      const insert = this.db.prepare(
        `INSERT INTO chunk_vectors (seq, tenant_id, namespace, vector, signs, quantised)
         VALUES (?, ?, ?, ?, ?, ?)`,
      );
      const mark = this.db.prepare('UPDATE chunks SET has_vector = 1 WHERE seq = ?');
      const sign = this.indexes.signer(
        [tenantId],
        written.map((item) => item.vector),
      );
      for (const { chunkId, vector } of written) {
        if (vector.length !== space.dimension) {
          throw new AppError(
            'EMBEDDER_MISMATCH',
            `Vector of length ${vector.length} does not fit the store's ${space.embedderId} (dimension ${space.dimension}).`,
          );
        }
        const chunk = find.get(tenantId, chunkId) as { seq: number; namespace: string } | undefined;
        if (chunk === undefined) continue; // re-chunked or deleted meanwhile: nothing to attach to
        const old = remove.get(chunk.seq) as { id: number } | undefined;
        if (old !== undefined) this.indexes.changed([tenantId], [old.id]);
        const { signs, quantised } = sign(vector);
        insert.run(chunk.seq, tenantId, chunk.namespace, vectorBlob(vector), signs, quantised);
        mark.run(chunk.seq);
      }
    });
    write.immediate();
  }

  /** Removes the vectors of these chunks, in the caller's transaction; how many there were. */
  drop(seqs: number[]): number {
    const deleteVector = this.db.prepare(
      'DELETE FROM chunk_vectors WHERE seq = ? RETURNING id, tenant_id AS tenantId',
    );
    let removed = 0;
    for (const seq of seqs) {
      const vector = deleteVector.get(seq) as { id: number; tenantId: string } | undefined;
      if (vector === undefined) continue;
      this.indexes.changed([vector.tenantId], [vector.id]);
      removed += 1;
    }
    return removed;
  }
}
