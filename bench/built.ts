// `tsx bench/built.ts <bench or lab> [args…]` runs the script with the modules of src/ it imports
// loaded from the build in dist/, the JavaScript `engram serve` runs (rebuilt first when its inputs
// changed), instead of tsx's compilation of the source (esbuild's, names kept, made again in every
// worker thread). The script's own files, and test/'s, still run through tsx, and so does the main
// thread's loader (source maps on), so the main thread is close to, not exactly, what `node
// dist/cli/main.js` runs; worker threads started from dist/ run plain Node. A resolve hook
// registered here, in the main thread, does the mapping: a flag such as `--import` would be
// inherited by worker threads, where tsx cannot load it.
import { register } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildStale } from '../scripts/build.js';

const script = process.argv[2];
if (script === undefined) {
  console.error('usage: tsx bench/built.ts <script> [args…]');
  process.exit(2);
}
buildStale();
register('./built-hooks.ts', import.meta.url);
process.argv.splice(1, 2, resolve(script));
await import(pathToFileURL(resolve(script)).href);
