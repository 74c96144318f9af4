// Stores: every port the SQL backend provides, built together by one adapter factory per backend
// (adapters/sqlite/stores.ts, adapters/postgres/stores.ts). Capabilities add their store here.
import type { DocumentStore } from './document-store.js';
import type { GraphStore } from './graph-store.js';
import type { JobQueue } from './job-queue.js';
import type { MemoryStore } from './memory-store.js';
import type { MetricSeriesStore } from './metric-series-store.js';
import type { UnmappedStore } from './unmapped-store.js';

/** The stores a transaction writes through: what they do lands together, or not at all. */
export interface StoreTransaction {
  readonly documentStore: DocumentStore;
  readonly graphStore: GraphStore;
}

/**
 * Runs `work` in one transaction and commits what it wrote, or rolls all of it back when it
 * throws. `work` must wait on nothing but the transaction's stores: no embedder, no network,
 * no timers (on SQLite the transaction shares the process's one connection, and a body that
 * waits on the event loop fails; see adapters/sqlite/store-transaction.ts).
 */
export type RunInTransaction = <T>(work: (tx: StoreTransaction) => Promise<T>) => Promise<T>;

export interface Stores {
  readonly backend: 'sqlite' | 'postgres';
  readonly jobQueue: JobQueue;
  readonly documentStore: DocumentStore;
  readonly graphStore: GraphStore;
  readonly memoryStore: MemoryStore;
  /** OTLP metric series (always in the SQL store, with or without Redis). */
  readonly metricSeries: MetricSeriesStore;
  /** OTLP records nothing maps, kept bounded per tenant (always in the SQL store). */
  readonly unmapped: UnmappedStore;
  readonly transaction: RunInTransaction;
  /** Throws when the database cannot answer; used by /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
