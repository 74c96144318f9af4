// The offline extractor on small real paragraphs: who and what is named, and which relations the
// sentences state, with the chunk and sentence each came from.
import { describe, expect, it } from 'vitest';
import { createLocalExtractor } from '../../src/graph/create-local-extractor.js';
import type { Extraction } from '../../src/ports/extractor.js';

const NEO4J =
  'Neo4j is a graph database management system developed by Neo4j, Inc. The company was founded in 2007 by Emil Eifrem. ' +
  'In 2011, Neo4j Inc. moved its headquarters to San Mateo, California. Neo4j raised $325 million in June 2021.';
const MICROSOFT =
  'Satya Nadella became the CEO of Microsoft in February 2014, succeeding Steve Ballmer. Microsoft acquired LinkedIn for ' +
  '$26.2 billion in 2016. The company is headquartered in Redmond, Washington. Bill Gates and Paul Allen founded Microsoft in 1975.';
const CURIE =
  'Marie Curie was born in Warsaw. She moved to Paris in 1891 and studied at the University of Paris. ' +
  'In 1903, Marie Curie won the Nobel Prize in Physics with Pierre Curie and Henri Becquerel.';
const NEGATION = 'Alice Smith works at Acme Corp. She does not work at Initech.';

const day = (ms: number | undefined) =>
  ms === undefined ? undefined : new Date(ms).toISOString().slice(0, 10);
const triples = (extraction: Extraction) =>
  extraction.relations.map((r) =>
    [r.subject, r.predicate, r.object, day(r.validAt)].filter((x) => x !== undefined).join(' | '),
  );
const named = (extraction: Extraction, type: string) => [
  ...new Set(extraction.mentions.filter((m) => m.type === type).map((m) => m.surface)),
];

describe('local extractor (compromise)', () => {
  const extractor = createLocalExtractor();

  it('finds people, organisations, places, dates and values, and the relations sentences state', async () => {
    const result = await extractor.extract([
      { id: 'ms', ordinal: 0, text: MICROSOFT },
      { id: 'curie', ordinal: 1, text: CURIE },
    ]);
    expect(named(result, 'person')).toEqual(
      expect.arrayContaining([
        'Satya Nadella',
        'Steve Ballmer',
        'Bill Gates',
        'Paul Allen',
        'Marie Curie',
        'Pierre Curie',
        'Henri Becquerel',
      ]),
    );
    expect(named(result, 'organization')).toEqual(
      expect.arrayContaining(['Microsoft', 'University of Paris']),
    );
    expect(named(result, 'place')).toEqual(
      expect.arrayContaining(['Redmond', 'Washington', 'Warsaw', 'Paris']),
    );
    expect(named(result, 'date')).toEqual(
      expect.arrayContaining(['February 2014', '2016', '1975', '1891', '1903']),
    );
    expect(named(result, 'value')).toEqual(['$26.2 billion']);
    expect(triples(result)).toEqual([
      'Satya Nadella | become ceo of | Microsoft | 2014-02-01',
      'Microsoft | acquire | LinkedIn | 2016-01-01',
      // "The company" refers to the last organisation named.
      'Microsoft | be headquartered in | Redmond',
      // "Redmond, Washington": a place in commas after a place lies in it.
      'Redmond | is located in | Washington',
      'Bill Gates | found | Microsoft | 1975-01-01',
      'Paul Allen | found | Microsoft | 1975-01-01',
      'Marie Curie | be born in | Warsaw',
      'Marie Curie | move to | Paris | 1891-01-01',
      'Marie Curie | win | Nobel Prize | 1903-01-01',
    ]);
    const acquisition = result.relations.find((r) => r.object === 'LinkedIn')!;
    expect(acquisition).toMatchObject({
      chunkId: 'ms',
      sentence: 'Microsoft acquired LinkedIn for $26.2 billion in 2016.',
    });
  });

  it('keeps a legal form with its name, splits after an abbreviation, and ignores denied relations', async () => {
    const result = await extractor.extract([
      { id: 'neo', ordinal: 0, text: NEO4J },
      { id: 'neg', ordinal: 1, text: NEGATION },
    ]);
    expect(named(result, 'organization')).toEqual(
      expect.arrayContaining(['Neo4j, Inc', 'Neo4j Inc.', 'Acme Corp']),
    );
    expect(triples(result)).toEqual(
      expect.arrayContaining([
        'Neo4j Inc. | move headquarters to | San Mateo | 2011-01-01',
        'Alice Smith | work at | Acme Corp',
      ]),
    );
    expect(triples(result).some((t) => t.includes('Initech'))).toBe(false);
    expect(result.mentions.some((m) => ['The', 'She', 'The company'].includes(m.surface))).toBe(
      false,
    );
  });

  it("takes a sentence's capitalised first word for a name when a later sentence names it", async () => {
    // The first sentence's spans are found again once the chunk's names are known; a reading that
    // kept the first pass's spans would lose these.
    const { mentions } = await extractor.extract([
      {
        id: 'r',
        ordinal: 0,
        text: 'Reactor shipped a new release. Engineers at Reactor praised it.',
      },
      {
        id: 'm',
        ordinal: 1,
        text: 'Mercury joined Globex in 2019. Bob Smith met Mercury in Paris.',
      },
    ]);
    const surfaces = (chunkId: string, surface: string) =>
      mentions.filter((m) => m.chunkId === chunkId && m.surface === surface);
    expect(surfaces('r', 'Reactor')).toHaveLength(2);
    expect(surfaces('m', 'Mercury')).toHaveLength(2);
  });

  it('gives the same answer twice', async () => {
    const chunks = [{ id: 'a', ordinal: 0, text: `${NEO4J} ${MICROSOFT}` }];
    expect(await extractor.extract(chunks)).toEqual(await extractor.extract(chunks));
  });
});
