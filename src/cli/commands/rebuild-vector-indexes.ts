// `engram rebuild-vector-indexes`: rebuilds PostgreSQL HNSW indexes built with other settings,
// or over vectors in another form, than this version's (hnsw-rebuild.ts), while the store stays
// in use.
import type { Command } from 'commander';
import { MEMORY_SIZE, rebuildHnswIndexes } from '../../adapters/postgres/hnsw-rebuild.js';
import { openPostgres } from '../../adapters/postgres/database.js';
import { AppError } from '../../domain/errors.js';
import { loadCommandConfig, type Env } from '../load.js';

export function registerRebuildVectorIndexesCommand(program: Command, env: Env): void {
  program
    .command('rebuild-vector-indexes')
    .description(
      "Rebuild PostgreSQL's HNSW indexes built with other settings (or over vectors in another form) than this version's, each beside the old one while reads and writes go on (a build stopped midway is finished by the next run)",
    )
    .option(
      '--memory <size>',
      "maintenance_work_mem for the builds (the server's when not given; 1M 512-d vectors in full precision needed about 3.5GB)",
    )
    .option('--all', 'rebuild every HNSW index of Engram, also those built with these settings')
    .action(async (options: { memory?: string; all?: boolean }, command: Command) => {
      const config = loadCommandConfig(command, env);
      if (options.memory !== undefined && !MEMORY_SIZE.test(options.memory)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `Invalid --memory "${options.memory}": a size such as 512MB or 4GB.`,
        );
      }
      if (config.databaseUrl === undefined) {
        console.log(
          'SQLite: its vector index (sign bits and int8 copies) is kept by every write; nothing to rebuild.',
        );
        return;
      }
      const database = await openPostgres({
        url: config.databaseUrl,
        schema: config.databaseSchema,
        poolMax: 1,
      });
      try {
        const report = await rebuildHnswIndexes(database.pool, {
          ...(options.memory === undefined ? {} : { memory: options.memory }),
          all: options.all === true,
          onStep: (step) => console.log(step),
          onNotice: (message) => console.error(`postgres: ${message}`),
        });
        for (const { index, seconds } of report.rebuilt)
          console.log(`${index}: rebuilt in ${seconds.toFixed(1)} s`);
        for (const name of report.upToDate)
          console.log(`${name}: already built with these settings and form`);
        if (report.rebuilt.length + report.upToDate.length === 0)
          console.log(`PostgreSQL schema ${config.databaseSchema}: no HNSW index yet.`);
      } finally {
        await database.close();
      }
    });
}
