// The thread pool's main-thread logic under every interleaving fast-check finds: calls, aborts,
// answers (right, failed, the wrong count), threads that die by exit or by an uncaught error
// (whose exit comes later), close() and threads that cannot be created. Real threads cannot be
// made to interleave on demand, so `node:worker_threads` is replaced here by workers that answer
// only when a step says so, with the pool's own message shapes. Checked after every step: no
// thread holds more than `depth` batches, nothing is sent to a thread that died or was stopped,
// nothing is sent after its call settled, no item is held twice. At the end: every call settled,
// with its own results in order or an error it was owed, one telemetry report a batch that ran,
// and `stats()` true at rest. (thread-pool.test.ts runs the same promises on real threads.)
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createThreadPool, type PoolBatch } from '../../src/providers/thread-pool.js';

// vi.mock runs before this module's imports and statements: what it returns is made in vi.hoisted.
const { ScriptedWorker, world } = await vi.hoisted(async () => {
  const { EventEmitter } = await import('node:events');
  const world = {
    workers: [] as Array<InstanceType<typeof ScriptedWorker>>,
    failStart: false,
    problems: [] as string[],
  };
  /** A thread that answers when told to; `dead` once it reported an error or exited. */
  class ScriptedWorker extends EventEmitter {
    readonly id: number;
    /** Batches it holds, in the order it answers them. */
    held: Array<{ requestId: number; items: string[] }> = [];
    /** The pool stopped it (terminate()). */
    stopped = false;
    dead = false;
    exited = false;
    /** It answered a batch while the pool still listened: it started. */
    answered = false;
    /** What it held when it died: the pool learns of the death at its exit. */
    running: string[] | undefined;

    constructor() {
      super();
      if (world.failStart) throw new Error('cannot create a thread');
      this.id = world.workers.length;
      world.workers.push(this);
    }

    postMessage(request: { requestId: number; items: string[] }) {
      if (this.stopped || this.dead) world.problems.push(`sent to thread ${this.id} after its end`);
      else this.held.push({ requestId: request.requestId, items: [...request.items] });
    }

    terminate() {
      this.stopped = true;
      return Promise.resolve(1);
    }
  }
  return { ScriptedWorker, world };
});
type ScriptedWorker = InstanceType<typeof ScriptedWorker>;

vi.mock('node:worker_threads', () => ({ Worker: ScriptedWorker }));

type Step =
  | { t: 'run'; n: number; signal: boolean }
  | { t: 'abort'; k: number }
  | { t: 'answer'; w: number; kind: 'ok' | 'err' | 'wrong' }
  | { t: 'die'; w: number; how: 'exit' | 'error' }
  | { t: 'exits' }
  | { t: 'close' }
  | { t: 'failStart'; on: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('run' as const),
      n: fc.integer({ min: 1, max: 6 }),
      signal: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('abort' as const), k: fc.nat() }) },
  {
    weight: 8,
    arbitrary: fc.record({
      t: fc.constant('answer' as const),
      w: fc.nat(),
      kind: fc.constantFrom(
        'ok' as const,
        'ok' as const,
        'ok' as const,
        'err' as const,
        'wrong' as const,
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('die' as const),
      w: fc.nat(),
      how: fc.constantFrom('exit' as const, 'error' as const),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ t: 'exits' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'close' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('failStart' as const), on: fc.boolean() }) },
);

interface Call {
  items: string[];
  controller?: AbortController;
  aborted: boolean;
  outcome?:
    | { value: string[] }
    | { error: { code?: string; retryable?: boolean; name?: string; message?: string } };
}

