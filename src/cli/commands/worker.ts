// `engram worker`: the background work of a distributed deployment as its own process — the
// telemetry consumers (one consumer-group member each) and every other background job — with no
// HTTP API. Run any number of them beside `engram serve --role api`. SIGTERM/SIGINT finish the
// batch in hand (acknowledged only once folded) and exit.
import type { Command } from 'commander';
import {
  closeOnSignals,
  createCommandLogger,
  loadCommandConfig,
  openRuntime,
  type Env,
} from '../load.js';

export function registerWorkerCommand(program: Command, env: Env): void {
  program
    .command('worker')
    .description('Run background workers (telemetry consumers, jobs) without the HTTP API')
    .action(async (_options: unknown, command: Command) => {
      const config = loadCommandConfig(command, env);
      const logger = createCommandLogger(config, false);
      const runtime = await openRuntime(config, logger);
      runtime.startBackground();
      logger.info(
        {
          store: runtime.stores.backend,
          stream: config.redisUrl === undefined ? runtime.stores.backend : 'redis',
          telemetryConsumers: config.telemetryConsumers,
        },
        'engram worker running',
      );

      closeOnSignals(logger, config.shutdownTimeoutMs, () => runtime.close());
    });
}
