// Embedding of memories stored without a vector: batches of `embedBatchSize` texts per embedder
// call, vectors written per tenant. Run by the background pump and the maintenance job.
import type { Embedder } from '../ports/embedder.js';
import type { MemoryStore } from '../ports/memory-store.js';
import type { MemoryMetrics } from './memory-metrics.js';

export interface PendingEmbeddingsOptions {
  store: MemoryStore;
  /** Absent: nothing is embedded and items are searchable by text only. */
  embedder: Embedder | undefined;
  /** Texts per embedder call. */
  embedBatchSize: number;
  metrics: MemoryMetrics;
  isClosed: () => boolean;
}

/** Returns `embedPending(limit)`, which embeds up to `limit` memories and returns how many. */
export function createPendingEmbeddings(
  options: PendingEmbeddingsOptions,
): (limit?: number) => Promise<number> {
  const { store, embedder, embedBatchSize, metrics, isClosed } = options;

  return async function embedPending(limit = 10_000): Promise<number> {
    if (embedder === undefined) return 0;
    let done = 0;
    while (done < limit && !isClosed()) {
      const pending = await store.listUnembedded(Math.min(embedBatchSize, limit - done));
      if (pending.length === 0) break;
      const vectors = await embedder.embed(pending.map((item) => item.text));
      const byTenant = new Map<string, Array<{ memoryId: string; vector: Float32Array }>>();
      pending.forEach((item, index) => {
        const list = byTenant.get(item.tenantId) ?? [];
        list.push({ memoryId: item.id, vector: vectors[index]! });
        byTenant.set(item.tenantId, list);
      });
      for (const [tenantId, list] of byTenant) await store.putVectors(tenantId, embedder.id, list);
      done += pending.length;
      metrics.memoriesEmbedded(pending.length);
    }
    return done;
  };
}
