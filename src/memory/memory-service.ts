// MemoryService: sessions and turns (working memory), episodic distillation, salience and
// promotion to semantic memory. Used by the HTTP routes, recall and the LoCoMo evaluation.
//
// Write path: `addTurns` waits only for one store transaction (turns inserted, full-text indexed,
// session counters and tiers updated). Distillation and embedding happen after it returns, in
// this process's background pump (kicked by every write, single-flight) and in the periodic
// `memory-maintenance` job (which also picks up work written by other processes). `settle()`
// waits until the pump has nothing left: the evaluation and tests call it before searching by
// vector.
import type { Clock } from '../domain/clock.js';
import { AppError, errorMessage } from '../domain/errors.js';
import { sha256Hex } from '../domain/hashing.js';
import { newId } from '../domain/ids.js';
import type { Logger } from '../domain/logger.js';
import type { Embedder } from '../ports/embedder.js';
import type { MemoryItem, MemoryStore, NewMemory, Session } from '../ports/memory-store.js';
import type { Distiller } from './distill/distiller.js';
import { createExtractiveDistiller } from './distill/extractive-distiller.js';
import { noMemoryMetrics, type MemoryMetrics } from './memory-metrics.js';
import { citedSalience, decayedSalience } from './salience.js';

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

export const MAX_TURNS_PER_CALL = 5_000;
export const MAX_TURN_CHARS = 32_000;
export const MAX_CITED_IDS = 1_000;

