// Sessions and their turns (working memory): create, read, list and delete sessions, validated
// turn appends (one store transaction, then the background pump is kicked), the working-memory
// window and on-demand distillation of a session.
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';
import { sha256Hex } from '../domain/hashing.js';
import { newId } from '../domain/ids.js';
import type { MemoryStore, Session } from '../ports/memory-store.js';
import type { BackgroundPump } from './background-pump.js';
import type { MemoryMetrics } from './memory-metrics.js';
import type { MemoryService, MemorySettings } from './memory-service.js';
import type { SessionDistillation } from './session-distillation.js';

export const MAX_TURNS_PER_CALL = 5_000;
export const MAX_TURN_CHARS = 32_000;

/** The memory id of a caller-identified turn: stable, so a retried turn maps to the same row. */
export function turnIdFor(tenantId: string, sessionId: string, clientTurnId: string): string {
  return `mem_t${sha256Hex(`${tenantId}\u0000${sessionId}\u0000${clientTurnId}`).slice(0, 31)}`;
}

export interface SessionTurnsOptions {
  store: MemoryStore;
  settings: MemorySettings;
  clock: Clock;
  metrics: MemoryMetrics;
  distillation: Pick<SessionDistillation, 'dueThrough' | 'distillTo'>;
  pump: Pick<BackgroundPump, 'markDue' | 'kick'>;
  /** Run distillation and embedding in this process right after writes. */
  backgroundOnWrite: boolean;
}

export type SessionTurns = Pick<
  MemoryService,
  | 'createSession'
  | 'getSession'
  | 'listSessions'
  | 'addTurns'
  | 'workingMemory'
  | 'sessionEpisodes'
  | 'deleteSession'
  | 'distillSession'
>;

export function createSessionTurns(options: SessionTurnsOptions): SessionTurns {
  const { store, settings, clock, metrics, distillation, pump, backgroundOnWrite } = options;
  const ttlMs = settings.sessionTtlSeconds * 1000;

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

  return {
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

    listSessions(tenantId, userId, limit, after) {
      return store.listSessions(tenantId, userId, limit, after);
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
        if (distillation.dueThrough(result.session) > result.session.distilledThrough) {
          pump.markDue(tenantId, sessionId);
        }
        pump.kick();
      }
      metrics.turnsAdded(result.added);
      return result;
    },

    async workingMemory(tenantId, sessionId) {
      const session = await requireSession(tenantId, sessionId);
      return { session, turns: await store.lastTurns(tenantId, sessionId, settings.wmMaxTurns) };
    },

    async sessionEpisodes(tenantId, sessionId, after, limit) {
      const episodes = await store.sessionEpisodes(tenantId, sessionId, after, limit);
      // Episodes outlive their session; a tenant with neither has asked about someone else's.
      if (episodes.length === 0 && (await store.getSession(tenantId, sessionId)) === undefined) {
        throw new AppError('SESSION_NOT_FOUND', `Session ${sessionId} does not exist.`);
      }
      return episodes;
    },

    async deleteSession(tenantId, sessionId, deleteOptions = {}) {
      const deleted = await store.deleteSession(tenantId, sessionId, deleteOptions);
      if (!deleted) throw new AppError('SESSION_NOT_FOUND', `Session ${sessionId} does not exist.`);
    },

    async distillSession(tenantId, sessionId, distillOptions = {}) {
      await requireSession(tenantId, sessionId);
      const includeWorking = distillOptions.includeWorking === true;
      const episodes = await distillation.distillTo(
        tenantId,
        sessionId,
        (session) =>
          includeWorking
            ? session.turnCount
            : Math.max(session.distilledThrough, session.turnCount - settings.wmMaxTurns),
        false,
      );
      if (backgroundOnWrite && episodes.length > 0) pump.kick();
      return episodes;
    },
  };
}
