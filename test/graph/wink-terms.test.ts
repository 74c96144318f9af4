// wink-nlp's tags read into the terms the extractor reads (src/graph/wink-terms.ts): every term
// points at its own text, whatever the input, and the readings that differ from wink's tokens
// (periods of abbreviations, possessives, currency signs, names split at an apostrophe) come out
// as compromise would give them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { winkSentences } from '../../src/graph/wink-terms.js';
import type { TermJson } from '../../src/graph/tagged-terms.js';

const termsOf = (text: string): TermJson[] => winkSentences(text).flatMap((s) => s.terms);
const term = (text: string, word: string): TermJson => {
  const found = termsOf(text).find((t) => t.text === word);
  if (found === undefined) throw new Error(`no term "${word}" in ${JSON.stringify(text)}`);
  return found;
};

const PIECES = [
  'Mr.',
  'Dr.',
  'U.S.',
  'Corp.',
  "'s",
  "O'Brien",
  'Bin-Nun',
  '$26.2',
  '€5',
  '3%',
  'I’m',
  "don't",
  'January',
  '2014,',
  'Zürich',
  'Ελλάδα',
  '東京',
  '🙂',
  '**Bold**',
  '1.',
  '-',
  '(AP)',
  '"quoted"',
  'a_1',
  'C++',
  '\n\n',
  '\t',
  '  ',
  'Satya',
  'Nadella',
  'said',
  'the',
  'CEO',
  'of',
  'Microsoft.',
  // Characters wink leaves out of both its tokens and their spaces.
  '\f',
  '\u000b',
  '\u1680',
  '\u2000',
  '\u2028',
  '\u2029',
  '\u3000',
  '\ufeff',
  'QUJD'.repeat(40),
];

describe('terms from wink-nlp', () => {
  it('points every term at its own text, whatever the text', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'binary', maxLength: 12 })),
          { maxLength: 40 },
        ),
        fc.array(fc.constantFrom(' ', '', '\n', '\f', '\u3000'), {
          minLength: 40,
          maxLength: 40,
        }),
        (pieces, gaps) => {
          const text = pieces.map((piece, i) => `${piece}${gaps[i]}`).join('');
          for (const sentence of winkSentences(text)) {
            for (const t of sentence.terms) {
              expect(text.slice(t.offset.start, t.offset.start + t.offset.length)).toBe(t.text);
            }
            expect(text).toContain(sentence.text);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('joins the parts of a name only when nothing stands between them', () => {
    // wink drops a form feed from both the token and its spaces: "U.S.\f-\fMr." is not one word.
    const text = 'U.S.\f-\fMr. Smith';
    for (const t of termsOf(text))
      expect(text.slice(t.offset.start, t.offset.start + t.offset.length)).toBe(t.text);
  });

  it('finds names after characters wink leaves out, and reads past a run too long to be a word', () => {
    const text = `Page one.\f\u3000Alice Smith joined Globex. ${'QUJD'.repeat(500)} Bob Jones left.`;
    const terms = termsOf(text);
    for (const word of ['Alice', 'Smith', 'Globex', 'Bob', 'Jones']) {
      const t = terms.find((x) => x.text === word)!;
      expect(text.slice(t.offset.start, t.offset.start + t.offset.length)).toBe(word);
    }
    expect(terms.some((t) => t.text.startsWith('QUJD'))).toBe(false);
  });

  it('keeps the period of an abbreviation or initial after the word, as compromise does', () => {
    const mr = term('We met Mr. Smith and Walter R. Mears.', 'Mr');
    expect(mr.post).toBe('. ');
    expect(mr.tags).toEqual(expect.arrayContaining(['Honorific']));
    expect(term('We met Mr. Smith and Walter R. Mears.', 'R').post).toBe('. ');
  });

  it('makes a possessive punctuation after its owner, keeping an abbreviation whole', () => {
    expect(term("Japan's Sony grew.", 'Japan').post).toBe("'s ");
    expect(term("Globex Corp.'s chairman resigned.", 'Corp.').post).toBe("'s ");
  });

  it('writes a currency sign with its number, and types money and dates', () => {
    const money = term('Microsoft paid $26.2 billion in February 2014.', '$26.2');
    expect(money.tags).toEqual(expect.arrayContaining(['Money', 'Value']));
    const month = term('Microsoft paid $26.2 billion in February 2014.', 'February');
    expect(month.tags).toEqual(expect.arrayContaining(['Date', 'Month']));
    expect(month.tags).not.toContain('ProperNoun');
  });

  it("keeps a name split at an apostrophe or hyphen one word (Kevin O'Brien, Avihu Bin-Nun)", () => {
    expect(termsOf("Kevin O'Brien met Avihu Bin-Nun.").map((t) => t.text)).toEqual([
      'Kevin',
      "O'Brien",
      'met',
      'Avihu',
      'Bin-Nun',
      '.',
    ]);
  });

  it('reads capitals inside a sentence as names, and a first word or a role by the lexicon', () => {
    expect(term('Payments are late.', 'Payments').tags).not.toContain('ProperNoun');
    expect(term('Steve Ballmer left.', 'Steve').tags).toEqual(
      expect.arrayContaining(['Person', 'FirstName']),
    );
    expect(term('He spoke to The Associated Press.', 'Associated').tags).toEqual(
      expect.arrayContaining(['ProperNoun', 'Organization']),
    );
    expect(term('Satya Nadella became the CEO of Microsoft.', 'CEO').tags).not.toContain(
      'ProperNoun',
    );
    expect(term("I'm sure.", "I'm").tags).toContain('Pronoun');
  });

  it('types a run by the word that ends it or the title that opens it', () => {
    const forest = termsOf('They camped in the Ocala National Forest.');
    for (const word of ['Ocala', 'National', 'Forest'])
      expect(forest.find((t) => t.text === word)!.tags).toContain('Place');
    const lincoln = term('He met President Lincoln.', 'Lincoln');
    expect(lincoln.tags).toContain('Person');
    const struve = termsOf('Guy M. Struve spoke.');
    for (const word of ['Guy', 'M', 'Struve'])
      expect(struve.find((t) => t.text === word)!.tags).toContain('Person');
  });
});
