// `engram serve`: the HTTP API, and in embedded mode (or --role all) the background workers too.
import type { Command } from 'commander';
import { Option } from 'commander';
import {
  closeOnSignals,
  createCommandLogger,
  loadCommandConfig,
  openRuntime,
  type Env,
} from '../load.js';

export function registerServeCommand(program: Command, env: Env): void {
  program
    .command('serve')
    .description('Serve the HTTP API (embedded SQLite store unless ENGRAM_DATABASE_URL is set)')
    .addOption(
      new Option(
        '--role <role>',
        'all: API and background workers; api: API only (run `engram worker` separately)',
      )
        .choices(['all', 'api'])
        .default('all'),
    )
    .action(async (options: { role: 'all' | 'api' }, command: Command) => {
      const config = loadCommandConfig(command, env);
      const logger = createCommandLogger(config, false);
      const runtime = await openRuntime(config, logger);
      const { buildApp } = await import('../../http/app.js');
      const app = await buildApp(runtime);
      const { installDrain } = await import('../../http/drain.js');
      const drain = installDrain(app);
      if (options.role === 'all') runtime.startBackground();
      // Drain first (requests in flight finish), then the runtime closes in reverse order.
      closeOnSignals(logger, config.shutdownDrainMs + config.shutdownTimeoutMs, async () => {
        const { forcedConnections } = await drain.drain(config.shutdownDrainMs);
        if (forcedConnections)
          logger.warn(
            { drainMs: config.shutdownDrainMs },
            'connections still open after the drain period were closed',
          );
        await runtime.close();
      });
      try {
        await app.listen({ host: config.host, port: config.port });
      } catch (error) {
        await runtime.close();
        throw error;
      }
      logger.info(
        {
          url: `http://${config.host}:${config.port}`,
          store: runtime.stores.backend,
          role: options.role,
        },
        'engram is serving; API docs at /docs',
      );
    });
}
