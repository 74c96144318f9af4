import { describe, expect, it } from 'vitest';
import { sentenceHolding } from './mention-sentence.js';

describe('sentenceHolding', () => {
  const text = 'Alice Smith works at Acme Corp. She leads the rocket team! Bob Jones books trips.';

  it('finds the sentence that holds the surface, whatever its case', () => {
    expect(sentenceHolding(text, 'acme corp')).toBe('Alice Smith works at Acme Corp.');
    expect(sentenceHolding(text, 'Bob Jones')).toBe('Bob Jones books trips.');
    expect(sentenceHolding(text, 'rocket')).toBe('She leads the rocket team!');
  });

  it('answers null for a surface no sentence holds, or an empty one', () => {
    expect(sentenceHolding(text, 'Globex')).toBeNull();
    expect(sentenceHolding(text, '')).toBeNull();
    expect(sentenceHolding('', 'Acme')).toBeNull();
  });
});
