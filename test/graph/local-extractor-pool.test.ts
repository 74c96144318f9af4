// The local extractor in worker threads reads exactly what it reads on the calling thread, in
// chunk order, with calls interleaved, and a chunk it cannot read is left out and said so.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLocalExtractor, readChunk } from '../../src/graph/local-extractor.js';
import type { ChunkText } from '../../src/ports/extractor.js';

const conll = JSON.parse(
  readFileSync(new URL('../../../shared/data/graph/conll04_dev.json', import.meta.url), 'utf8'),
) as Array<{ tokens: string[] }>;

/** 60 chunks of ten CoNLL04 sentences each: names, places, dates, relations. */
const chunks: ChunkText[] = Array.from({ length: 60 }, (_, i) => ({
  id: `c${i}`,
  ordinal: i,
  text: conll
    .slice(i * 10, i * 10 + 10)
    .map((sentence) => sentence.tokens.join(' '))
    .join(' '),
}));

describe('local extractor in worker threads', () => {
  it('reads the same mentions and relations as on the calling thread, in chunk order', async () => {
    const inline = createLocalExtractor();
    const pooled = createLocalExtractor({ threads: 2 });
    try {
      const expected = await inline.extract(chunks);
      expect(expected.relations.length).toBeGreaterThan(20);
      // Two documents at once, split across both threads in batches.
      const [first, second] = await Promise.all([
        pooled.extract(chunks.slice(0, 35)),
        pooled.extract(chunks.slice(35)),
      ]);
      expect({
        mentions: [...first.mentions, ...second.mentions],
        relations: [...first.relations, ...second.relations],
      }).toEqual(expected);
    } finally {
      await pooled.close();
    }
  });

  it('leaves out a chunk it cannot read, names it, and reads the others', async () => {
    // Not text: what a bug upstream could hand over; the tagger throws on it.
    const broken = { id: 'broken', ordinal: 1, text: 42 } as unknown as ChunkText;
    expect(readChunk(broken).failures).toEqual([
      { chunkId: 'broken', reason: 'extractor_error', message: expect.any(String) as string },
    ]);
    const pooled = createLocalExtractor({ threads: 1 });
    try {
      const result = await pooled.extract([chunks[0]!, broken, chunks[1]!]);
      expect(result.failures?.map((failure) => failure.chunkId)).toEqual(['broken']);
      expect(new Set(result.mentions.map((mention) => mention.chunkId))).toEqual(
        new Set(['c0', 'c1']),
      );
    } finally {
      await pooled.close();
    }
  });
});
