// MemoryService: sessions and turns (working memory), episodic distillation, salience and
// promotion to semantic memory. Used by the HTTP routes, recall and the LoCoMo evaluation.
//
// Write path: `addTurns` waits only for one store transaction (turns inserted, full-text indexed,
// session counters and tiers updated). Distillation and embedding happen after it returns, in
// this process's background pump (kicked by every write, single-flight) and in the periodic
// `memory-maintenance` job (which also picks up work written by other processes). `settle()`
// waits until the pump has nothing left: the evaluation and tests call it before searching by
// vector.
//
// This file holds the public types and wires the parts, one job each: session-turns,
// session-distillation, background-pump, pending-embeddings, citation-and-promotion and
// session-expiry.
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { Embedder } from '../ports/embedder.js';
import type {
  EpisodePosition,
  MemoryItem,
  MemoryStore,
  Session,
  SessionPosition,
} from '../ports/memory-store.js';
import { createBackgroundPump } from './background-pump.js';
import { createCitationAndPromotion } from './citation-and-promotion.js';
import { createForgetting, type Forgetting } from './forgetting.js';
import type { Distiller } from './distill/distiller.js';
import { noMemoryMetrics, type MemoryMetrics } from './memory-metrics.js';
import { createPendingEmbeddings } from './pending-embeddings.js';
import { createSessionDistillation } from './session-distillation.js';
import { createSessionExpiry } from './session-expiry.js';
import { createSessionTurns } from './session-turns.js';

export { MAX_CITED_IDS } from './citation-and-promotion.js';
export { MAX_TURN_CHARS, MAX_TURNS_PER_CALL, turnIdFor } from './session-turns.js';

export interface MemorySettings {
  wmMaxTurns: number;
  emDistillEveryNTurns: number;
  promotionSalienceThreshold: number;
  salienceHalfLifeHours: number;
  sessionTtlSeconds: number;
}

export interface MemoryServiceOptions {
  store: MemoryStore;
  /** Absent: items are searchable by text only. */
  embedder?: Embedder | undefined;
  /** Defaults to the extractive distiller. */
  distiller?: Distiller | undefined;
  settings: MemorySettings;
  clock: Clock;
  logger: Logger;
  /** Run distillation and embedding in this process right after writes (default true). */
  backgroundOnWrite?: boolean;
  /** Texts per embedder call. */
  embedBatchSize?: number;
  metrics?: MemoryMetrics | undefined;
}

export interface TurnInput {
  /**
   * The caller's id for this turn (e.g. its message id). Sending the same turn again (a retry)
   * then returns the stored turn instead of adding it twice.
   */
  id?: string | undefined;
  speaker: string;
  content: string;
  /** When it was said, ms since epoch; defaults to now. */
  at?: number | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface CreateSessionInput {
  userId?: string | null | undefined;
  agentId?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export interface WorkingMemory {
  session: Session;
  turns: MemoryItem[];
}

export interface CitedResult {
  updated: Array<{ id: string; salience: number }>;
  unknownIds: string[];
}

export interface MemoryService {
  readonly store: MemoryStore;
  readonly embedder: Embedder | undefined;
  readonly settings: MemorySettings;
  createSession(tenantId: string, input: CreateSessionInput): Promise<Session>;
  getSession(tenantId: string, sessionId: string): Promise<Session>;
  /** Newest activity first; `after` (the last session of a page) continues from there. */
  listSessions(
    tenantId: string,
    userId: string | null,
    limit?: number,
    after?: SessionPosition,
  ): Promise<Session[]>;
  addTurns(
    tenantId: string,
    sessionId: string,
    turns: TurnInput[],
  ): Promise<{ session: Session; turns: MemoryItem[] }>;
  /** The last `wmMaxTurns` turns, oldest first. */
  workingMemory(tenantId: string, sessionId: string): Promise<WorkingMemory>;
  /**
   * The episodes distilled from a session, oldest first, after `after`, at most `limit`; they
   * outlive the session, so an ended session still has them. SESSION_NOT_FOUND when the tenant
   * has neither the session nor an episode of it.
   */
  sessionEpisodes(
    tenantId: string,
    sessionId: string,
    after: EpisodePosition | null,
    limit: number,
  ): Promise<MemoryItem[]>;
  deleteSession(tenantId: string, sessionId: string, options?: { purge?: boolean }): Promise<void>;
  /**
   * Distils the session's undistilled turns outside working memory now (with `includeWorking`,
   * every undistilled turn). Returns the episodes created.
   */
  distillSession(
    tenantId: string,
    sessionId: string,
    options?: { includeWorking?: boolean },
  ): Promise<MemoryItem[]>;
  /** Deletes a memory and what was derived from it (forgetting.ts). */
  forget: Forgetting['forget'];
  /** Deletes every memory and session of a user (forgetting.ts). */
  forgetUser: Forgetting['forgetUser'];
  /** Raises the salience of memories an agent used. */
  cite(tenantId: string, ids: string[]): Promise<CitedResult>;
  /** Current (decayed) salience of an item. */
  salienceOf(memory: Pick<MemoryItem, 'salience' | 'salienceUpdatedAt'>): number;
  // Background passes (periodic jobs call them; each returns how much it did).
  distillDue(limit?: number): Promise<number>;
  embedPending(limit?: number): Promise<number>;
  promoteDue(limit?: number): Promise<number>;
  expireSessions(limit?: number): Promise<number>;
  /** Waits until this process's background distillation and embedding have caught up. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export function createMemoryService(options: MemoryServiceOptions): MemoryService {
  const { store, embedder, settings, clock } = options;
  const logger = options.logger.child({ component: 'memory' });
  const backgroundOnWrite = options.backgroundOnWrite ?? true;
  const metrics = options.metrics ?? noMemoryMetrics;
  let closed = false;
  const isClosed = (): boolean => closed;

  const distillation = createSessionDistillation({
    store,
    distiller: options.distiller,
    settings,
    clock,
    logger,
    metrics,
    isClosed,
  });
  const embedPending = createPendingEmbeddings({
    store,
    embedder,
    embedBatchSize: options.embedBatchSize ?? 64,
    metrics,
    isClosed,
  });
  const pump = createBackgroundPump({
    distillIfDue: distillation.distillIfDue,
    embedPending,
    metrics,
    logger,
    isClosed,
  });
  const sessions = createSessionTurns({
    store,
    settings,
    clock,
    metrics,
    distillation,
    pump,
    backgroundOnWrite,
  });
  const salience = createCitationAndPromotion({ store, settings, clock, metrics });

  const service: MemoryService = {
    store,
    embedder,
    settings,
    ...sessions,
    ...salience,
    ...createForgetting(store, metrics),
    distillDue: distillation.distillDue,
    embedPending,
    expireSessions: createSessionExpiry({
      store,
      clock,
      logger,
      metrics,
      distillation,
      isClosed,
    }),
    settle: pump.settle,

    async close() {
      closed = true;
      await service.settle().catch(() => undefined);
    },
  };
  return service;
}