const callOf = (item: string) => Number(item.slice(1).split('.')[0]);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs the steps against a pool; returns what went wrong. */
async function drive(
  settings: { threads: number; batchSize: number; depth: number },
  steps: Step[],
): Promise<string[]> {
  world.workers = [];
  world.failStart = false;
  world.problems = [];
  const problems = world.problems;
  const reports: PoolBatch[] = [];
  const pool = createThreadPool<string, string>({
    name: 'scripted',
    worker: './scripted',
    callerUrl: 'file:///scripted/caller.js',
    ...settings,
    logger: createSilentLogger(),
    onBatch: (batch) => reports.push(batch),
  });
  const calls: Call[] = [];
  /** How each call may fail with PROVIDER_FAILED: only as one of its batches did. */
  const owed = new Map<number, Set<string>>();
  const owe = (items: string[], how: string) => {
    for (const item of items) {
      const call = callOf(item);
      owed.set(call, (owed.get(call) ?? new Set()).add(how));
    }
  };
  let closed = false;
  let batchesRan = 0;
  let startFailed = false;
  const listening = (w: ScriptedWorker) => !w.stopped && !w.exited;
  /** A thread exits. If the pool still listens, the batch it ran fails (retryably once it had answered); those behind it are sent on. */
  const exit = (w: ScriptedWorker, code: number) => {
    if (listening(w) && !closed && w.running !== undefined) {
      batchesRan++;
      owe(w.running, w.answered ? 'retryable' : 'permanent');
    }
    w.exited = true;
    w.emit('exit', code);
  };

  async function apply(s: Step) {
    const settledBefore = new Set(calls.flatMap((call, i) => (call.outcome ? [i] : [])));
    const heldBefore = new Set(world.workers.flatMap((w) => w.held.map((r) => r.requestId)));
    switch (s.t) {
      case 'run': {
        const id = calls.length;
        const call: Call = {
          items: Array.from({ length: s.n }, (_, i) => `c${id}.${i}`),
          aborted: false,
          ...(s.signal ? { controller: new AbortController() } : {}),
        };
        calls.push(call);
        pool.run(call.items, call.controller?.signal).then(
          (value) => (call.outcome = { value }),
          (error: NonNullable<Extract<Call['outcome'], { error: unknown }>>['error']) =>
            (call.outcome = { error }),
        );
        break;
      }
      case 'abort': {
        const open = calls.filter((call) => call.controller && !call.controller.signal.aborted);
        if (open.length === 0) return;
        const call = open[s.k % open.length]!;
        if (!call.outcome) call.aborted = true;
        call.controller!.abort();
        break;
      }
      case 'answer': {
        const ready = world.workers.filter((w) => !w.dead && w.held.length > 0);
        if (ready.length === 0) return;
        const w = ready[s.w % ready.length]!;
        const request = w.held.shift()!;
        if (listening(w)) {
          w.answered = true;
          batchesRan++;
          if (s.kind !== 'ok') owe(request.items, 'permanent');
        }
        const upper = request.items.map((item) => item.toUpperCase());
        w.emit(
          'message',
          s.kind === 'err'
            ? { type: 'error', requestId: request.requestId, message: 'failed' }
            : {
                type: 'result',
                requestId: request.requestId,
                results: s.kind === 'wrong' ? upper.slice(1) : upper,
              },
        );
        break;
      }
      case 'die': {
        const alive = world.workers.filter((w) => !w.dead);
        if (alive.length === 0) return;
        const w = alive[s.w % alive.length]!;
        w.dead = true;
        w.running = w.held[0]?.items;
        w.held = [];
        if (s.how === 'exit') exit(w, 3);
        else w.emit('error', new Error('uncaught'));
        break;
      }
      case 'exits': {
        for (const w of world.workers.filter((x) => (x.stopped || x.dead) && !x.exited)) {
          w.dead = true;
          w.held = [];
          exit(w, 1);
        }
        break;
      }
      case 'close': {
        closed = true;
        void pool.close();
        break;
      }
      case 'failStart': {
        world.failStart = s.on;
        startFailed ||= s.on;
        break;
      }
    }
    await tick();
    for (const w of world.workers.filter(listening)) {
      if (w.held.length > settings.depth)
        problems.push(`thread ${w.id} holds ${w.held.length} batches, more than ${settings.depth}`);
      for (const request of w.held) {
        if (heldBefore.has(request.requestId)) continue;
        for (const item of request.items)
          if (settledBefore.has(callOf(item))) problems.push(`${item} sent after its call settled`);
      }
    }
    const holders = new Map<string, number>();
    for (const w of world.workers.filter(listening))
      for (const request of w.held)
        for (const item of request.items) holders.set(item, (holders.get(item) ?? 0) + 1);
    for (const [item, n] of holders) if (n > 1) problems.push(`${item} held ${n} times`);
  }

  for (const s of steps) await apply(s);
  // The rest of the story: every thread answers what it holds, every stopped thread exits.
  world.failStart = false;
  for (let round = 0; round < 500; round++) {
    const ready = world.workers.some((w) => !w.dead && w.held.length > 0);
    const exiting = world.workers.some((w) => (w.stopped || w.dead) && !w.exited);
    if (!ready && !exiting) break;
    await apply(ready ? { t: 'answer', w: 0, kind: 'ok' } : { t: 'exits' });
  }
  await tick();

  calls.forEach((call, i) => {
    const outcome = call.outcome;
    if (outcome === undefined) problems.push(`call ${i} never settled`);
    else if ('value' in outcome) {
      const expected = call.items.map((item) => item.toUpperCase());
      if (JSON.stringify(outcome.value) !== JSON.stringify(expected))
        problems.push(`call ${i} got ${JSON.stringify(outcome.value)}`);
    } else if (outcome.error.name === 'AbortError') {
      if (!call.aborted) problems.push(`call ${i} aborted without an abort`);
    } else if (outcome.error.code === 'UNAVAILABLE') {
      if (!closed) problems.push(`call ${i} unavailable without close()`);
    } else if (outcome.error.code === 'PROVIDER_FAILED') {
      const how = outcome.error.retryable === true ? 'retryable' : 'permanent';
      const noThread = startFailed && outcome.error.message?.includes('could not start') === true;
      if (!noThread && owed.get(i)?.has(how) !== true)
        problems.push(`call ${i} failed ${how} (${outcome.error.message}), owed no such failure`);
    } else problems.push(`call ${i} failed with ${JSON.stringify(outcome.error)}`);
  });
  if (reports.length !== batchesRan)
    problems.push(`${reports.length} telemetry reports for ${batchesRan} batches that ran`);
  if (!closed) {
    const stats = pool.stats();
    if (stats.queuedItems !== 0) problems.push(`${stats.queuedItems} items queued at rest`);
    const alive = world.workers.filter((w) => !w.exited).length;
    if (stats.threads !== alive)
      problems.push(`stats say ${stats.threads} threads, ${alive} alive`);
  }
  await pool.close();
  return problems;
}

describe('thread pool, every interleaving of its events', () => {
  it('settles every call rightly, holds at most depth, and tells the truth', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          threads: fc.integer({ min: 1, max: 3 }),
          batchSize: fc.integer({ min: 1, max: 4 }),
          depth: fc.integer({ min: 1, max: 4 }),
        }),
        fc.array(step, { minLength: 5, maxLength: 40, size: 'max' }),
        async (settings, steps) => {
          expect(await drive(settings, steps)).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });
});
