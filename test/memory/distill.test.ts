// The offline distiller: informative sentences kept in order with speakers, relative dates
// anchored, dropped names and numbers listed.
import { describe, expect, it } from 'vitest';
import {
  createExtractiveDistiller,
  splitSentences,
} from '../../src/memory/distill/extractive-distiller.js';
import { anchorRelativeDates } from '../../src/memory/distill/relative-dates.js';

const MAY_8_2023 = Date.UTC(2023, 4, 8, 13, 56);

describe('anchorRelativeDates', () => {
  it.each([
    ['I went there yesterday.', 'I went there yesterday (7 May 2023).'],
    ['We met last week', 'We met last week (week of 1 May 2023)'],
    ['She moved last year', 'She moved last year (2022)'],
    ['It happened two months ago', 'It happened two months ago (March 2023)'],
    ['3 days ago it rained', '3 days ago (5 May 2023) it rained'],
    ['I start next month', 'I start next month (June 2023)'],
    ['Nothing relative here', 'Nothing relative here'],
  ])('%s', (input, expected) => {
    expect(anchorRelativeDates(input, MAY_8_2023)).toBe(expected);
  });
});

describe('extractive distiller', () => {
  it('splits sentences without breaking abbreviations at lower case', () => {
    expect(splitSentences('I love it! What about you? e.g. this one.')).toEqual([
      'I love it!',
      'What about you? e.g. this one.',
    ]);
  });

  it('keeps the informative sentences, in order, with speakers and the date', async () => {
    const distiller = createExtractiveDistiller();
    const [episode] = await distiller.distill([
      {
        speaker: 'Caroline',
        text: 'Hey! Wow. I went to the LGBTQ support group yesterday in Boston.',
        occurredAt: MAY_8_2023,
      },
      { speaker: 'Melanie', text: 'Cool! Thanks.', occurredAt: MAY_8_2023 },
      {
        speaker: 'Caroline',
        text: 'The support group helped me choose counseling as a career.',
        occurredAt: MAY_8_2023,
      },
      {
        speaker: 'Melanie',
        text: 'I ran a charity race for 5 miles with Jolene.',
        occurredAt: MAY_8_2023,
      },
    ]);
    expect(episode).toMatch(/^\[8 May 2023\] Caroline: /);
    expect(episode).toContain('support group yesterday (7 May 2023) in Boston');
    expect(episode).toContain('counseling');
    expect(episode).not.toContain('Cool! Thanks.');
    // Names and numbers survive even when their sentence is dropped.
    expect(episode).toMatch(/Jolene/);
    expect(episode).toMatch(/5/);
    expect(episode!.indexOf('support group yesterday')).toBeLessThan(
      episode!.indexOf('counseling'),
    );
  });

  it('returns nothing for no turns and one episode for one turn', async () => {
    const distiller = createExtractiveDistiller();
    expect(await distiller.distill([])).toEqual([]);
    expect(await distiller.distill([{ speaker: 'a', text: 'ok', occurredAt: MAY_8_2023 }])).toEqual(
      ['[8 May 2023] a: ok'],
    );
  });
});
