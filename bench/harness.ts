// The benchmark harness's vocabulary: a suite measures, the runner prints and saves.

export interface Measurement {
  /** What was measured, e.g. "POST /v1/search @10k chunks". */
  name: string;
  unit: string;
  /** Repeated samples; the runner reports their median and p95. */
  samples?: number[];
  /** A single figure (a rate or a total) when samples do not apply. */
  value?: number;
  /** The same thing measured by the baseline in the same run, for a ratio. */
  baseline?: { name: string; value: number };
  note?: string;
}

export interface BenchContext {
  /** Smaller sizes for a quick check (`npm run bench -- --quick`). */
  quick: boolean;
  log(message: string): void;
  /** A machine-readable line the runner prints after every table, at the very end. */
  finalLine(line: string): void;
}

export interface BenchSuite {
  name: string;
  description: string;
  /** Runs only when named (`npm run bench -- soak`), never in a plain `npm run bench`. */
  onlyWhenNamed?: boolean;
  run(context: BenchContext): Promise<Measurement[]>;
}

/** The suites to run, in their order: those named, or every suite not `onlyWhenNamed`. */
export function selectSuites(all: readonly BenchSuite[], wanted: readonly string[]): BenchSuite[] {
  return wanted.length === 0
    ? all.filter((suite) => suite.onlyWhenNamed !== true)
    : all.filter((suite) => wanted.includes(suite.name));
}

export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/** Runs `fn` `count` times and returns each duration in milliseconds. */
export async function timeEach(count: number, fn: (index: number) => unknown): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

/** A small deterministic LCG, so synthetic corpora are the same on every run. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
