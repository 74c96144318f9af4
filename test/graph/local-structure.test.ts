// The offline extractor's second round of sentence shapes, on handmade sentences (none from the
// CoNLL04 files): where a name stops ("X of Y"), a title word inside a name, a wire service's
// source line, births with their state, passive shootings, places inside places — each with the
// shape next to it that must not fire.
import { describe, expect, it } from 'vitest';
import { extractChunk } from '../../src/graph/local-extractor.js';
import { normalizePredicate, relationKind } from '../../src/graph/predicates.js';

const read = (text: string) => extractChunk({ id: 'c', ordinal: 0, text });
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

describe('where a name stops', () => {
  it('splits a person from the place after "of"', () => {
    expect(
      typed('The loudest objection came from Margaret Olsen of Dubuque, a retired nurse.'),
    ).toEqual(expect.arrayContaining(['person:Margaret Olsen', 'place:Dubuque']));
    expect(
      kinds('The loudest objection came from Margaret Olsen of Dubuque, a retired nurse.'),
    ).toContain('Margaret Olsen | Live_In | Dubuque');
  });

  it('keeps "of" inside names that are built with it', () => {
    for (const name of ['University of Denver', 'Bank of Canada', 'Gulf of Aden'])
      expect(
        typed(`Officials at the ${name} were surprised.`).map((t) => t.split(':')[1]),
      ).toContain(name);
    expect(
      typed('The Palace of Fine Arts reopened in Brussels.').map((t) => t.split(':')[1]),
    ).toContain('Palace of Fine Arts');
  });

  it('keeps a title word before a generation as a surname', () => {
    expect(typed('Robert Prince III, the heir, spoke first.')).toContain(
      'person:Robert Prince III',
    );
    // A title word with a name after it still starts another name.
    expect(typed('Ohio Gov. Mark Reed spoke first.')).toEqual(
      expect.arrayContaining(['place:Ohio', 'person:Mark Reed']),
    );
  });
});

describe("a wire service's source line", () => {
  it('splits the place from the broadcaster after a reference code', () => {
    const line =
      'Unrest Reported QB1203450994 Madrid Onda Cero Radio in Spanish 1200 GMT 12 Mar 94';
    expect(typed(line)).toEqual(
      expect.arrayContaining(['place:Madrid', 'organization:Onda Cero Radio']),
    );
    expect(typed(line)).not.toContain('place:Spanish');
    expect(kinds(line)).toContain('Onda Cero Radio | OrgBased_In | Madrid');
    expect(typed('XY0102030405 Kuwait City KUNA in Arabic 0900 GMT')).toEqual(
      expect.arrayContaining(['place:Kuwait City', 'organization:KUNA']),
    );
  });

  it('leaves a city-named organisation whole without a reference code', () => {
    const names = typed('The Madrid Stock Exchange fell on Monday.').map((t) => t.split(':')[1]);
    expect(names).toContain('Madrid Stock Exchange');
    expect(names).not.toContain('Madrid');
  });
});

describe('births with their state', () => {
  it('keeps a birthplace with its state as one place', () => {
    expect(kinds('In 1901, the painter Ada Crane was born in Dover, Del.')).toEqual([
      'Ada Crane | Live_In | Dover, Del.',
    ]);
    expect(kinds('Novelist Paul Varga was born in Dayton, Ohio, in 1950.')).toContain(
      'Paul Varga | Live_In | Dayton, Ohio',
    );
  });

  it('keeps a town and its state apart when nobody was born there', () => {
    expect(kinds('Ada Crane, 40, of Dover, Del., was hurt.')).toEqual([
      'Ada Crane | Live_In | Dover',
      'Dover | Located_In | Del.',
      'Ada Crane | Live_In | Del.',
    ]);
    // A country after the comma is not a state: two places.
    expect(typed('Lucia Bianchi was born in Milan, Italy.')).toEqual(
      expect.arrayContaining(['place:Milan', 'place:Italy']),
    );
  });

  it('makes a place-like name that is born a person', () => {
    expect(typed('In 1920, novelist Georgia Hale was born in Macon, Ga.')).toContain(
      'person:Georgia Hale',
    );
  });
});

describe('killings and places inside places', () => {
  it('reads a passive shooting with its gunman as a killing', () => {
    expect(kinds('Senator Tom Hardy was shot by Carl Mott outside the hall.')).toContain(
      'Carl Mott | Kill | Tom Hardy',
    );
    expect(kinds('Ray Dunn, who had been shot by Lou Pike, died later.')).toContain(
      'Lou Pike | Kill | Ray Dunn',
    );
    // Shooting a film, or a shot with nobody behind it, kills nobody.
    expect(kinds('Anna Berg shot a film with Karl Hess in Vienna.').join()).not.toMatch(/Kill/);
    expect(kinds('Tom Hardy took a shot at Carl Mott in the debate.').join()).not.toMatch(/Kill/);
  });

  it('places one place in another by a possessive, a capital or a part', () => {
    expect(kinds("Tourists crowded Moscow's Red Square.")).toContain(
      'Red Square | Located_In | Moscow',
    );
    expect(kinds("Peru's capital, Lima, was quiet.")).toContain('Lima | Located_In | Peru');
    expect(kinds('Floods hit Tabora in the western part of Tanzania.')).toContain(
      'Tabora | Located_In | Tanzania',
    );
    // A possessive before a thing, not a place, places nothing.
    expect(kinds("Moscow's mayor spoke.").join()).not.toMatch(/Located_In/);
  });

  it('types a name by a role noun before it or an age after it', () => {
    expect(typed('The composer Florence Price wrote it.')).toContain('person:Florence Price');
    expect(typed('Chester Hill, 61, retired.')).toContain('person:Chester Hill');
    // A known place keeps its type after a role word.
    expect(typed('The mayor of Toledo spoke.')).toContain('place:Toledo');
  });
});
