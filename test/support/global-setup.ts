// Before any test (and any benchmark, through bench/built.ts): the build is brought up to date,
// because the CLI tests run the built `engram` exactly as `npm start` does and the store loads
// the built SQLite extension. `npm test` has just built it all; a bare `vitest run` after an edit
// runs the build steps whose inputs changed (scripts/build.ts), and so does each rerun in watch
// mode.
import type { TestProject } from 'vitest/node';
import { buildStale } from '../../scripts/build.js';

export default function setup(project?: TestProject): void {
  buildStale();
  project?.onTestsRerun(() => {
    buildStale();
  });
}
