// `engram rebuild-vector-indexes`: rebuilds PostgreSQL HNSW indexes built with other settings
// than this version's (hnsw-rebuild.ts), while the store stays in use.
import type { Command } from 'commander';
import { rebuildHnswIndexes } from '../../adapters/postgres/hnsw-rebuild.js';
import { openPostgres } from '../../adapters/postgres/database.js';
import { loadCommandConfig, type Env } from '../load.js';

export function registerRebuildVectorIndexesCommand(program: Command, env: Env): void {
  program
    .command('rebuild-vector-indexes')
    .description(
      "Rebuild PostgreSQL's HNSW indexes built with other settings than this version's, without blocking reads or writes",
    )
    .option(
      '--memory <size>',
      "maintenance_work_mem for the builds (the server's when not given; 1M 512-d vectors need about 4GB)",
    )
    .option('--all', 'rebuild every HNSW index, also those already built with these settings')
    .action(async (options: { memory?: string; all?: boolean }, command: Command) => {
      const config = loadCommandConfig(command, env);
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
          onNotice: (message) => console.error(`postgres: ${message}`),
          onRebuild: (index, settings) => console.log(`${index}: rebuilding (was ${settings})…`),
        });
        for (const name of report.dropped) console.log(`${name}: dropped (a rebuild's leftover)`);
        for (const { index, seconds } of report.rebuilt)
          console.log(`${index}: rebuilt in ${seconds.toFixed(1)} s`);
        for (const name of report.current)
          console.log(`${name}: already built with these settings`);
        if (report.rebuilt.length + report.current.length === 0)
          console.log(`PostgreSQL schema ${config.databaseSchema}: no HNSW index yet.`);
      } finally {
        await database.close();
      }
    });
}
