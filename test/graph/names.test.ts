// Name normalisation, fuzzy similarity, predicate normalisation and date reading: the small
// functions entity resolution and fact validity rest on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDate } from '../../src/graph/dates.js';
import { jaroWinkler, nameSimilarity, normalizeName } from '../../src/graph/names.js';
import { isSingleValued, normalizePredicate, relationKind } from '../../src/graph/predicates.js';

describe('entity names', () => {
  it('normalises case, punctuation, whitespace, a leading "the" and corporate suffixes', () => {
    for (const variant of [
      'Neo4j',
      'neo4j',
      'Neo4j Inc.',
      'NEO4J, Inc',
      '  Neo4j   Incorporated ',
      'The Neo4j Company',
    ]) {
      expect(normalizeName(variant, 'organization')).toBe('neo4j');
    }
    expect(normalizeName('Société Générale S.A.', 'organization')).toBe('societe generale s a');
    expect(normalizeName('AT&T Corp.', 'organization')).toBe('at and t');
    // People keep what looks like a suffix: "Co" can be a surname.
    expect(normalizeName('Jenny Co', 'person')).toBe('jenny co');
    // A name that is only a suffix is not erased.
    expect(normalizeName('Limited', 'organization')).toBe('limited');
  });

  it('normalising twice changes nothing', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.constantFrom('organization', 'person', 'place', 'topic' as const),
        (name, type) => {
          const once = normalizeName(name, type);
          expect(normalizeName(once, type)).toBe(once);
        },
      ),
    );
  });

  it('fuzzy similarity is symmetric, within [0, 1], and 1 only for equal keys', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (a, b) => {
        const ab = nameSimilarity(a, b);
        expect(ab).toBeCloseTo(nameSimilarity(b, a), 12);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(1);
        if (a !== b && ab === 1) expect(a.replace(/ /g, '')).toBe(b.replace(/ /g, ''));
      }),
    );
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
  });

  it('merges misspellings but not different people, versions or short names', () => {
    expect(nameSimilarity('microsoft', 'microsft')).toBeGreaterThan(0.88);
    expect(nameSimilarity('microsoft corporation', 'microsft corporation')).toBeGreaterThan(0.88);
    expect(nameSimilarity('open ai', 'openai')).toBe(1);
    expect(nameSimilarity('henry young', 'henry cole')).toBeLessThan(0.88);
    // Close, but the resolver asks 0.95 of people's names.
    expect(nameSimilarity('alice smith', 'alice smyth')).toBeLessThan(0.95);
    expect(nameSimilarity('neo4j 4', 'neo4j 5')).toBe(0);
    expect(nameSimilarity('ibm', 'ibn')).toBe(0);
    expect(nameSimilarity('acme', 'acme robotics')).toBe(0);
  });
});

describe('predicates', () => {
  it('maps phrasings to one canonical predicate, with inverses swapping subject and object', () => {
    expect(normalizePredicate('join')).toEqual({ key: 'works at', inverse: false });
    expect(normalizePredicate('work for')).toEqual({ key: 'works at', inverse: false });
    expect(normalizePredicate('hire')).toEqual({ key: 'works at', inverse: true });
    expect(normalizePredicate('be headquartered in')).toEqual({
      key: 'is headquartered in',
      inverse: false,
    });
    expect(normalizePredicate('Be  CEO of')).toEqual({ key: 'is ceo of', inverse: false });
    expect(normalizePredicate('collaborate with')).toEqual({
      key: 'collaborate with',
      inverse: false,
    });
  });

  it('reads "based in" as true of a person and of a company, never as a company living somewhere', () => {
    expect(normalizePredicate('be based in')).toEqual({ key: 'is based in', inverse: false });
    expect(relationKind('is based in', 'organization', 'place')).toBe('OrgBased_In');
    expect(relationKind('is based in', 'person', 'place')).toBe('Live_In');
    expect(isSingleValued('is based in')).toBe(true);
  });

  it('treats only listed predicates as single-valued', () => {
    expect(isSingleValued('works at')).toBe(true);
    expect(isSingleValued('lives in')).toBe(true);
    expect(isSingleValued('founded')).toBe(false);
    expect(isSingleValued('know')).toBe(false);
  });
});

describe('dates in text', () => {
  it('reads the forms sentences use', () => {
    expect(parseDate('on June 4, 2018')).toBe(Date.UTC(2018, 5, 4));
    expect(parseDate('4th June 2018')).toBe(Date.UTC(2018, 5, 4));
    expect(parseDate('March 2020')).toBe(Date.UTC(2020, 2, 1));
    expect(parseDate('in 2021,')).toBe(Date.UTC(2021, 0, 1));
    expect(parseDate('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseDate('Sept. 9, 1999')).toBe(Date.UTC(1999, 8, 9));
    expect(parseDate('$7.5 billion')).toBeUndefined();
    expect(parseDate('next week')).toBeUndefined();
  });
});
