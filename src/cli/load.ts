// What every command needs first: the validated config and a logger.
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../domain/logger.js';

export type Env = Record<string, string | undefined>;

export function loadCommandConfig(command: Command, env: Env): Config {
  const options = command.optsWithGlobals<{ config?: string }>();
  return loadConfig({ env, filePath: options.config });
}

/** Logs go to stderr so a command's own output on stdout stays clean to pipe. */
export function createCommandLogger(config: Config, toStderr = true): Logger {
  return createLogger(config.logLevel, toStderr ? process.stderr : process.stdout);
}
