// The offline default embedder, for real: USE lite loaded from the npm package in worker threads.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { createSilentLogger } from '../domain/logger.js';
import type { ModelCall } from '../ports/embedder.js';
import { dot } from './l2-normalise.js';
import {
  createLocalEmbedder,
  LOCAL_EMBEDDER_ID,
  truncateForModel,
  type LocalEmbedder,
} from './local-embedder.js';

const TEXTS = [
  'The cat sat on the mat.',
  'A kitten was resting on the rug.',
  'Quarterly revenue grew by five percent.',
  'PostgreSQL stores the vectors in an HNSW index.',
  'How do I reset my password?',
  'I forgot my login credentials and need to change them.',
  'The weather in Lisbon is sunny today.',
  'Engram turns documents into a knowledge graph.',
  'Neo4j is a graph database.',
  'She booked a flight to Tokyo for next Monday.',
  'The invoice was paid late.',
  'Rust and TypeScript are programming languages.',
];

const norm = (v: Float32Array) => Math.sqrt(dot(v, v));
const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((max, x, i) => Math.max(max, Math.abs(x - b[i]!)), 0);

describe('local embedder (USE lite in worker threads)', () => {
  let embedder: LocalEmbedder;
  const calls: ModelCall[] = [];
  beforeAll(() => {
    embedder = createLocalEmbedder({
      logger: createSilentLogger(),
      threads: 2,
      batchSize: 5,
      recordCall: (c) => calls.push(c),
    });
  });
  afterAll(async () => {
    await embedder.close();
  });

  it('gives 512-d unit vectors where a paraphrase is closer than an unrelated sentence', async () => {
    const [cat, kitten, revenue, reset, forgot] = await embedder.embed([
      TEXTS[0]!,
      TEXTS[1]!,
      TEXTS[2]!,
      TEXTS[4]!,
      TEXTS[5]!,
    ]);
    expect(embedder.id).toBe(LOCAL_EMBEDDER_ID);
    expect(embedder.dimension).toBe(512);
    for (const v of [cat!, kitten!, revenue!, reset!, forgot!]) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(512);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(dot(cat!, kitten!)).toBeGreaterThan(dot(cat!, revenue!) + 0.2);
    expect(dot(reset!, forgot!)).toBeGreaterThan(dot(reset!, kitten!) + 0.2);
    expect(calls.at(-1)).toMatchObject({
      kind: 'embedding',
      provider: 'local',
      model: 'use-lite-512',
      success: true,
    });
  });

  it('gives the same vectors in one batch, concurrently and one by one', async () => {
    const batched = await embedder.embed(TEXTS);
    const concurrent = (await Promise.all(TEXTS.map((text) => embedder.embed([text])))).map(
      ([v]) => v!,
    );
    const oneByOne: Float32Array[] = [];
    for (const text of TEXTS) oneByOne.push((await embedder.embed([text]))[0]!);
    TEXTS.forEach((_, i) => {
      expect(maxAbsDiff(batched[i]!, oneByOne[i]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(concurrent[i]!, oneByOne[i]!)).toBeLessThan(1e-5);
    });
    // batchSize 5: 12 texts in one call travel as at most 5 per model call.
    expect(calls.every((c) => (c.items ?? 0) <= 5)).toBe(true);
  });

  it('embeds a text longer than the model takes, and an empty one', async () => {
    const long = TEXTS.join(' ').repeat(40);
    // An empty text last in a batch used to lose its row inside the model; alone it throws.
    const [longVector, empty] = await embedder.embed([long, '']);
    expect(norm(longVector!)).toBeCloseTo(1, 5);
    expect(norm(empty!)).toBeCloseTo(1, 5);
    const [alone] = await embedder.embed(['']);
    expect(maxAbsDiff(alone!, empty!)).toBeLessThan(1e-5);
  });

  it('drops a call whose signal aborts while others complete', async () => {
    const controller = new AbortController();
    const big = embedder.embed(
      Array.from({ length: 30 }, (_, i) => `${TEXTS[i % TEXTS.length]!} (${i})`),
      { signal: controller.signal },
    );
    const small = embedder.embed(['still answered']);
    controller.abort();
    await expect(big).rejects.toMatchObject({ name: 'AbortError' });
    await expect(small).resolves.toHaveLength(1);
  });
});

describe('local embedder queue', () => {
  it('lets a one-text call ride in the next batch instead of waiting behind a large call', async () => {
    const embedder = createLocalEmbedder({
      logger: createSilentLogger(),
      threads: 1,
      batchSize: 2,
    });
    try {
      const finished: string[] = [];
      const large = embedder.embed(TEXTS).then(() => finished.push('large'));
      const small = embedder.embed(['a short query']).then(() => finished.push('small'));
      await Promise.all([large, small]);
      // 12 texts in batches of 2: the query shares the second batch, the large call needs six.
      expect(finished).toEqual(['small', 'large']);
    } finally {
      await embedder.close();
    }
  });

  it('caps a batch by characters as well as by count', async () => {
    const calls: ModelCall[] = [];
    const embedder = createLocalEmbedder({
      logger: createSilentLogger(),
      threads: 1,
      batchSize: 8,
      maxBatchChars: 60,
      recordCall: (c) => calls.push(c),
    });
    try {
      await embedder.embed([TEXTS[0]!, TEXTS[1]!, TEXTS[2]!, 'x'.repeat(100), 'ok', 'ok']);
      // 23 + 32 chars fit in 60; 39 goes next; the 100-char text goes alone; then the two short ones.
      expect(calls.map((c) => c.items)).toEqual([2, 1, 1, 2]);
    } finally {
      await embedder.close();
    }
  });
});

describe('local embedder close()', () => {
  it('stops every thread and rejects pending and later calls', async () => {
    const calls: ModelCall[] = [];
    const embedder = createLocalEmbedder({
      logger: createSilentLogger(),
      threads: 2,
      recordCall: (c) => calls.push(c),
    });
    // Four texts and two idle threads: two batches of two, so both threads start.
    await embedder.embed(['warm up', 'both threads', 'with a few', 'texts each']);
    expect(calls.map((c) => c.items)).toEqual([2, 2]);
    expect(embedder.stats().threads).toBe(2);
    const pending = embedder
      .embed(Array.from({ length: 20 }, (_, i) => `pending text ${i}`))
      .catch((error: unknown) => error);
    await embedder.close();
    expect(embedder.stats()).toEqual({ threads: 0, queuedTexts: 0 });
    expect(await pending).toMatchObject({ code: 'UNAVAILABLE' });
    await expect(embedder.embed(['after close'])).rejects.toBeInstanceOf(AppError);
    await embedder.close();
  });

  it('starts no thread until the first embed', async () => {
    const embedder = createLocalEmbedder({ logger: createSilentLogger(), threads: 2 });
    expect(embedder.stats().threads).toBe(0);
    await embedder.close();
  });
});

// A separate process shows what a test inside this one cannot: that loading needs no network
// (a fresh network namespace has only a downed loopback), and that after close() nothing keeps
// the process alive — it exits on its own.
const canIsolateNetwork = spawnSync('unshare', ['-rn', 'true']).status === 0;
const script = `
import { createLocalEmbedder } from ${JSON.stringify(fileURLToPath(new URL('./local-embedder.ts', import.meta.url)))};
import { createSilentLogger } from ${JSON.stringify(fileURLToPath(new URL('../domain/logger.ts', import.meta.url)))};
const embedder = createLocalEmbedder({ logger: createSilentLogger(), threads: 2, batchSize: 1 });
const vectors = await embedder.embed(['the cat sat on the mat', 'a kitten rested on the rug']);
await embedder.close();
process.stdout.write(JSON.stringify({ count: vectors.length, dimension: vectors[0].length }));
`;

describe('local embedder in a separate process', () => {
  if (!canIsolateNetwork) {
    console.warn(
      'SKIPPED network isolation: `unshare -rn` is not permitted here; the child runs with the network',
    );
  }
  it(`loads ${canIsolateNetwork ? 'with no network at all' : '(network isolation unavailable)'} and the process exits by itself after close()`, async () => {
    const command = canIsolateNetwork ? 'unshare' : process.execPath;
    const args = [
      ...(canIsolateNetwork ? ['-rn', process.execPath] : []),
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ];
    const child = spawn(command, args, {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // If close() left a thread or handle behind, the child never exits and the test times out.
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ count: 2, dimension: 512 });
  });
});

describe('truncateForModel', () => {
  it('keeps short texts and cuts long ones at a word boundary', () => {
    expect(truncateForModel('short text', 100)).toBe('short text');
    expect(truncateForModel('one two three four five six', 15)).toBe('one two three');
  });

  it('returns a prefix no longer than the limit that never ends in half a surrogate pair', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.integer({ min: 1, max: 200 }),
        (text, max) => {
          const cut = truncateForModel(text, max);
          expect(cut.length).toBeLessThanOrEqual(max);
          expect(text.startsWith(cut)).toBe(true);
          expect(/[\uD800-\uDBFF]$/.test(cut)).toBe(false);
          if (text.length <= max) expect(cut).toBe(text);
        },
      ),
    );
  });
});
