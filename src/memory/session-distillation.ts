// Session distillation: turns that left working memory become episodes, in windows of
// emDistillEveryNTurns, with the extractive distiller as the fallback. One distillation per
// session at a time in this process; a lost race with another worker re-reads and retries.
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Logger } from '../domain/logger.js';
import { runForTenant } from '../domain/tenant-scope.js';
import type { MemoryItem, MemoryStore, NewMemory, Session } from '../ports/memory-store.js';
import type { Distiller } from './distill/distiller.js';
import { createExtractiveDistiller } from './distill/extractive-distiller.js';
import type { MemoryMetrics } from './memory-metrics.js';
import type { MemorySettings } from './memory-service.js';

export interface SessionDistillationOptions {
  store: MemoryStore;
  /** Defaults to the extractive distiller. */
  distiller?: Distiller | undefined;
  settings: MemorySettings;
  clock: Clock;
  logger: Logger;
  metrics: MemoryMetrics;
  isClosed: () => boolean;
}

// Function properties, not methods: the service hands them on unbound.
export interface SessionDistillation {
  /** The whole windows of undistilled turns that have left working memory. */
  dueThrough: (session: Session) => number;
  /**
   * Distils a session up to `target(session)` (re-read after a lost race with another worker),
   * one distillation per session at a time in this process. Returns the episodes created.
   */
  distillTo: (
    tenantId: string,
    sessionId: string,
    target: (session: Session) => number,
    endWorking: boolean,
  ) => Promise<MemoryItem[]>;
  /** Distils the session's due windows; returns how many episodes it created. */
  distillIfDue: (tenantId: string, sessionId: string) => Promise<number>;
  /** The periodic pass: distils sessions with due windows, written by any process. */
  distillDue: (limit?: number) => Promise<number>;
}

export function createSessionDistillation(
  options: SessionDistillationOptions,
): SessionDistillation {
  const { store, settings, clock, logger, metrics, isClosed } = options;
  const extractive = createExtractiveDistiller();
  const distiller = options.distiller ?? extractive;
  const sessionLocks = new Map<string, Promise<unknown>>();

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

  function dueThrough(session: Session): number {
    const outside = session.turnCount - settings.wmMaxTurns - session.distilledThrough;
    const windows = Math.floor(outside / settings.emDistillEveryNTurns);
    return session.distilledThrough + windows * settings.emDistillEveryNTurns;
  }

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

  async function distillDue(limit = 100): Promise<number> {
    const sessions = await store.sessionsDueForDistillation({
      wmMaxTurns: settings.wmMaxTurns,
      minTurns: settings.emDistillEveryNTurns,
      limit,
    });
    let episodes = 0;
    for (const session of sessions) {
      if (isClosed()) break;
      // As that tenant's work: a model the distiller calls is the tenant's telemetry.
      const distilled = await runForTenant(session.tenantId, () =>
        distillTo(session.tenantId, session.id, dueThrough, false),
      );
      episodes += distilled.length;
    }
    return episodes;
  }

  return { dueThrough, distillTo, distillIfDue, distillDue };
}
