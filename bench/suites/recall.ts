// Recall latency on the embedded store (SQLite: FTS5 + sqlite-vec) at 10k and 100k memories,
// beside a brute-force baseline measured in the same run (every memory of the scope scored in
// JS: cosine over all vectors plus term overlap, then top k). Synthetic memories (Zipf-distributed
// words, random unit vectors; 100 users × 10 sessions) are inserted directly through the store
// port to save time; the query vector is made up front, so times exclude embedding the query.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { systemClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createIntentClassifier } from '../../src/memory/recall/intent.js';
import { createRecallService } from '../../src/memory/recall/recall-service.js';
import { terms } from '../../src/memory/recall/text-analysis.js';
import type { Embedder } from '../../src/ports/embedder.js';
import type { NewMemory } from '../../src/ports/memory-store.js';
import {
  prng,
  timeEach,
  type BenchContext,
  type BenchSuite,
  type Measurement,
} from '../harness.js';

const DIM = 512;
const USERS = 100;
const SESSIONS_PER_USER = 10;
const EMBEDDER_ID = 'bench:random-512';

function unitVector(random: () => number): Float32Array {
  const v = new Float32Array(DIM);
  let norm = 0;
  for (let i = 0; i < DIM; i++) {
    v[i] = random() - 0.5;
    norm += v[i]! * v[i]!;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < DIM; i++) v[i]! /= norm;
  return v;
}

/** A made-up vocabulary ("tovaki", "mesuro", …) drawn with a Zipf distribution. */
function vocabulary(random: () => number, size: number): string[] {
  const syllables = [
    'ka',
    'to',
    'mi',
    're',
    'su',
    'lo',
    'na',
    'vi',
    'de',
    'po',
    'ra',
    'ne',
    'shi',
    'mu',
    'te',
    'zo',
  ];
  const words = new Set<string>();
  while (words.size < size) {
    const n = 2 + Math.floor(random() * 3);
    words.add(
      Array.from({ length: n }, () => syllables[Math.floor(random() * syllables.length)]).join(''),
    );
  }
  return [...words];
}

function zipfPicker(random: () => number, words: string[]): () => string {
  const weights = words.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of weights) cumulative.push((acc += w / total));
  return () => {
    const r = random();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
}

interface Synthetic {
  id: string;
  userId: string;
  text: string;
  terms: Set<string>;
  vector: Float32Array;
}

function bruteForce(
  query: string,
  vector: Float32Array,
  memories: Synthetic[],
  k: number,
): Synthetic[] {
  const q = new Set(terms(query));
  const scored = memories.map((m) => {
    let dot = 0;
    for (let i = 0; i < DIM; i++) dot += vector[i]! * m.vector[i]!;
    let overlap = 0;
    for (const t of q) if (m.terms.has(t)) overlap += 1;
    return { m, s: overlap + 0.5 * dot };
  });
  scored.sort((a, b) => b.s - a.s);
  return scored.slice(0, k).map((x) => x.m);
}

