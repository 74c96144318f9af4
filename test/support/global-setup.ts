// Before any test (and any benchmark, through bench/built.ts): the build is brought up to date,
// because the CLI tests run the built `engram` exactly as `npm start` does and the store loads
// the built SQLite extension. `npm test` has just built it all; a bare `vitest run` after an edit
// runs the build steps whose inputs changed (scripts/build.ts).
import { buildStale } from '../../scripts/build.js';

export default function setup(): void {
  buildStale();
}
