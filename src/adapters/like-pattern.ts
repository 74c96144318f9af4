// Escapes LIKE wildcards (and the escape character) so user text matches literally; queries
// using it say `ESCAPE '\'`. Same syntax in SQLite and PostgreSQL.
export function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
