// The build's staleness rules (scripts/build.ts), on steps of a scratch folder: a step runs when
// it never succeeded, when an input's file changed (to an older time too), was added or deleted,
// when its output is gone, and again after it failed (as tsc fails after writing its output),
// whatever made it fail; never when nothing changed, nor for a test's edit or an editor's file.
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAll, runStale, type BuildStep } from '../../scripts/build.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/**
 * A folder with sources in src/ and one step that copies them into out.txt, failing on "bad" in
 * them or when a file outside its inputs, broken.flag, exists.
 */
function project(): { root: string; steps: BuildStep[] } {
  const root = mkdtempSync(join(tmpdir(), 'engram-build-'));
  roots.push(root);
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src/a.ts'), 'a');
  const script = `const fs = require('node:fs');
    const text = fs.readdirSync('src').map((f) => fs.readFileSync('src/' + f, 'utf8')).join();
    fs.writeFileSync('out.txt', text);
    if (text.includes('bad') || fs.existsSync('broken.flag')) process.exit(1);`;
  const steps = [
    { name: 'copy', inputs: ['src'], output: 'out.txt', args: ['-e', script] },
  ] satisfies BuildStep[];
  return { root, steps };
}

/** Sets a file's time to `seconds` past a fixed moment, so edits are ordered. */
function age(path: string, seconds: number): void {
  const at = new Date(Date.UTC(2026, 0, 1) + seconds * 1000);
  utimesSync(path, at, at);
}

/** Writes a source and dates it `seconds` on. */
function edit(root: string, file: string, text: string, seconds: number): void {
  writeFileSync(join(root, 'src', file), text);
  age(join(root, 'src', file), seconds);
}

describe('build steps', () => {
  it('run when never built, not again until an input changes', () => {
    const { root, steps } = project();
    edit(root, 'a.ts', 'a', 1);
    expect(runStale(root, steps)).toEqual(['copy']);
    expect(runStale(root, steps)).toEqual([]);
    edit(root, 'a.ts', 'a2', 2);
    expect(runStale(root, steps)).toEqual(['copy']);
    expect(runStale(root, steps)).toEqual([]);
  });

  it('run again after a failure, until one succeeds', () => {
    const { root, steps } = project();
    edit(root, 'a.ts', 'a', 1);
    runStale(root, steps);
    edit(root, 'a.ts', 'bad', 2);
    expect(() => runStale(root, steps)).toThrow();
    // The failed step wrote its output, as tsc does: it is still out of date.
    expect(() => runStale(root, steps)).toThrow();
    edit(root, 'a.ts', 'good', 3);
    expect(runStale(root, steps)).toEqual(['copy']);
    expect(runStale(root, steps)).toEqual([]);
  });

  it('run again after a failure that no input caused', () => {
    const { root, steps } = project();
    edit(root, 'a.ts', 'a', 1);
    runStale(root, steps);
    // A full build (npm run build) with the same inputs fails, after writing its output.
    writeFileSync(join(root, 'broken.flag'), '');
    expect(() => runAll(root, steps)).toThrow();
    unlinkSync(join(root, 'broken.flag'));
    expect(runStale(root, steps)).toEqual(['copy']);
    expect(runStale(root, steps)).toEqual([]);
  });

  it('run when a source gets an older time, as a copy that keeps times gives it', () => {
    const { root, steps } = project();
    edit(root, 'a.ts', 'a', 100);
    runStale(root, steps);
    edit(root, 'a.ts', 'b', 50);
    expect(runStale(root, steps)).toEqual(['copy']);
  });

  it('run when a source is deleted or the output is gone', () => {
    const { root, steps } = project();
    edit(root, 'a.ts', 'a', 1);
    edit(root, 'b.ts', 'b', 1);
    runStale(root, steps);
    unlinkSync(join(root, 'src/b.ts'));
    expect(runStale(root, steps)).toEqual(['copy']);
    unlinkSync(join(root, 'out.txt'));
    expect(runStale(root, steps)).toEqual(['copy']);
    expect(runStale(root, steps)).toEqual([]);
  });

  it('leaves out tests, dot files and dangling links', () => {
    const { root, steps } = project();
    edit(root, 'a.ts', 'a', 1);
    runStale(root, steps);
    edit(root, 'a.test.ts', 'test', 5);
    edit(root, '.a.ts.swp', 'swap', 5);
    // An editor's lock file: a link to nowhere.
    symlinkSync('user@host.1:1', join(root, 'src/.#b.ts'));
    symlinkSync('nowhere', join(root, 'src/gone.ts'));
    expect(runStale(root, steps)).toEqual([]);
    // (The scratch step itself reads every file of src/.)
    for (const link of ['.#b.ts', 'gone.ts', '.a.ts.swp']) unlinkSync(join(root, 'src', link));
    edit(root, 'a.ts', 'a2', 6);
    expect(runStale(root, steps)).toEqual(['copy']);
  });
});
