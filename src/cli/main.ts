#!/usr/bin/env node
// The engram command. The only place that reads process.env and process.argv.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerConfigCommand } from './commands/config.js';
import { registerContextCommand } from './commands/context.js';
import { registerDocumentsCommand } from './commands/documents.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerIngestCommand } from './commands/ingest.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerRebuildVectorIndexesCommand } from './commands/rebuild-vector-indexes.js';
import { registerServeCommand } from './commands/serve.js';
import { registerWorkerCommand } from './commands/worker.js';
import { reportAndExit } from './exit.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command()
  .name('engram')
  .description('Memory and context server for AI agents.')
  .version(pkg.version, '-v, --version')
  .option('-c, --config <file>', 'JSON config file (ENGRAM_* environment variables win over it)')
  .showHelpAfterError('(run engram --help for usage)')
  .exitOverride();

const env = process.env;
registerServeCommand(program, env);
registerWorkerCommand(program, env);
registerMigrateCommand(program, env);
registerRebuildVectorIndexesCommand(program, env);
registerMcpCommand(program, env, pkg.version);
registerConfigCommand(program, env);
registerIngestCommand(program, env);
registerDocumentsCommand(program, env);
registerContextCommand(program, env);
registerEvalCommand(program, env);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  reportAndExit(error);
});
