// Background jobs that run every interval (session expiry, promotion, cleanup), with a heartbeat.
// A failing pass is logged and retried at the next interval; it never stops the loop.
import type { Logger } from '../domain/logger.js';
import type { Heartbeats } from './heartbeats.js';
import { sleep } from './sleep.js';

export interface PeriodicJobOptions {
  name: string;
  intervalMs: number;
  run: (signal: AbortSignal) => Promise<void>;
  heartbeats: Heartbeats;
  logger: Logger;
}

export interface PeriodicJob {
  stop(): Promise<void>;
}

export function runEvery(options: PeriodicJobOptions): PeriodicJob {
  const stopping = new AbortController();
  const logger = options.logger.child({ job: options.name });
  options.heartbeats.register(options.name, options.intervalMs * 3 + 5_000);
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await options.run(stopping.signal);
        options.heartbeats.beat(options.name);
      } catch (error) {
        logger.error({ err: error }, 'background job pass failed');
      }
      await sleep(options.intervalMs, stopping.signal);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
      options.heartbeats.unregister(options.name);
    },
  };
}
