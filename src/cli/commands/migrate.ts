// `engram migrate`: applies pending schema migrations and says which.
import type { Command } from 'commander';
import { openPostgres } from '../../adapters/postgres/database.js';
import { openSqlite } from '../../adapters/sqlite/database.js';
import { sqlitePathFor } from '../../adapters/sqlite/stores.js';
import { loadCommandConfig, type Env } from '../load.js';

export function registerMigrateCommand(program: Command, env: Env): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (also done at every start)')
    .action(async (_options: unknown, command: Command) => {
      const config = loadCommandConfig(command, env);
      let applied: number[];
      let where: string;
      if (config.databaseUrl === undefined) {
        const database = openSqlite({ path: sqlitePathFor(config) });
        applied = database.appliedNow;
        where = database.path;
        database.close();
      } else {
        const database = await openPostgres({
          url: config.databaseUrl,
          schema: config.databaseSchema,
        });
        applied = database.appliedNow;
        where = `PostgreSQL schema ${config.databaseSchema}`;
        await database.close();
      }
      console.log(
        applied.length === 0
          ? `${where}: up to date.`
          : `${where}: applied migration${applied.length === 1 ? '' : 's'} ${applied.join(', ')}.`,
      );
    });
}
