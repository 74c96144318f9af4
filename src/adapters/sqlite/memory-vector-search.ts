// SQLite memory store, vectors: each tenant's and embedder's vectors in a sign-bit index
// (signed-vectors.ts) caught up with the table on every search; the candidates that can reach
// the top k are scored exactly with sqlite-vec's cosine distance (exact-ranking.ts).
import { MEMORY_TIERS, type MemoryHit, type MemoryScope } from '../../ports/memory-store.js';
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';
import { hitsOf } from './memory-rows.js';
import { scopeClauses } from './memory-scope.js';
import { rankExactly } from './exact-ranking.js';
import { candidateLimit } from './sign-bit-index.js';
import { SignedVectors, type SignedVectorTable } from './signed-vectors.js';
import { vectorBlob } from './vector-blob.js';

/** A WHERE clause that holds for every row. */
const TRUE = { sql: '1', params: [] };

/** Memory vectors, indexed per tenant and embedder, filtered by user, session, kind and time. */
const MEMORY_VECTORS: SignedVectorTable = {
  kind: 'memories',
  table: 'memory_vectors',
  id: 'id',
  scope: 'v.tenant_id = ? AND v.embedder_id = ?',
  join: 'JOIN memories m ON m.pk = v.memory_pk',
  keys: ['m.user_id', 'm.session_id', 'm.kind'],
  time: 'm.occurred_at',
};

export class SqliteMemoryVectors {
  private readonly vectors: SignedVectors;

  constructor(private readonly db: SqliteHandle) {
    this.vectors = new SignedVectors(db, MEMORY_VECTORS);
  }

  search(
    input: MemoryScope & { vector: Float32Array; embedderId: string; k: number },
  ): MemoryHit[] {
    if (input.k <= 0) return [];
    const index = this.vectors.index([input.tenantId, input.embedderId], input.vector.length);
    const found = index.nearest(
      input.vector,
      {
        keys: [
          input.userId === undefined ? undefined : [input.userId],
          input.sessionId === undefined ? undefined : [input.sessionId],
          input.kinds,
        ],
        ...(input.timeRange?.from === undefined ? {} : { from: input.timeRange.from }),
        ...(input.timeRange?.to === undefined ? {} : { to: input.timeRange.to }),
      },
      { k: input.k, limit: candidateLimit(input.k) },
    );
    const scope = scopeClauses(input);
    const blob = vectorBlob(input.vector);
    const rank = (from: string, where: { sql: string; params: unknown[] }, params: unknown[]) =>
      statement(
        this.db,
        `SELECT v.memory_pk AS pk, 1 - vec_distance_cosine(v.vector, ?) AS score FROM ${from}
         WHERE v.embedder_id = ? AND v.tenant_id = ? AND ${where.sql}
         ORDER BY score DESC, v.memory_pk LIMIT ?`,
      ).all(blob, ...params, input.embedderId, input.tenantId, ...where.params, input.k) as Array<{
        pk: number;
        score: number;
      }>;
    // The index holds every filter but the tier (user, session and kind never change, nor the
    // time): when the tiers asked for are all of them, the candidates need no memory row.
    const tierFree = MEMORY_TIERS.every((tier) => input.tiers?.includes(tier) ?? true);
    const ranked = rankExactly(
      found,
      input.k,
      // CROSS JOIN fixes the join order: start from the candidates, never scan the scope.
      (ids) =>
        tierFree
          ? rank(`json_each(?) c CROSS JOIN memory_vectors v ON v.id = c.value`, TRUE, [
              JSON.stringify(ids),
            ])
          : rank(
              `json_each(?) c CROSS JOIN memory_vectors v ON v.id = c.value
               CROSS JOIN memories m ON m.pk = v.memory_pk`,
              scope,
              [JSON.stringify(ids)],
            ),
      // The mutable filters (tier) removed too many candidates: score the whole scope exactly.
      () => rank('memory_vectors v JOIN memories m ON m.pk = v.memory_pk', scope, []),
    );
    return hitsOf(this.db, ranked);
  }

  putVectors(
    tenantId: string,
    embedderId: string,
    vectors: Array<{ memoryId: string; vector: Float32Array }>,
  ): void {
    const find = this.db.prepare('SELECT pk FROM memories WHERE tenant_id = ? AND id = ?');
    const remove = this.db.prepare(
      'DELETE FROM memory_vectors WHERE memory_pk = ? RETURNING id, embedder_id AS embedderId',
    );
    // A new id on every write, so the sign-bit index catches up by id.
    const insert = this.db.prepare(
      `INSERT INTO memory_vectors (memory_pk, tenant_id, embedder_id, vector, signs, quantised)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const mark = this.db.prepare('UPDATE memories SET embedder_id = ? WHERE pk = ?');
    this.db
      .transaction(() => {
        const scope = [tenantId, embedderId];
        const sign = this.vectors.signer(
          scope,
          vectors.map((item) => item.vector),
        );
        for (const { memoryId, vector } of vectors) {
          const row = find.get(tenantId, memoryId) as { pk: number } | undefined;
          if (row === undefined) continue;
          const old = remove.get(row.pk) as { id: number; embedderId: string } | undefined;
          if (old !== undefined) this.vectors.changed([tenantId, old.embedderId], [old.id]);
          const { signs, quantised } = sign(vector);
          insert.run(row.pk, tenantId, embedderId, vectorBlob(vector), signs, quantised);
          mark.run(embedderId, row.pk);
        }
      })
      .immediate();
  }
}
