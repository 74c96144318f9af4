// `engram serve`: the HTTP API, and in embedded mode (or --role all) the background workers too.
import type { Command } from 'commander';
import { Option } from 'commander';
import { buildApp } from '../../http/app.js';
import { createRuntime } from '../../runtime.js';
import { createCommandLogger, loadCommandConfig, type Env } from '../load.js';

export function registerServeCommand(program: Command, env: Env): void {
  program
    .command('serve')
    .description('Serve the HTTP API (embedded SQLite store unless ENGRAM_DATABASE_URL is set)')
    .addOption(
      new Option('--role <role>', 'all: API and background workers; api: API only (run `engram worker` separately)')
        .choices(['all', 'api'])
        .default('all'),
    )
    .action(async (options: { role: 'all' | 'api' }, command: Command) => {
      const config = loadCommandConfig(command, env);
      const logger = createCommandLogger(config, false);
      const runtime = await createRuntime(config, { logger });
      const app = await buildApp(runtime);
      if (options.role === 'all') runtime.startBackground();

      let shuttingDown = false;
      const shutdown = (signal: string) => {
        if (shuttingDown) return;
        shuttingDown = true;
        logger.info({ signal }, 'shutting down: finishing in-flight requests');
        const force = setTimeout(() => {
          logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
          process.exit(1);
        }, config.shutdownTimeoutMs);
        force.unref();
        (async () => {
          await app.close();
          await runtime.close();
          logger.info('shutdown complete');
          logger.flush();
          process.exitCode = 0;
        })().catch((error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));

      try {
        await app.listen({ host: config.host, port: config.port });
      } catch (error) {
        await runtime.close();
        throw error;
      }
      logger.info(
        { url: `http://${config.host}:${config.port}`, store: runtime.stores.backend, role: options.role },
        'engram is serving; API docs at /docs',
      );
    });
}
