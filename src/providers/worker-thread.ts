// Starts a worker thread from a module beside its caller, compiled or from source. What the
// caller gives it is `workerData.data` in the thread, either way.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Compiled, the worker is the .js beside the caller. From source (vitest, tsx) it is the .ts,
 * which plain Node cannot load: `execArgv: ['--import', 'tsx']` does not work on Node 20
 * (tsx's loader registers itself only on the main thread), so a two-line bootstrap registers
 * tsx's ESM hooks through its API inside the thread and then imports the worker.
 */
export function startWorkerThread(
  callerUrl: string,
  worker: string,
  name: string,
  workerData?: unknown,
): Worker {
  if (!callerUrl.endsWith('.ts'))
    return new Worker(new URL(`${worker}.js`, callerUrl), {
      name,
      workerData: { data: workerData },
    });
  const tsxApi = pathToFileURL(
    join(dirname(createRequire(callerUrl).resolve('tsx')), 'esm/api/index.mjs'),
  ).href;
  const entry = new URL(`${worker}.ts`, callerUrl).href;
  const bootstrap =
    // Only dynamic import(): the eval runs as CommonJS or, under --input-type=module, as ESM.
    "import('node:worker_threads').then(({ workerData }) => import(workerData.tsxApi)" +
    '.then((tsx) => { tsx.register(); return import(workerData.entry); }));';
  return new Worker(bootstrap, {
    eval: true,
    name,
    workerData: { tsxApi, entry, data: workerData },
  });
}
