// The offline extractor's reading of sentence shapes, on handmade news-style sentences: names
// typed from their form and context, and the facts appositions, titles, locatives, datelines
// and killings state — each with its evidence sentence — and the shapes that must state nothing.
import { describe, expect, it } from 'vitest';
import { extractChunk } from '../../src/graph/local-extractor.js';
import { normalizePredicate, relationKind } from '../../src/graph/predicates.js';

const read = (text: string) => extractChunk({ id: 'c', ordinal: 0, text });
/** "subject | kind | object" for the facts that map to a CoNLL04 kind. */
const kinds = (text: string) =>
  read(text).relations.flatMap((r) => {
    const { key, inverse } = normalizePredicate(r.predicate);
    const [s, sType, o, oType] = inverse
      ? [r.object, r.objectType, r.subject, r.subjectType]
      : [r.subject, r.subjectType, r.object, r.objectType];
    const kind = relationKind(key, sType, oType);
    return kind === undefined ? [] : [`${s} | ${kind} | ${o}`];
  });
const typed = (text: string) => read(text).mentions.map((m) => `${m.type}:${m.surface}`);

describe('local extractor: names typed by form and context', () => {
  it('types organisations, places and people the tagger leaves untyped', () => {
    expect(typed('Analysts at Kestrel Holdings praised the Ministry of Fisheries.')).toEqual(
      expect.arrayContaining([
        'organization:Kestrel Holdings',
        'organization:Ministry of Fisheries',
      ]),
    );
    // A postal abbreviation keeps its period; a gazetteer city is a place.
    expect(typed('Maria Lopez, 42, of Springfield, Ill., was injured.')).toEqual(
      expect.arrayContaining(['person:Maria Lopez', 'place:Springfield', 'place:Ill.']),
    );
    expect(typed('He flew from Lubbock to the coast.')).toContain('place:Lubbock');
    // A title is dropped from the name and makes it a person's; "President" is part of one.
    expect(typed('Texas Gov. Ann Richards met President Lincoln.')).toEqual(
      expect.arrayContaining(['place:Texas', 'person:Ann Richards', 'person:President Lincoln']),
    );
  });

  it('reads pre-tokenised text like prose: punctuation tokens are no names', () => {
    expect(typed('The plant , in Aiken , S.C. , closed .')).toEqual(['place:Aiken', 'place:S.C.']);
  });
});

