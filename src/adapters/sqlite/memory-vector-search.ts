// SQLite memory store, vectors: each tenant's and embedder's vectors in a binary (sign-bit) index
// kept in memory and caught up with the table on every search; its candidates are scored exactly
// with sqlite-vec's cosine distance, falling back to the whole scope when filters thin them out.
import type { MemoryHit, MemoryScope } from '../../ports/memory-store.js';
import type { SqliteHandle } from './database.js';
import { hitsOf } from './memory-rows.js';
import { scopeClauses } from './memory-scope.js';
import { BinaryVectorIndex, type IndexedVector } from './memory-vector-index.js';
import { vectorBlob } from './vector-blob.js';

function blobVector(blob: Buffer): Float32Array {
  // Copy: a Buffer's offset need not be 4-byte aligned.
  return new Float32Array(new Uint8Array(blob).buffer);
}

/** The memory columns a vector's index entry needs (the index filters on them). */
interface IndexedMemoryRow {
  pk: number;
  user_id: string | null;
  session_id: string | null;
  kind: string;
  occurred_at: number;
}

function indexEntry(row: IndexedMemoryRow, vector: Float32Array): IndexedVector {
  return {
    pk: row.pk,
    userId: row.user_id,
    sessionId: row.session_id,
    kind: row.kind,
    occurredAt: row.occurred_at,
    vector,
  };
}

/** Exact scoring looks at this many candidates from the binary index (at least). */
const MIN_CANDIDATES = 800;
const CANDIDATES_PER_RESULT = 8;

export class SqliteMemoryVectors {
  private readonly vectorIndexes = new Map<string, BinaryVectorIndex>();

  constructor(private readonly db: SqliteHandle) {}

  /** The binary index of a tenant's vectors from one embedder, caught up with the table. */
  private vectorIndex(tenantId: string, embedderId: string, dimension: number): BinaryVectorIndex {
    const key = `${tenantId}\u0000${embedderId}`;
    let index = this.vectorIndexes.get(key);
    if (index === undefined || index.dimension !== dimension || index.wantsRebuild) {
      const sample = (
        this.db
          .prepare(
            'SELECT vector FROM memory_vectors WHERE tenant_id = ? AND embedder_id = ? ORDER BY memory_pk DESC LIMIT 10000',
          )
          .all(tenantId, embedderId) as Array<{ vector: Buffer }>
      )
        .map((row) => blobVector(row.vector))
        .filter((vector) => vector.length === dimension);
      index = new BinaryVectorIndex(dimension, sample);
      this.vectorIndexes.set(key, index);
    }
    const rows = this.db
      .prepare(
        `SELECT v.memory_pk AS pk, v.vector, m.user_id, m.session_id, m.kind, m.occurred_at FROM memory_vectors v
         JOIN memories m ON m.pk = v.memory_pk
         WHERE v.memory_pk > ? AND v.tenant_id = ? AND v.embedder_id = ? ORDER BY v.memory_pk`,
      )
      .all(index.maxPk, tenantId, embedderId) as Array<IndexedMemoryRow & { vector: Buffer }>;
    for (const row of rows) index.add(indexEntry(row, blobVector(row.vector)));
    return index;
  }

  search(
    input: MemoryScope & { vector: Float32Array; embedderId: string; k: number },
  ): MemoryHit[] {
    if (input.k <= 0) return [];
    const index = this.vectorIndex(input.tenantId, input.embedderId, input.vector.length);
    const limit = Math.max(MIN_CANDIDATES, input.k * CANDIDATES_PER_RESULT);
    const { pks, matched } = index.candidates(
      input.vector,
      {
        ...(input.userId === undefined ? {} : { userId: input.userId }),
        ...(input.sessionId === undefined ? {} : { sessionId: input.sessionId }),
        ...(input.kinds === undefined ? {} : { kinds: input.kinds }),
        ...(input.timeRange?.from === undefined ? {} : { from: input.timeRange.from }),
        ...(input.timeRange?.to === undefined ? {} : { to: input.timeRange.to }),
      },
      limit,
    );
    const scope = scopeClauses(input);
    const blob = vectorBlob(input.vector);
    let ranked = this.db
      .prepare(
        // CROSS JOIN fixes the join order: start from the candidates, never scan the scope.
        `SELECT m.pk, 1 - vec_distance_cosine(v.vector, ?) AS score FROM json_each(?) c
         CROSS JOIN memory_vectors v ON v.memory_pk = c.value
         CROSS JOIN memories m ON m.pk = v.memory_pk
         WHERE v.embedder_id = ? AND v.tenant_id = ? AND ${scope.sql}
         ORDER BY score DESC, m.pk LIMIT ?`,
      )
      .all(
        blob,
        JSON.stringify([...new Set(pks)]),
        input.embedderId,
        input.tenantId,
        ...scope.params,
        input.k,
      ) as Array<{ pk: number; score: number }>;
    if (ranked.length < input.k && matched > pks.length) {
      // The mutable filters (tier) removed too many candidates: score the whole scope exactly.
      ranked = this.db
        .prepare(
          `SELECT m.pk, 1 - vec_distance_cosine(v.vector, ?) AS score FROM memory_vectors v
           JOIN memories m ON m.pk = v.memory_pk
           WHERE v.embedder_id = ? AND v.tenant_id = ? AND ${scope.sql} ORDER BY score DESC, m.pk LIMIT ?`,
        )
        .all(blob, input.embedderId, input.tenantId, ...scope.params, input.k) as Array<{
        pk: number;
        score: number;
      }>;
    }
    return hitsOf(this.db, ranked);
  }

  putVectors(
    tenantId: string,
    embedderId: string,
    vectors: Array<{ memoryId: string; vector: Float32Array }>,
  ): void {
    const find = this.db.prepare(
      'SELECT pk, user_id, session_id, kind, occurred_at FROM memories WHERE tenant_id = ? AND id = ?',
    );
    const upsert = this.db.prepare(
      `INSERT INTO memory_vectors (memory_pk, tenant_id, embedder_id, vector) VALUES (?, ?, ?, ?)
       ON CONFLICT (memory_pk) DO UPDATE SET embedder_id = excluded.embedder_id, vector = excluded.vector`,
    );
    const mark = this.db.prepare('UPDATE memories SET embedder_id = ? WHERE pk = ?');
    const index = this.vectorIndexes.get(`${tenantId}\u0000${embedderId}`);
    this.db
      .transaction(() => {
        for (const { memoryId, vector } of vectors) {
          const row = find.get(tenantId, memoryId) as IndexedMemoryRow | undefined;
          if (row === undefined) continue;
          upsert.run(row.pk, tenantId, embedderId, vectorBlob(vector));
          mark.run(embedderId, row.pk);
          // Rows above maxPk are picked up by the next search; older ones (re-embedded, or written
          // out of order) must be added here or the index would never see them.
          if (index !== undefined && row.pk <= index.maxPk) index.add(indexEntry(row, vector));
        }
      })
      .immediate();
  }
}