async function measureSize(
  total: number,
  queries: number,
  context: BenchContext,
): Promise<Measurement[]> {
  const random = prng(total);
  const words = vocabulary(random, 5000);
  const pick = zipfPicker(random, words);
  const dir = mkdtempSync(join(tmpdir(), 'engram-bench-recall-'));
  const database = openSqlite({ path: join(dir, 'engram.db') });
  const store = new SqliteMemoryStore(database.db);
  const tenantId = 'bench';
  const synthetic: Synthetic[] = [];
  try {
    const started = Date.now();
    const perSession = Math.ceil(total / (USERS * SESSIONS_PER_USER));
    const t0 = Date.UTC(2024, 0, 1);
    let batch: NewMemory[] = [];
    let vectors: Array<{ memoryId: string; vector: Float32Array }> = [];
    const flush = async () => {
      await store.insertMemories(tenantId, batch, Date.now());
      await store.putVectors(tenantId, EMBEDDER_ID, vectors);
      batch = [];
      vectors = [];
    };
    for (let i = 0; i < total; i++) {
      const user = i % USERS;
      const session = Math.floor(i / USERS) % SESSIONS_PER_USER;
      const seq = Math.floor(i / (USERS * SESSIONS_PER_USER)) + 1;
      const text = Array.from({ length: 10 + Math.floor(random() * 15) }, pick).join(' ');
      const m: Synthetic = {
        id: `mem-${i}`,
        userId: `user-${user}`,
        text,
        terms: new Set(terms(text)),
        vector: unitVector(random),
      };
      synthetic.push(m);
      batch.push({
        id: m.id,
        kind: 'turn',
        tier: 'episodic',
        userId: m.userId,
        sessionId: `ses-${user}-${session}`,
        agentId: null,
        speaker: random() < 0.5 ? 'Ann' : 'Bob',
        text,
        seq,
        occurredAt: t0 + i * 60_000,
      });
      vectors.push({ memoryId: m.id, vector: m.vector });
      if (batch.length >= 2000) await flush();
    }
    if (batch.length > 0) await flush();
    context.log(
      `${total} memories inserted in ${((Date.now() - started) / 1000).toFixed(1)} s (${perSession} turns per session)`,
    );

    const queryTexts = Array.from({ length: queries }, () =>
      Array.from({ length: 4 + Math.floor(random() * 5) }, pick).join(' '),
    );
    const queryVectors = queryTexts.map(() => unitVector(random));
    let current = 0;
    const embedder: Embedder = {
      id: EMBEDDER_ID,
      dimension: DIM,
      embed: async (texts) => texts.map(() => queryVectors[current]!),
      close: async () => {},
    };
    const recall = createRecallService({
      store,
      embedder,
      classifier: createIntentClassifier({ mode: 'rules', cacheSize: 1000 }),
      clock: systemClock,
      logger: createSilentLogger(),
      salienceHalfLifeHours: 168,
    });
    const label = total >= 1000 ? `${total / 1000}k` : String(total);
    const out: Measurement[] = [];
    for (const scope of ['user', 'tenant'] as const) {
      const userId = scope === 'user' ? 'user-7' : undefined;
      const inScope =
        userId === undefined ? synthetic : synthetic.filter((m) => m.userId === userId);
      // Warm up statement caches and pages.
      for (let i = 0; i < 3; i++)
        await recall.recall({
          tenantId,
          query: queryTexts[i]!,
          k: 10,
          ...(userId ? { userId } : {}),
        });
      const phases = new Map<string, number>();
      const samples = await timeEach(queries, async (i) => {
        current = i;
        const result = await recall.recall({
          tenantId,
          query: queryTexts[i]!,
          k: 10,
          ...(userId ? { userId } : {}),
        });
        for (const [phase, ms] of Object.entries(result.timingsMs))
          phases.set(phase, (phases.get(phase) ?? 0) + ms);
      });
      context.log(
        `${scope} scope @${total}: mean per phase ${[...phases].map(([p, ms]) => `${p} ${(ms / queries).toFixed(1)}`).join(', ')} ms`,
      );
      const brute = await timeEach(queries, (i) =>
        bruteForce(queryTexts[i]!, queryVectors[i]!, inScope, 10),
      );
      const sorted = [...brute].sort((a, b) => a - b);
      out.push({
        name: `recall k=10 @${label} memories, ${scope} scope (${inScope.length} in scope)`,
        unit: 'ms',
        samples,
        baseline: {
          name: 'brute-force JS scan, p50',
          value: sorted[Math.floor(sorted.length / 2)]!,
        },
        note: 'excludes query embedding',
      });
      out.push({
        name: `brute-force scan @${label} memories, ${scope} scope`,
        unit: 'ms',
        samples: brute,
      });
    }
    return out;
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const recallSuite: BenchSuite = {
  name: 'recall',
  description:
    'recall latency (p50/p95, excluding query embedding) at 10k and 100k memories on SQLite, beside a brute-force scan',
  async run(context) {
    const sizes = context.quick ? [2_000, 10_000] : [10_000, 100_000];
    const queries = context.quick ? 30 : 100;
    const out: Measurement[] = [];
    for (const size of sizes) out.push(...(await measureSize(size, queries, context)));
    return out;
  },
};
