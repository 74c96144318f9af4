// Builds native/*.c into build/native/ as one SQLite loadable extension (engram-fts5), against the
// SQLite headers better-sqlite3 ships with its own SQLite (the one the extension is loaded into).
// Part of `npm run build`; needs a C compiler (`cc`, or $CC), as better-sqlite3's build does.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const headers = join(
  dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
  'deps',
  'sqlite3',
);
const darwin = process.platform === 'darwin';
const output = join(root, 'build', 'native', `engram-fts5.${darwin ? 'dylib' : 'so'}`);
mkdirSync(dirname(output), { recursive: true });
execFileSync(
  process.env.CC ?? 'cc',
  [
    '-O2',
    // bm25()'s arithmetic exactly: no fused multiply-adds where SQLite's build has none.
    '-ffp-contract=off',
    '-fPIC',
    ...(darwin ? ['-dynamiclib', '-undefined', 'dynamic_lookup'] : ['-shared']),
    '-I',
    headers,
    ...['extension.c', 'fts5-scoring.c', 'fts5-tokens.c'].map((file) => join(root, 'native', file)),
    '-o',
    output,
    '-lm',
  ],
  { stdio: 'inherit' },
);
console.log(`[build-native] ${output}`);
