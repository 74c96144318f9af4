// The wink reader's bound: an instance is replaced once it has learnt its limit of new words (ids,
// numbers, misspellings wink keeps for good), known words and words met again cost nothing
// toward it, and a replaced instance reads a text as the first one did.
import { describe, expect, it } from 'vitest';
import { createWinkReader } from '../../src/graph/wink-reader.js';

/** A text of four words no instance knows before reading it. */
const novel = (i: number) => `Order Q${i}X was packed by zz${i}kk in bay ${i * 7919}y${i}.`;
const known = 'The quick brown fox jumps over the lazy dog.';
const read = (reader: ReturnType<typeof createWinkReader>, text: string) => {
  const { doc, values } = reader.readDoc(text);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- a plain function of wink's
  return { values, pos: doc.tokens().out(reader.its.pos) };
};

describe('the wink reader', () => {
  it('counts each new word once, and known words not at all', () => {
    const reader = createWinkReader(1_000);
    for (let i = 0; i < 5; i++) reader.readDoc(known);
    expect(reader.stats()).toEqual({ instances: 1, learntWords: 0 });
    reader.readDoc(novel(1));
    const once = reader.stats().learntWords;
    expect(once).toBeGreaterThanOrEqual(3);
    reader.readDoc(novel(1));
    expect(reader.stats()).toEqual({ instances: 1, learntWords: once });
  });

  it('replaces its instance once it has learnt its limit, and never holds more', () => {
    const limit = 200;
    const reader = createWinkReader(limit);
    let most = 0;
    for (let i = 0; i < 500; i++) {
      reader.readDoc(novel(i));
      // A text's new words may take the count past the limit; the next text starts a new instance.
      most = Math.max(most, reader.stats().learntWords);
    }
    expect(most).toBeLessThan(limit + 10);
    // About four new words a text: 2,000 words, ten instances at least.
    expect(reader.stats().instances).toBeGreaterThanOrEqual(8);
  });

  it('starts each instance afresh: its documents are its own, and words it meets again count', () => {
    const reader = createWinkReader(1);
    const before = reader.readDoc(novel(1)).doc;
    const learnt = reader.stats().learntWords;
    const after = reader.readDoc(novel(1)).doc;
    // A document asks its own instance whether a word is new to it.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, not called
    expect(after.isOOV).not.toBe(before.isOOV);
    expect(reader.stats()).toEqual({ instances: 2, learntWords: learnt });
  });

  it('makes as many instances as it needs', () => {
    // wink's model escaped a part of itself again at each instance made: the 21st threw.
    const reader = createWinkReader(1);
    for (let i = 0; i < 24; i++) reader.readDoc(novel(i));
    expect(reader.stats().instances).toBe(24);
  });

  it('reads a text the same after its instance is replaced', () => {
    const reader = createWinkReader(50);
    const text =
      'Dr. Ada Quist joined Globex Corp. in Paris on 3 March 2021 for $2.5 million, she said.';
    const first = read(reader, text);
    for (let i = 0; i < 100 && reader.stats().instances === 1; i++) reader.readDoc(novel(i));
    expect(reader.stats().instances).toBe(2);
    expect(read(reader, text)).toEqual(first);
    expect(first.values).toContain('Quist');
  });
});
