// Worker liveness across nodes. Each node running background loops publishes, every interval,
// one beat per loop to the shared HeartbeatStore: "now" for a loop its own heartbeat calls fresh,
// the loop's last beat for one that went stale. Any node's /ready then checks the shared beats:
// red when no worker has beaten within ENGRAM_HEARTBEAT_STALE_MS, or when some loop's newest beat
// (from any node) is older than that. A node that stops gracefully withdraws its beats; a node
// that dies leaves them to go stale, which is the point.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { HeartbeatStore } from '../ports/heartbeat-store.js';
import type { Heartbeats } from './heartbeats.js';
import { sleep } from './sleep.js';

/** Beats of a node not heard from for this long are forgotten (a crashed node's leftovers). */
export const FORGET_BEATS_AFTER_MS = 24 * 3_600_000;

export interface HeartbeatPublisherOptions {
  store: HeartbeatStore;
  heartbeats: Heartbeats;
  clock: Clock;
  logger: Logger;
  /** How often to publish; keep it well under the stale threshold (a third of it). */
  intervalMs: number;
}

export interface HeartbeatPublisher {
  readonly nodeId: string;
  start(): void;
  stop(): Promise<void>;
}

export function createHeartbeatPublisher(options: HeartbeatPublisherOptions): HeartbeatPublisher {
  const nodeId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const logger = options.logger.child({ component: 'heartbeat-publisher', nodeId });
  const published = new Set<string>();
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  async function publish(): Promise<void> {
    const now = options.clock.now();
    const beats = options.heartbeats.snapshot().map((beat) => ({
      name: beat.name,
      lastBeatMs: beat.fresh ? now : beat.lastBeatMs,
    }));
    for (const beat of beats) published.add(beat.name);
    await options.store.publish(nodeId, beats);
  }

  return {
    nodeId,
    start() {
      if (loop !== undefined) return;
      loop = (async () => {
        // Let the loops started beside this one register first, so the first publish has them.
        await new Promise((resolve) => setImmediate(resolve));
        while (!stopping.signal.aborted) {
          try {
            await publish();
          } catch (error) {
            logger.warn({ err: error }, 'could not publish heartbeats; retrying');
          }
          await sleep(options.intervalMs, stopping.signal);
        }
      })();
    },
    async stop() {
      stopping.abort();
      await loop;
      if (loop === undefined) return;
      await options.store.withdraw(nodeId, [...published]).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not withdraw heartbeats; they will go stale');
      });
    },
  };
}

/** Resolves when some worker beats and no loop is stale; throws saying which are not. */
export async function checkSharedHeartbeats(
  store: HeartbeatStore,
  clock: Clock,
  staleAfterMs: number,
): Promise<void> {
  const now = clock.now();
  const beats = await store.latest(now - FORGET_BEATS_AFTER_MS);
  const seconds = (ms: number) => Math.round(ms / 1000);
  const stale = beats.filter((beat) => now - beat.lastBeatMs > staleAfterMs);
  if (beats.length === 0 || stale.length === beats.length) {
    throw new Error(
      `no worker has beaten within ${seconds(staleAfterMs)} s (ENGRAM_HEARTBEAT_STALE_MS): start \`engram worker\` or check the workers`,
    );
  }
  if (stale.length > 0) {
    throw new Error(
      `stale on every worker: ${stale.map((beat) => `${beat.name} (${seconds(now - beat.lastBeatMs)} s ago)`).join(', ')}`,
    );
  }
}