export interface MemoryService {
  readonly store: MemoryStore;
  readonly embedder: Embedder | undefined;
  readonly settings: MemorySettings;
  createSession(tenantId: string, input: CreateSessionInput): Promise<Session>;
  getSession(tenantId: string, sessionId: string): Promise<Session>;
  listSessions(tenantId: string, userId: string | null, limit?: number): Promise<Session[]>;
  addTurns(
    tenantId: string,
    sessionId: string,
    turns: TurnInput[],
  ): Promise<{ session: Session; turns: MemoryItem[] }>;
  /** The last `wmMaxTurns` turns, oldest first. */
  workingMemory(tenantId: string, sessionId: string): Promise<WorkingMemory>;
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

/** The memory id of a caller-identified turn: stable, so a retried turn maps to the same row. */
export function turnIdFor(tenantId: string, sessionId: string, clientTurnId: string): string {
  return `mem_t${sha256Hex(`${tenantId}\u0000${sessionId}\u0000${clientTurnId}`).slice(0, 31)}`;
}

export function createMemoryService(options: MemoryServiceOptions): MemoryService {
  const { store, embedder, settings, clock } = options;
  const logger = options.logger.child({ component: 'memory' });
  const extractive = createExtractiveDistiller();
  const distiller = options.distiller ?? extractive;
  const backgroundOnWrite = options.backgroundOnWrite ?? true;
  const embedBatchSize = options.embedBatchSize ?? 64;
  const halfLifeMs = settings.salienceHalfLifeHours * 3_600_000;
  const ttlMs = settings.sessionTtlSeconds * 1000;
  const metrics = options.metrics ?? noMemoryMetrics;

  let pump: Promise<void> | undefined;
  let again = false;
  let closed = false;
  const dueSessions = new Map<string, { tenantId: string; sessionId: string }>();
  const sessionLocks = new Map<string, Promise<unknown>>();

  async function requireSession(tenantId: string, sessionId: string): Promise<Session> {
    const session = await store.getSession(tenantId, sessionId);
    if (session === undefined || session.expiresAt <= clock.now()) {
      throw new AppError(
        'SESSION_NOT_FOUND',
        `Session ${sessionId} does not exist or has expired; create a new one.`,
      );
    }
    return session;
  }

  async function distillWithFallback(
    turns: MemoryItem[],
  ): Promise<{ texts: string[]; distillerId: string }> {
    const input = turns.map((turn) => ({
      speaker: turn.speaker,
      text: turn.text,
      occurredAt: turn.occurredAt,
    }));
    if (distiller !== extractive) {
      try {
        const texts = await distiller.distill(input);
        if (texts.length > 0) return { texts, distillerId: distiller.id };
      } catch (error) {
        logger.warn(
          { err: error, distiller: distiller.id },
          'distiller failed; using the extractive distiller',
        );
      }
    }
    return { texts: await extractive.distill(input), distillerId: extractive.id };
  }

  /** Distils turns (after, through] of a session in windows of emDistillEveryNTurns. */
  async function distillRange(
    session: Session,
    through: number,
    endWorking: boolean,
  ): Promise<MemoryItem[] | undefined> {
    const after = session.distilledThrough;
    if (through <= after && !endWorking) return [];
    const turns =
      through > after ? await store.turnsInRange(session.tenantId, session.id, after, through) : [];
    const episodes: NewMemory[] = [];
    const window = settings.emDistillEveryNTurns;
    for (let offset = 0; offset < turns.length; offset += window) {
      const slice = turns.slice(offset, offset + window);
      const { texts, distillerId } = await distillWithFallback(slice);
      const last = slice[slice.length - 1]!;
      for (const text of texts) {
        episodes.push({
          id: newId('mem', clock.now()),
          kind: 'episode',
          tier: 'episodic',
          userId: session.userId,
          sessionId: session.id,
          agentId: session.agentId,
          speaker: null,
          text,
          seq: last.seq,
          occurredAt: last.occurredAt,
          source: { turnIds: slice.map((turn) => turn.id) },
          metadata: {
            distiller: distillerId,
            firstSeq: slice[0]!.seq,
            lastSeq: last.seq,
            startedAt: slice[0]!.occurredAt,
          },
        });
      }
    }
    const now = clock.now();
    const recorded = await store.recordDistillation({
      tenantId: session.tenantId,
      sessionId: session.id,
      expectedThrough: after,
      through: Math.max(after, through),
      episodes,
      endWorking,
      now,
    });
    if (!recorded) return undefined;
    for (const episode of episodes) metrics.episodesCreated(String(episode.metadata?.distiller), 1);
    return episodes.map((episode) => ({
      ...episode,
      tenantId: session.tenantId,
      createdAt: now,
      salience: 0,
      salienceUpdatedAt: now,
      source: episode.source ?? {},
      metadata: episode.metadata ?? {},
      promotedId: null,
      embedderId: null,
    }));
  }

  /** The whole windows of undistilled turns that have left working memory. */
  function dueThrough(session: Session): number {
    const outside = session.turnCount - settings.wmMaxTurns - session.distilledThrough;
    const windows = Math.floor(outside / settings.emDistillEveryNTurns);
    return session.distilledThrough + windows * settings.emDistillEveryNTurns;
  }

  /**
   * Distils a session up to `target(session)` (re-read after a lost race with another worker),
   * one distillation per session at a time in this process. Returns the episodes created.
   */
  async function distillTo(
    tenantId: string,
    sessionId: string,
    target: (session: Session) => number,
    endWorking: boolean,
  ): Promise<MemoryItem[]> {
    const key = `${tenantId}\u0000${sessionId}`;
    const previous = sessionLocks.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const session = await store.getSession(tenantId, sessionId);
        if (session === undefined) return [];
        const through = target(session);
        if (through <= session.distilledThrough && !endWorking) return [];
        const episodes = await distillRange(session, through, endWorking);
        if (episodes !== undefined) return episodes;
      }
      throw new AppError(
        'CONFLICT',
        `Session ${sessionId} is being distilled elsewhere; try again.`,
        { retryable: true },
      );
    });
    const settled = run.catch(() => undefined);
    sessionLocks.set(key, settled);
    void settled.then(() => {
      if (sessionLocks.get(key) === settled) sessionLocks.delete(key);
    });
    return run;
  }

  async function distillIfDue(tenantId: string, sessionId: string): Promise<number> {
    return (await distillTo(tenantId, sessionId, dueThrough, false)).length;
  }

  async function embedPending(limit = 10_000): Promise<number> {
    if (embedder === undefined) return 0;
    let done = 0;
    while (done < limit && !closed) {
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
  }

  async function pumpOnce(): Promise<void> {
    const sessions = [...dueSessions.values()];
    dueSessions.clear();
    for (const { tenantId, sessionId } of sessions) {
      try {
        await distillIfDue(tenantId, sessionId);
      } catch (error) {
        metrics.distillFailures();
        logger.error(
          { err: error, sessionId },
          'distillation failed; the maintenance job retries it',
        );
      }
    }
    try {
      await embedPending(Number.POSITIVE_INFINITY);
    } catch (error) {
      logger.error({ err: error }, 'embedding memories failed; the maintenance job retries it');
    }
  }

  function kick(): void {
    if (closed) return;
    if (pump !== undefined) {
      again = true;
      return;
    }
    pump = (async () => {
      do {
        again = false;
        await pumpOnce();
      } while ((again || dueSessions.size > 0) && !closed);
    })().finally(() => {
      pump = undefined;
    });
  }

  const service: MemoryService = {
    store,
    embedder,
    settings,

    async createSession(tenantId, input) {
      const now = clock.now();
      return store.createSession({
        id: newId('ses', now),
        tenantId,
        userId: input.userId ?? null,
        agentId: input.agentId ?? null,
        metadata: input.metadata ?? {},
        createdAt: now,
        expiresAt: now + ttlMs,
      });
    },

    getSession: requireSession,

    listSessions(tenantId, userId, limit) {
      return store.listSessions(tenantId, userId, limit);
    },

    async addTurns(tenantId, sessionId, turns) {
      if (turns.length === 0) throw new AppError('VALIDATION_FAILED', 'Send at least one turn.');
      if (turns.length > MAX_TURNS_PER_CALL) {
        throw new AppError(
          'INPUT_TOO_LARGE',
          `At most ${MAX_TURNS_PER_CALL} turns per call; split the batch.`,
        );
      }
      for (const turn of turns) {
        if (turn.content.length > MAX_TURN_CHARS) {
          throw new AppError(
            'INPUT_TOO_LARGE',
            `A turn holds at most ${MAX_TURN_CHARS} characters.`,
          );
        }
        if (turn.content.trim() === '')
          throw new AppError('VALIDATION_FAILED', 'A turn needs non-empty content.');
      }
      const now = clock.now();
      const result = await store.appendTurns({
        tenantId,
        sessionId,
        turns: turns.map((turn) => ({
          id: turn.id === undefined ? newId('mem', now) : turnIdFor(tenantId, sessionId, turn.id),
          speaker: turn.speaker,
          text: turn.content,
          occurredAt: turn.at ?? now,
          ...(turn.metadata === undefined ? {} : { metadata: turn.metadata }),
        })),
        now,
        ttlMs,
        wmMaxTurns: settings.wmMaxTurns,
      });
      if (backgroundOnWrite) {
        if (dueThrough(result.session) > result.session.distilledThrough) {
          dueSessions.set(`${tenantId}\u0000${sessionId}`, { tenantId, sessionId });
        }
        kick();
      }
      metrics.turnsAdded(result.added);
      return result;
    },

    async workingMemory(tenantId, sessionId) {
      const session = await requireSession(tenantId, sessionId);
      return { session, turns: await store.lastTurns(tenantId, sessionId, settings.wmMaxTurns) };
    },

    async deleteSession(tenantId, sessionId, deleteOptions = {}) {
      const deleted = await store.deleteSession(tenantId, sessionId, deleteOptions);
      if (!deleted) throw new AppError('SESSION_NOT_FOUND', `Session ${sessionId} does not exist.`);
    },

    async distillSession(tenantId, sessionId, distillOptions = {}) {
      await requireSession(tenantId, sessionId);
      const includeWorking = distillOptions.includeWorking === true;
      const episodes = await distillTo(
        tenantId,
        sessionId,
        (session) =>
          includeWorking
            ? session.turnCount
            : Math.max(session.distilledThrough, session.turnCount - settings.wmMaxTurns),
        false,
      );
      if (backgroundOnWrite && episodes.length > 0) kick();
      return episodes;
    },

    async cite(tenantId, ids) {
      const unique = [...new Set(ids)];
      if (unique.length > MAX_CITED_IDS) {
        throw new AppError('INPUT_TOO_LARGE', `At most ${MAX_CITED_IDS} ids per call.`);
      }
      const now = clock.now();
      const found = await store.getByIds(tenantId, unique);
      const updates = found.map((memory) => ({
        id: memory.id,
        // Citing the same id twice in one call counts once: one use of a memory, one raise.
        salience: citedSalience(
          decayedSalience(memory.salience, memory.salienceUpdatedAt, now, halfLifeMs),
          1,
        ),
      }));
      const updatedIds = new Set(await store.setSalience(tenantId, updates, now));
      metrics.citations(updatedIds.size);
      return {
        updated: updates.filter((update) => updatedIds.has(update.id)),
        unknownIds: unique.filter((id) => !updatedIds.has(id)),
      };
    },

    salienceOf(memory) {
      return decayedSalience(memory.salience, memory.salienceUpdatedAt, clock.now(), halfLifeMs);
    },

    async distillDue(limit = 100) {
      const sessions = await store.sessionsDueForDistillation({
        wmMaxTurns: settings.wmMaxTurns,
        minTurns: settings.emDistillEveryNTurns,
        limit,
      });
      let episodes = 0;
      for (const session of sessions) {
        if (closed) break;
        episodes += (await distillTo(session.tenantId, session.id, dueThrough, false)).length;
      }
      return episodes;
    },

    embedPending,

    async promoteDue(limit = 500) {
      const now = clock.now();
      const threshold = settings.promotionSalienceThreshold;
      // Stored salience only falls with time, so stored ≥ threshold is a cheap pre-filter.
      const candidates = await store.promotionCandidates(threshold, limit);
      let promoted = 0;
      const faded = new Map<string, Array<{ id: string; salience: number }>>();
      for (const memory of candidates) {
        const current = decayedSalience(memory.salience, memory.salienceUpdatedAt, now, halfLifeMs);
        if (current < threshold) {
          // Store the decayed value so faded items leave the candidate list for good.
          const list = faded.get(memory.tenantId) ?? [];
          list.push({ id: memory.id, salience: current });
          faded.set(memory.tenantId, list);
          continue;
        }
        const copy: NewMemory = {
          id: newId('mem', now),
          kind: 'promoted',
          tier: 'semantic',
          userId: memory.userId,
          sessionId: memory.sessionId,
          agentId: memory.agentId,
          speaker: memory.speaker,
          text: memory.text,
          seq: memory.seq,
          occurredAt: memory.occurredAt,
          salience: current,
          source: {
            memoryId: memory.id,
            turnIds: memory.kind === 'turn' ? [memory.id] : (memory.source.turnIds ?? []),
          },
          metadata: { ...memory.metadata, promotedFrom: memory.kind, promotedAt: now },
        };
        if (await store.recordPromotion(memory.tenantId, memory.id, copy, now)) promoted += 1;
      }
      for (const [tenantId, updates] of faded) await store.setSalience(tenantId, updates, now);
      metrics.promotions(promoted);
      return promoted;
    },

    async expireSessions(limit = 100) {
      const expired = await store.expiredSessions(clock.now(), limit);
      let removed = 0;
      for (const session of expired) {
        if (closed) break;
        try {
          // The session ends: what is left of its working memory is distilled and kept as
          // episodic memory; the session and its working-memory view go.
          await distillTo(session.tenantId, session.id, (current) => current.turnCount, true);
        } catch (error) {
          logger.warn(
            { err: errorMessage(error), sessionId: session.id },
            'could not distil an expired session; it is removed anyway',
          );
        }
        const stillExpired = await store.getSession(session.tenantId, session.id);
        if (stillExpired !== undefined && stillExpired.expiresAt <= clock.now()) {
          await store.deleteSession(session.tenantId, session.id);
          removed += 1;
        }
      }
      metrics.sessionsExpired(removed);
      return removed;
    },

    async settle() {
      while (pump !== undefined) await pump;
    },

    async close() {
      closed = true;
      await service.settle().catch(() => undefined);
    },
  };
  return service;
}