describe('local extractor: facts from sentence shapes', () => {
  it('reads employment from appositions, titles and roles', () => {
    expect(kinds('Walter Smith, a columnist for The Daily Herald, wrote the story.')).toEqual([
      'Walter Smith | Work_For | The Daily Herald',
    ]);
    expect(kinds('Acme Corp spokesman John Doe said the plant would close.')).toEqual([
      'John Doe | Work_For | Acme Corp',
    ]);
    expect(kinds('Wright, a University of Texas law professor, served on the panel.')).toEqual([
      'Wright | Work_For | University of Texas',
    ]);
    expect(kinds("Globex Corp.'s chairman Hank Scorpio resigned.")).toEqual([
      'Hank Scorpio | Work_For | Globex Corp.',
    ]);
    expect(kinds('The chairman of Globex Corporation, Hank Scorpio, resigned.')).toEqual([
      'Hank Scorpio | Work_For | Globex Corporation',
    ]);
  });

  it('reads homes and places along a chain of places in commas', () => {
    expect(kinds('Maria Lopez, 42, of Springfield, Ill., was injured.')).toEqual([
      'Maria Lopez | Live_In | Springfield',
      'Springfield | Located_In | Ill.',
      'Maria Lopez | Live_In | Ill.',
    ]);
    expect(kinds('Texas Gov. Ann Richards signed the bill.')).toEqual([
      'Ann Richards | Live_In | Texas',
    ]);
    // A possessive ends the owner's name, tokenised or not.
    for (const text of [
      "Japan's Sony Corp. said profits rose.",
      "Japan 's Sony Corp. said profits rose .",
    ])
      expect(kinds(text)).toEqual(['Sony Corp. | OrgBased_In | Japan']);
    expect(kinds('He spoke at the Hakawati Theatre in Jerusalem.')).toEqual([
      'Hakawati Theatre | OrgBased_In | Jerusalem',
    ]);
  });

  it('reads birthplaces from a place compounded with "born" and from a participle, and a home from "home in"', () => {
    // Only people are born: the name after "born" is a person even when the tagger cannot tell.
    expect(kinds('Kansas-born Maria Quist spoke first.')).toEqual([
      'Maria Quist | Live_In | Kansas',
    ]);
    expect(kinds('Illinois born Charlton Heston arrived.')).toEqual([
      'Charlton Heston | Live_In | Illinois',
    ]);
    for (const text of [
      'Maria Lopez, born in Madrid, joined the team.',
      'Maria Lopez grew up in Madrid.',
      'Maria Lopez died at her home in Madrid.',
    ])
      expect(kinds(text), text).toEqual(['Maria Lopez | Live_In | Madrid']);
    expect(
      read('Maria Lopez, born in Madrid, joined the team.').relations.map((r) =>
        normalizePredicate(r.predicate),
      ),
    ).toEqual([{ key: 'was born in', inverse: false }]);
  });

  it('reads an organisation "of" or "in" a place, an abbreviation\'s period included', () => {
    expect(kinds('Microsoft Corp. of Redmond, Wash., said sales rose.')).toEqual([
      'Microsoft Corp. | OrgBased_In | Redmond',
      'Redmond | Located_In | Wash.',
      'Microsoft Corp. | OrgBased_In | Wash.',
    ]);
    expect(
      kinds('said Fred Demler, an economist with Drexel Burnham Lambert Inc. in New York.'),
    ).toEqual(
      expect.arrayContaining([
        'Fred Demler | Work_For | Drexel Burnham Lambert Inc.',
        'Drexel Burnham Lambert Inc. | OrgBased_In | New York',
      ]),
    );
  });

  it('places a news agency at its dateline', () => {
    expect(kinds('DAYTON, Ohio (UPI) -- Snow fell.')).toEqual(
      expect.arrayContaining([
        'DAYTON | Located_In | Ohio',
        'UPI | OrgBased_In | Ohio',
        'UPI | OrgBased_In | DAYTON',
      ]),
    );
  });

  it('reads a killing through a relative clause, a passive and a killer noun', () => {
    expect(kinds('Brutus, who killed Julius Caesar, fled Rome.')).toContain(
      'Brutus | Kill | Julius Caesar',
    );
    expect(kinds('Julius Caesar was murdered by Marcus Brutus in the Senate.')).toEqual([
      'Marcus Brutus | Kill | Julius Caesar',
    ]);
    expect(kinds('Reporters met Kennedy assassin Jack Harlow.')).toEqual([
      'Jack Harlow | Kill | Kennedy',
    ]);
  });

  it('gives the subject of a verb after an apposition its verb', () => {
    // A birthplace keeps its state (local-structure.test.ts).
    expect(kinds('Herbert Walker, the first mayor of the city, was born in Dayton, Ohio.')).toEqual(
      ['Herbert Walker | Live_In | Dayton, Ohio'],
    );
    expect(kinds('Herbert Walker, the first mayor of the city, was born in Dayton.')).toEqual([
      'Herbert Walker | Live_In | Dayton',
    ]);
  });

  it('keeps its evidence sentence on every fact', () => {
    const text = 'Snow fell all day. Walter Smith, a columnist for The Daily Herald, stayed home.';
    const [relation] = read(text).relations;
    expect(relation).toMatchObject({
      subject: 'Walter Smith',
      object: 'The Daily Herald',
      sentence: 'Walter Smith, a columnist for The Daily Herald, stayed home.',
    });
  });

  it('states nothing for a list of places, a verb of saying, or a date', () => {
    expect(read('Tourists visited Paris, London and Rome.').relations).toEqual([]);
    expect(kinds('Cetin said that Turkey welcomed the step.')).toEqual([]);
    expect(read('Alice Smith signed the lease on Monday.').relations).toEqual([]);
  });
});
