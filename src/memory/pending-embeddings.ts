// Embedding of memories stored without a vector: batches of `embedBatchSize` texts per embedder
// call and tenant, vectors written per tenant. Run by the background pump and the maintenance job.
import { runForTenant } from '../domain/tenant-scope.js';
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
      // One embedder call per tenant, run as that tenant's work: its model-call telemetry is theirs.
      const byTenant = new Map<string, typeof pending>();
      for (const item of pending) {
        const list = byTenant.get(item.tenantId) ?? [];
        list.push(item);
        byTenant.set(item.tenantId, list);
      }
      for (const [tenantId, items] of byTenant) {
        const vectors = await runForTenant(tenantId, () =>
          embedder.embed(items.map((item) => item.text)),
        );
        const list = items.map((item, index) => ({ memoryId: item.id, vector: vectors[index]! }));
        await store.putVectors(tenantId, embedder.id, list);
      }
      done += pending.length;
      metrics.memoriesEmbedded(pending.length);
    }
    return done;
  };
}
