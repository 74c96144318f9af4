// Property tests of the packer's invariants, for every tokenizer: exact token IDs, the budget,
// and item spans that decode to the item's text (plus separator only where a token glues them).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trimWhitespace } from './boundary-rules.js';
import { packContext, type PackItem } from './packer.js';
import {
  ALL_TEST_TOKENIZERS,
  createTestTokenizerRegistry,
} from '../../test/support/test-tokenizers.js';
import type { Tokenizer } from './tokenizers/tokenizer.js';

const registry = createTestTokenizerRegistry();

const SPECIALS = [
  '<|endoftext|>',
  '<|im_start|>',
  '<|im_end|>',
  '<|begin_of_text|>',
  '<|eot_id|>',
  '<think>',
  '</tool_call>',
  '<|fim_prefix|>',
  '<s>',
  '[INST]',
];
const PIECES = [
  ' ',
  '  ',
  '\t',
  '\n',
  '\n\n',
  '\r\n',
  ' \n ',
  '\u00a0',
  '\u3000',
  '\u0085',
  '/',
  '.',
  '!',
  '?',
  ',',
  "'s",
  "'ll",
  '...',
  '—',
  '😀',
  '👩‍👩‍👧',
  '🇫🇷',
  '漢字',
  '日本語のテキスト',
  '한국어',
  'é',
  'e\u0301',
  '\u0301',
  'Ａ',
  '123',
  '4567',
  'Hello',
  'world',
  'don',
  'x',
  'ß',
  'İ',
  '\uD800',
  '\uDC00',
  '\u200d',
  '\ufeff',
  '\u2028',
];

const fragment = fc.oneof(
  fc.constantFrom(...PIECES),
  fc.constantFrom(...SPECIALS),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({ unit: fc.constantFrom(' ', '\n', '\t', '\r'), maxLength: 6 }),
  fc.lorem({ maxCount: 4 }),
);
// Edges matter most: bias item starts and ends towards what glues to a separator.
const itemText = fc
  .tuple(
    fc.constantFrom('', '', '/', '//x', ' ', '\u0085', '.', "'s"),
    fc.array(fragment, { maxLength: 8 }),
    fc.constantFrom('', '', '.', '!', ' ', '😀', ':', '/', '\n'),
  )
  .map(([head, parts, tail]) => head + parts.join('') + tail);
const items = fc
  .array(itemText, { maxLength: 8 })
  .map((texts) => texts.map((text, index): PackItem => ({ id: `m${index}`, text })));
const separator = fc.oneof(
  { weight: 4, arbitrary: fc.constant('\n\n') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('\n', '\r\n', '\n---\n', ' ', '', ' | ', '\n\n/', '. ', '\u0085'),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }) },
);

function encodeManyWith(tokenizer: Tokenizer) {
  return async (texts: string[]) => texts.map((text) => tokenizer.encode(text));
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

describe.each(ALL_TEST_TOKENIZERS)('packContext with %s', (name) => {
  const tokenizer = registry.get(name);

  it('returns token IDs equal to encode(text), within budget, with spans that decode to their items', async () => {
    await fc.assert(
      fc.asyncProperty(
        items,
        separator,
        fc.integer({ min: 0, max: 120 }),
        async (input, sep, maxTokens) => {
          const packed = await packContext(
            { items: input, tokenizer, maxTokens, separator: sep },
            encodeManyWith(tokenizer),
          );
          expect(sameIds(packed.tokenIds, tokenizer.encode(packed.text))).toBe(true);
          expect(packed.tokenCount).toBe(packed.tokenIds.length);
          expect(packed.tokenCount).toBeLessThanOrEqual(maxTokens);
          const canonicalSep = tokenizer.canonicalize(sep);
          const byId = new Map(
            input.map((item) => [item.id, trimWhitespace(tokenizer.canonicalize(item.text))]),
          );
          const texts = packed.items.map((item) => byId.get(item.id)!);
          expect(texts.join(canonicalSep)).toBe(packed.text);
          let charStart = 0;
          let previousEnd = 0;
          for (const [index, item] of packed.items.entries()) {
            const text = texts[index]!;
            expect(item.tokenStart).toBeGreaterThanOrEqual(previousEnd);
            expect(item.tokenEnd).toBeGreaterThan(item.tokenStart);
            previousEnd = item.tokenEnd;
            const decoded = tokenizer.decode(packed.tokenIds.slice(item.tokenStart, item.tokenEnd));
            // Exactly the item's text, widened only into the separators on either side: some
            // widening `before` ≤ separator length makes the span the text around the item.
            const widenings = Array.from(
              { length: Math.min(canonicalSep.length, charStart) + 1 },
              (_, before) => before,
            );
            const fits = widenings.some((before) => {
              const after = decoded.length - before - text.length;
              return (
                after >= 0 &&
                after <= canonicalSep.length &&
                packed.text.slice(charStart - before, charStart + text.length + after) === decoded
              );
            });
            expect(
              fits,
              `span of ${item.id} decodes to ${JSON.stringify(decoded)}, item is ${JSON.stringify(text)}`,
            ).toBe(true);
            charStart += text.length + canonicalSep.length;
          }
        },
      ),
      { numRuns: name === 'o200k_base' || name === 'cl100k_base' ? 400 : 150 },
    );
  });

  it('gives spans that decode exactly to items ending in a letter or digit (default separator)', async () => {
    const input = [
      { id: 'a', text: 'The capital of France is Paris' },
      { id: 'b', text: '漢字 and emoji 😀 stay intact 42' },
      { id: 'c', text: '<|endoftext|> is plain text here' },
    ];
    const packed = await packContext(
      { items: input, tokenizer, maxTokens: 1000 },
      encodeManyWith(tokenizer),
    );
    expect(
      packed.items.map((item) =>
        tokenizer.decode(packed.tokenIds.slice(item.tokenStart, item.tokenEnd)),
      ),
    ).toEqual(input.map((item) => item.text));
    expect(packed.text).toBe(input.map((item) => item.text).join('\n\n'));
  });

  it('encodes special-token text as plain text and never throws', () => {
    for (const special of SPECIALS) {
      const ids = tokenizer.encode(`a ${special} b`);
      expect(tokenizer.decode(ids)).toBe(`a ${special} b`);
      expect(ids.length).toBeGreaterThan(3);
    }
  });

  it('drops an item that does not fit whole and keeps later ones that do', async () => {
    const long = 'word '.repeat(200).trim();
    const packed = await packContext(
      {
        items: [
          { id: 'short', text: 'first' },
          { id: 'long', text: long },
          { id: 'tail', text: 'last one' },
        ],
        tokenizer,
        maxTokens: 20,
      },
      encodeManyWith(tokenizer),
    );
    expect(packed.items.map((item) => item.id)).toEqual(['short', 'tail']);
    expect(packed.truncated).toBe(true);
    expect(packed.dropped).toEqual([{ id: 'long', reason: 'budget' }]);
  });
});

describe('tokenizer registry', () => {
  it('names the known tokenizers when asked for an unknown one', () => {
    expect(() => registry.get('gpt2')).toThrowError(
      /Unknown tokenizer "gpt2". Known tokenizers: o200k_base, cl100k_base, llama3, qwen3/,
    );
  });

  it('gives each tokenizer a version that pins the vocabulary file', () => {
    expect(registry.get('llama3').version).toMatch(/sha256:[0-9a-f]{64}/);
    expect(registry.get('llama3').version).not.toBe(registry.get('qwen3').version);
    expect(registry.get('llama3').boundaryRule).toEqual({
      kind: 'line-break',
      glueAfterLineBreak: '',
    });
  });
});
