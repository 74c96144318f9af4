// Session expiry: an expired session's remaining working memory is distilled and kept as episodic
// memory, then the session and its working-memory view are removed. Run by the expiry job.
import type { Clock } from '../domain/clock.js';
import { errorMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { MemoryStore } from '../ports/memory-store.js';
import type { MemoryMetrics } from './memory-metrics.js';
import type { SessionDistillation } from './session-distillation.js';

export interface SessionExpiryOptions {
  store: MemoryStore;
  clock: Clock;
  logger: Logger;
  metrics: MemoryMetrics;
  distillation: Pick<SessionDistillation, 'distillTo'>;
  isClosed: () => boolean;
}

/** Returns `expireSessions(limit)`, which removes up to `limit` expired sessions and returns how many. */
export function createSessionExpiry(
  options: SessionExpiryOptions,
): (limit?: number) => Promise<number> {
  const { store, clock, logger, metrics, distillation, isClosed } = options;

  return async function expireSessions(limit = 100): Promise<number> {
    const expired = await store.expiredSessions(clock.now(), limit);
    let removed = 0;
    for (const session of expired) {
      if (isClosed()) break;
      try {
        // The session ends: what is left of its working memory is distilled and kept as
        // episodic memory; the session and its working-memory view go.
        await distillation.distillTo(
          session.tenantId,
          session.id,
          (current) => current.turnCount,
          true,
        );
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
  };
}
