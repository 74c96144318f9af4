// The build, as steps that each know the files they read and what they write. `npm run build`
// runs every step; the tests' set-up and the benchmarks (`buildStale`) run the steps whose inputs
// changed since their last success. A step's success is recorded (in build/stamps/) with the
// newest input time it built from, so a step that failed runs again next time (tsc writes its
// JavaScript even when the type check fails, so the output's own time cannot say), an edit made
// during a build is built next time, and edits to native/ and console/ are built too.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

const STEPS: BuildStep[] = [
  {
    name: 'native',
    inputs: ['native', 'scripts/build-native.ts', 'node_modules/better-sqlite3/package.json'],
    output: `build/native/engram-fts5.${process.platform === 'darwin' ? 'dylib' : 'so'}`,
    args: [TSX, 'scripts/build-native.ts'],
  },
  {
    name: 'server',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'node_modules/typescript/package.json'],
    output: 'dist/cli/main.js',
    args: [TSC, '-p', 'tsconfig.build.json'],
  },
  {
    name: 'console',
    inputs: ['console', 'scripts/build-console.ts', 'package-lock.json'],
    output: 'dist/console/main.js',
    args: [TSX, 'scripts/build-console.ts'],
  },
];

/**
 * The newest modification time of a file, or of a folder and what it holds (tests left out): a
 * folder's own time changes when a file in it is added, renamed or deleted.
 */
function newestMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.test.ts') ? 0 : stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    newest = Math.max(newest, newestMs(join(path, entry)));
  }
  return newest;
}

const inputsMs = (root: string, step: BuildStep) =>
  Math.max(...step.inputs.map((input) => newestMs(join(root, input))));

/** The newest input time the step last succeeded from, if it did and its output is there. */
function builtFromMs(root: string, step: BuildStep): number | undefined {
  const stamp = join(root, STAMPS, step.name);
  if (!existsSync(stamp) || !existsSync(join(root, step.output))) return undefined;
  const recorded = Number(readFileSync(stamp, 'utf8'));
  return Number.isFinite(recorded) ? recorded : undefined;
}

/** Runs the step (its output streamed), then records what it built from. Throws if it fails. */
function run(root: string, step: BuildStep): void {
  const from = inputsMs(root, step);
  execFileSync(process.execPath, step.args, { cwd: root, stdio: 'inherit' });
  mkdirSync(join(root, STAMPS), { recursive: true });
  writeFileSync(join(root, STAMPS, step.name), String(from));
}

/** The steps whose inputs changed since they last succeeded, or that never did; the names run. */
export function runStale(root: string, steps: BuildStep[]): string[] {
  const ran: string[] = [];
  for (const step of steps) {
    const builtFrom = builtFromMs(root, step);
    if (builtFrom !== undefined && inputsMs(root, step) <= builtFrom) continue;
    run(root, step);
    ran.push(step.name);
  }
  return ran;
}

/** Engram's build steps that are out of date (the tests' set-up, the benchmarks). */
export const buildStale = (): string[] => runStale(ROOT, STEPS);

// `npm run build`: every step, in order.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  for (const step of STEPS) run(ROOT, step);
