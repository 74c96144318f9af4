// The local extractor in worker threads reads exactly what it reads on the calling thread, in
// chunk order, with calls interleaved, and a chunk it cannot read is left out and said so.
import { describe, expect, it } from 'vitest';
import { createLocalExtractor, readChunk } from '../../src/graph/create-local-extractor.js';
import type { ChunkText } from '../../src/ports/extractor.js';

const PARAGRAPHS = [
  'Neo4j is a graph database management system developed by Neo4j, Inc. The company was founded in 2007 by Emil Eifrem. In 2011, Neo4j Inc. moved its headquarters to San Mateo, California.',
  'Satya Nadella became the CEO of Microsoft in February 2014, succeeding Steve Ballmer. Microsoft acquired LinkedIn for $26.2 billion in 2016. The company is headquartered in Redmond, Washington.',
  'Marie Curie was born in Warsaw. She moved to Paris in 1891 and studied at the University of Paris. In 1903, Marie Curie won the Nobel Prize in Physics with Pierre Curie.',
  'Alice Smith works at Acme Corp. She does not work at Initech. Bob Jones, a spokesman for the company, said the office in Lisbon opens on June 4, 2018.',
];
const PEOPLE = ['Walter Mears', 'Ana Lopes', "Kevin O'Brien", 'Grace Hopper', 'Linus Torvalds'];
const PLACES = ['Berlin', 'Austin, Texas', 'Kyoto', 'Porto', 'Nairobi, Kenya'];
const ORGANISATIONS = ['Globex', 'Umbrella Corp.', 'the Red Cross', 'Stark Industries'];

/** 60 chunks: people, organisations, places, dates, values and the relations between them. */
const chunks: ChunkText[] = Array.from({ length: 60 }, (_, i) => ({
  id: `c${i}`,
  ordinal: i,
  text:
    `${PARAGRAPHS[i % PARAGRAPHS.length]!} In ${1990 + i}, ${PEOPLE[i % PEOPLE.length]!} joined ` +
    `${ORGANISATIONS[i % ORGANISATIONS.length]!} in ${PLACES[i % PLACES.length]!}, where ` +
    `${PEOPLE[(i + 2) % PEOPLE.length]!} has lived since ${i + 1} March ${2000 + i}.`,
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
