// The content-hash cache: identical texts are embedded once, even when asked for concurrently.
import { describe, expect, it } from 'vitest';
import type { EmbedOptions, Embedder } from '../ports/embedder.js';
import { createCachedEmbedder } from './cached-embedder.js';
import { l2Normalise } from './l2-normalise.js';

/** A deterministic embedder that counts the texts it computes; its answers come back a tick later, like a real one. */
function countingEmbedder(id = 'test:counting') {
  const computed: string[] = [];
  let calls = 0;
  let failNext = false;
  const embedder: Embedder & { computed: string[]; calls(): number; failOnce(): void } = {
    id,
    dimension: 3,
    computed,
    calls: () => calls,
    failOnce: () => {
      failNext = true;
    },
    async embed(texts: string[], _options?: EmbedOptions) {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (failNext) {
        failNext = false;
        throw new Error('model exploded');
      }
      computed.push(...texts);
      return texts.map((text) => l2Normalise([text.length + 1, id.length, 1]));
    },
    async close() {},
  };
  return embedder;
}

describe('cached embedder', () => {
  it('computes once for 50 concurrent identical calls', async () => {
    const inner = countingEmbedder();
    const cached = createCachedEmbedder(inner, { maxEntries: 100 });
    const results = await Promise.all(
      Array.from({ length: 50 }, () => cached.embed(['the same text'])),
    );
    expect(inner.calls()).toBe(1);
    expect(inner.computed).toEqual(['the same text']);
    for (const [vector] of results)
      expect(Array.from(vector!)).toEqual(Array.from(results[0]![0]!));
    expect(cached.stats()).toMatchObject({ entries: 1, misses: 1, shared: 49 });
  });

  it('embeds only the texts it has not seen, and each duplicate in a call once', async () => {
    const inner = countingEmbedder();
    const cached = createCachedEmbedder(inner, { maxEntries: 100 });
    await cached.embed(['a', 'b']);
    const vectors = await cached.embed(['b', 'c', 'c', 'a', 'd']);
    expect(inner.computed).toEqual(['a', 'b', 'c', 'd']);
    expect(vectors.map((v) => Math.round(v[0]! * 1000))).toEqual(
      ['b', 'c', 'c', 'a', 'd'].map((t) =>
        Math.round(l2Normalise([t.length + 1, 'test:counting'.length, 1])[0]! * 1000),
      ),
    );
    expect(vectors).toHaveLength(5);
  });

  it('keys on the embedder id, so two embedders never share vectors', async () => {
    const first = countingEmbedder('test:one');
    const second = countingEmbedder('test:two-longer');
    const a = await createCachedEmbedder(first, { maxEntries: 10 }).embed(['hello']);
    const b = await createCachedEmbedder(second, { maxEntries: 10 }).embed(['hello']);
    expect(second.computed).toEqual(['hello']);
    expect(Array.from(a[0]!)).not.toEqual(Array.from(b[0]!));
  });

  it('hands out copies: a caller writing into its vector does not change the cache', async () => {
    const cached = createCachedEmbedder(countingEmbedder(), { maxEntries: 10 });
    const [first] = await cached.embed(['text']);
    const original = Array.from(first!);
    first!.fill(0);
    const [again] = await cached.embed(['text']);
    expect(Array.from(again!)).toEqual(original);
  });

  it('does not cache a failure: the next call computes again', async () => {
    const inner = countingEmbedder();
    const cached = createCachedEmbedder(inner, { maxEntries: 10 });
    inner.failOnce();
    const failures = await Promise.allSettled([cached.embed(['x']), cached.embed(['x'])]);
    expect(failures.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    await expect(cached.embed(['x'])).resolves.toHaveLength(1);
    expect(inner.calls()).toBe(2);
  });

  it('evicts the least recently used entries beyond maxEntries', async () => {
    const inner = countingEmbedder();
    const cached = createCachedEmbedder(inner, { maxEntries: 2 });
    await cached.embed(['a']);
    await cached.embed(['b']);
    await cached.embed(['a']);
    await cached.embed(['c']);
    await cached.embed(['a']);
    await cached.embed(['b']);
    expect(inner.computed).toEqual(['a', 'b', 'c', 'b']);
    expect(cached.stats().entries).toBe(2);
  });

  it('one caller aborting does not fail another waiting for the same text', async () => {
    const inner = countingEmbedder();
    const cached = createCachedEmbedder(inner, { maxEntries: 10 });
    const controller = new AbortController();
    const aborted = cached.embed(['shared'], { signal: controller.signal });
    const patient = cached.embed(['shared']);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    await expect(patient).resolves.toHaveLength(1);
    expect(inner.calls()).toBe(1);
  });

  it('a caller whose signal is already aborted is refused, and leaves no unhandled rejection', async () => {
    // An embedder that honours its signal, as the OpenAI one does.
    const inner: Embedder = {
      id: 'test:abortable',
      dimension: 3,
      async embed(texts, options) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        options?.signal?.throwIfAborted();
        return texts.map(() => l2Normalise([1, 1, 1]));
      },
      async close() {},
    };
    const cached = createCachedEmbedder(inner, { maxEntries: 10 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const controller = new AbortController();
      controller.abort();
      await expect(cached.embed(['gone'], { signal: controller.signal })).rejects.toMatchObject({
        name: 'AbortError',
      });
      // The cancelled computation settles a few milliseconds later.
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    await expect(cached.embed(['gone'])).resolves.toHaveLength(1);
  });
});
