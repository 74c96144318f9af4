// A schema migration: applied once, in version order, never edited after it lands. A store
// applies every version it has not applied yet, so a number below ones already released (a
// group's next free number: jobs' 2 came after 311) runs last on existing stores and in order on
// new ones: only a migration that does not depend on the order (a new index) may take one.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function sortedMigrations(migrations: Migration[]): Migration[] {
  const seen = new Map<number, string>();
  for (const migration of migrations) {
    const other = seen.get(migration.version);
    if (other !== undefined) {
      throw new Error(
        `Migrations ${other} and ${migration.name} share version ${migration.version}`,
      );
    }
    seen.set(migration.version, migration.name);
  }
  return [...migrations].sort((a, b) => a.version - b.version);
}
