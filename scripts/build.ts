// The build, as steps that each know the files they read and what they write. `npm run build`
// runs every step; the tests' set-up and the benchmarks (`buildStale`) run the steps whose inputs
// changed since their last success. A success is recorded in build/stamps/ as a hash of the
// inputs' paths, sizes and times before the step ran, and removed when a step starts: a step that
// failed runs again next time (tsc writes its JavaScript even when the type check fails, so the
// output's own time cannot say), an edit made during a build is built next time, and edits to
// native/ and console/ are built too.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
/** Where each step's success is recorded, from the root. */
const STAMPS = 'build/stamps';

export interface BuildStep {
  name: string;
  /** Files and folders (read whole, tests left out) the step builds from, from the root. */
  inputs: string[];
  /** A file the step writes: a step whose output is gone is stale whatever its stamp says. */
  output: string;
  /** Node's arguments for the step. */
  args: string[];
}

/** Inputs of every step: the dependencies' versions, and this file. */
const ALL = ['package-lock.json', 'scripts/build.ts'];

const STEPS: BuildStep[] = [
  {
    name: 'native',
    inputs: [
      'native',
      'scripts/build-native.ts',
      'node_modules/better-sqlite3/package.json',
      ...ALL,
    ],
    output: `build/native/engram-fts5.${process.platform === 'darwin' ? 'dylib' : 'so'}`,
    args: [TSX, 'scripts/build-native.ts'],
  },
  {
    name: 'server',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', ...ALL],
    output: 'dist/cli/main.js',
    args: [TSC, '-p', 'tsconfig.build.json'],
  },
  {
    name: 'console',
    inputs: ['console', 'scripts/build-console.ts', ...ALL],
    output: 'dist/console/main.js',
    args: [TSX, 'scripts/build-console.ts'],
  },
];

/**
 * The files under an input (a file or a folder), as "path size mtime" lines: tests, dot files
 * (editors' swap and lock files) and node_modules left out, and a file gone between the listing
 * and its reading (or a dangling link) skipped.
 */
function listing(root: string, input: string, lines: string[]): void {
  let stat;
  try {
    stat = statSync(join(root, input));
  } catch {
    return;
  }
  if (stat.isDirectory()) {
    for (const entry of readdirSync(join(root, input)))
      if (!entry.startsWith('.') && entry !== 'node_modules')
        listing(root, join(input, entry), lines);
  } else if (!input.endsWith('.test.ts')) lines.push(`${input} ${stat.size} ${stat.mtimeMs}`);
}

/**
 * What the step's inputs are now: a hash of every input file's path, size and time. Any
 * difference from the last success counts (a file added, deleted, or given another time, older
 * or newer), so a clock ahead or behind cannot hide an edit.
 */
function signature(root: string, step: BuildStep): string {
  const lines: string[] = [];
  for (const input of step.inputs) listing(root, input, lines);
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}

const stampOf = (root: string, step: BuildStep) => join(root, STAMPS, step.name);

/** Whether the step last succeeded from inputs of this signature, and its output is still there. */
function upToDate(root: string, step: BuildStep, inputsHash: string): boolean {
  const stamp = stampOf(root, step);
  return (
    existsSync(stamp) &&
    existsSync(join(root, step.output)) &&
    readFileSync(stamp, 'utf8') === inputsHash
  );
}

/**
 * Runs the step (its output streamed), then records the inputs it built from (their signature,
 * taken before it ran). Throws if it fails; its stamp is removed first, so a step that failed
 * runs again next time whatever caused it.
 */
function run(root: string, step: BuildStep, inputsHash = signature(root, step)): void {
  const stamp = stampOf(root, step);
  rmSync(stamp, { force: true });
  execFileSync(process.execPath, step.args, { cwd: root, stdio: 'inherit' });
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, inputsHash);
}

/** Runs every step, in order (`npm run build`). */
export function runAll(root: string, steps: BuildStep[]): void {
  for (const step of steps) run(root, step);
}

/** Runs the steps that never succeeded or whose inputs changed since; the names run. */
export function runStale(root: string, steps: BuildStep[]): string[] {
  const ran: string[] = [];
  for (const step of steps) {
    const inputsHash = signature(root, step);
    if (upToDate(root, step, inputsHash)) continue;
    run(root, step, inputsHash);
    ran.push(step.name);
  }
  return ran;
}

/** Engram's build steps that are out of date (the tests' set-up, the benchmarks). */
export const buildStale = (): string[] => runStale(ROOT, STEPS);

/** Whether this file is the script node was asked to run (through any link to it). */
function isMain(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === fileURLToPath(import.meta.url);
  } catch {
    return false; // no script, or one that is not a file (an evaluated string)
  }
}

// `npm run build`: every step, in order.
if (isMain()) runAll(ROOT, STEPS);
