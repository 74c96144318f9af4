// A schema migration: applied once, in version order, never edited after it lands.

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
