// This process's background work after writes: a single-flight pump, kicked by every write, that
// distils the sessions marked due and embeds pending memories. Failures are logged and left to
// the periodic maintenance job. `settle()` waits until the pump has nothing left.
import type { Logger } from '../domain/logger.js';
import { runForTenant } from '../domain/tenant-scope.js';
import type { MemoryMetrics } from './memory-metrics.js';

export interface BackgroundPumpOptions {
  distillIfDue: (tenantId: string, sessionId: string) => Promise<number>;
  embedPending: (limit?: number) => Promise<number>;
  metrics: MemoryMetrics;
  logger: Logger;
  isClosed: () => boolean;
}

// Function properties, not methods: the service hands them on unbound.
export interface BackgroundPump {
  /** Queues a session for distillation on the next pump pass. */
  markDue: (tenantId: string, sessionId: string) => void;
  /** Starts a pump pass, or asks the running one to go round again. */
  kick: () => void;
  settle: () => Promise<void>;
}

export function createBackgroundPump(options: BackgroundPumpOptions): BackgroundPump {
  const { distillIfDue, embedPending, metrics, logger, isClosed } = options;
  let pump: Promise<void> | undefined;
  let again = false;
  const dueSessions = new Map<string, { tenantId: string; sessionId: string }>();

  async function pumpOnce(): Promise<void> {
    const sessions = [...dueSessions.values()];
    dueSessions.clear();
    for (const { tenantId, sessionId } of sessions) {
      try {
        await runForTenant(tenantId, () => distillIfDue(tenantId, sessionId));
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
    if (isClosed()) return;
    if (pump !== undefined) {
      again = true;
      return;
    }
    pump = (async () => {
      do {
        again = false;
        await pumpOnce();
      } while ((again || dueSessions.size > 0) && !isClosed());
    })().finally(() => {
      pump = undefined;
    });
  }

  return {
    markDue(tenantId, sessionId) {
      dueSessions.set(`${tenantId}\u0000${sessionId}`, { tenantId, sessionId });
    },
    kick,
    async settle() {
      while (pump !== undefined) await pump;
    },
  };
}
