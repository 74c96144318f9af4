// What commands share: the validated config, a logger, and the runtime — imported on demand, so
// `engram --version` and a config error answer at once instead of loading every capability.
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../domain/logger.js';
import type { Runtime } from '../runtime.js';

export type Env = Record<string, string | undefined>;

export function loadCommandConfig(command: Command, env: Env): Config {
  const options = command.optsWithGlobals<{ config?: string }>();
  return loadConfig({ env, filePath: options.config });
}

/** Logs go to stderr so a command's own output on stdout stays clean to pipe. */
export function createCommandLogger(config: Config, toStderr = true): Logger {
  return createLogger(config.logLevel, toStderr ? process.stderr : process.stdout);
}

/**
 * For one-shot commands (ingest, documents, context, eval), whose own output is the point: only
 * warnings unless ENGRAM_LOG_LEVEL asks for more.
 */
export function createOneShotLogger(config: Config, env: Env): Logger {
  return createLogger(
    env.ENGRAM_LOG_LEVEL === undefined ? 'warn' : config.logLevel,
    process.stderr,
  );
}

export async function openRuntime(config: Config, logger: Logger): Promise<Runtime> {
  const { createRuntime } = await import('../runtime.js');
  return createRuntime(config, { logger });
}

/**
 * For one-shot commands (ingest, documents, context, eval): a runtime without background work,
 * closed when `work` ends, logging through `createOneShotLogger`.
 */
export async function withRuntime(
  command: Command,
  env: Env,
  work: (runtime: Runtime) => Promise<void>,
): Promise<void> {
  const config = loadCommandConfig(command, env);
  const runtime = await openRuntime(config, createOneShotLogger(config, env));
  try {
    await work(runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * SIGTERM/SIGINT run `close` once; if it has not finished within `timeoutMs` the process exits 1.
 * A clean close leaves no handle open, so the process then ends on its own with exit code 0.
 */
export function closeOnSignals(
  logger: Logger,
  timeoutMs: number,
  close: () => Promise<void>,
): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing work in hand');
    const force = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    close().then(
      () => {
        logger.info('shutdown complete');
        logger.flush();
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
