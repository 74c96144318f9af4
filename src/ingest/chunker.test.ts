// Property tests of the chunker: no text lost, every chunk within budget, stable ordinals.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkDocument, chunkMarkdown, type Chunk } from './chunker.js';
import { parseMarkdown } from './formats/markdown.js';
import { createTokenCounter } from './token-counter.js';

const countTokens = createTokenCounter('o200k_base');

const word = fc.oneof(
  fc.constantFrom(
    'graph',
    'Neo4j',
    'memory',
    'token',
    'the',
    'a',
    'database',
    'über',
    '東京',
    '😀',
    'x',
  ),
  fc.string({ minLength: 1, maxLength: 12 }).map((s) => s.replace(/\s/g, '') || 'w'),
  fc.constantFrom(
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    '<|endoftext|>',
  ),
);
const sentence = fc
  .array(word, { minLength: 1, maxLength: 40 })
  .map((words) => `${words.join(' ')}.`);
const paragraph = fc.array(sentence, { minLength: 1, maxLength: 8 }).map((s) => s.join(' '));
const block = fc.oneof(
  { weight: 5, arbitrary: paragraph },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 4 }), sentence)
      .map(([level, s]) => `${'#'.repeat(level)} ${s}`),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(sentence, { minLength: 1, maxLength: 6 })
      .map((items) => items.map((s) => `- ${s}`).join('\n')),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(sentence, { minLength: 1, maxLength: 6 })
      .map((lines) => `\`\`\`ts\n${lines.join('\n')}\n\`\`\``),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
);
const markdownDocument = fc
  .array(block, { minLength: 0, maxLength: 25 })
  .map((blocks) => blocks.join('\n\n'));
const options = fc.record({
  chunkTokens: fc.integer({ min: 32, max: 160 }),
  overlap: fc.constantFrom(0, 0.15, 0.3, 0.5),
});

function assertChunksCover(text: string, chunks: Chunk[]): void {
  const covered = new Uint8Array(text.length);
  for (const chunk of chunks) {
    expect(chunk.text).toBe(text.slice(chunk.startOffset, chunk.endOffset));
    covered.fill(1, chunk.startOffset, chunk.endOffset);
  }
  for (let i = 0; i < text.length; i += 1) {
    if (covered[i] === 0 && /\S/.test(text[i]!)) {
      throw new Error(`character ${JSON.stringify(text[i])} at ${i} is in no chunk`);
    }
  }
}

describe('chunker', () => {
  it('loses no text: every non-whitespace character is inside a chunk, and chunk text is the exact slice', () => {
    fc.assert(
      fc.property(markdownDocument, options, (text, opts) => {
        const chunks = chunkMarkdown(text, { ...opts, countTokens });
        assertChunksCover(text, chunks);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps every chunk within the token budget, counted on its exact text', () => {
    fc.assert(
      fc.property(markdownDocument, options, (text, opts) => {
        for (const chunk of chunkMarkdown(text, { ...opts, countTokens })) {
          expect(chunk.tokenCount).toBe(countTokens(chunk.text));
          expect(chunk.tokenCount).toBeLessThanOrEqual(opts.chunkTokens);
          expect(chunk.text.trim()).not.toBe('');
        }
      }),
      { numRuns: 60 },
    );
  });

  it("chunks the same with slices counted from the text's running total as with each counted alone", () => {
    const alone = (slice: string) => countTokens(slice);
    fc.assert(
      fc.property(markdownDocument, options, (text, opts) => {
        expect(chunkMarkdown(text, { ...opts, countTokens })).toEqual(
          chunkMarkdown(text, { ...opts, countTokens: alone }),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('numbers chunks 0..n-1 in document order, the same way every time, and appending a section keeps earlier chunks', () => {
    fc.assert(
      fc.property(markdownDocument, options, paragraph, (text, opts, extra) => {
        const chunks = chunkMarkdown(text, { ...opts, countTokens });
        expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
        for (let i = 1; i < chunks.length; i += 1) {
          expect(chunks[i]!.startOffset).toBeGreaterThanOrEqual(chunks[i - 1]!.startOffset);
          expect(chunks[i]!.endOffset).toBeGreaterThan(chunks[i - 1]!.endOffset);
        }
        expect(chunkMarkdown(text, { ...opts, countTokens })).toEqual(chunks);
        // A trailing heading with nothing under it joins the next section, so it may move.
        if (parseMarkdown(text).blocks.at(-1)?.kind === 'heading') return;
        const longer = chunkMarkdown(`${text}\n\n# Appendix\n\n${extra}`, {
          ...opts,
          countTokens,
        });
        expect(longer.slice(0, Math.max(0, chunks.length - 1))).toEqual(chunks.slice(0, -1));
      }),
      { numRuns: 40 },
    );
  });

  it('overlaps consecutive chunks of a section by at most the overlap budget', () => {
    const text = Array.from(
      { length: 60 },
      (_, i) => `Sentence number ${i} talks about graphs and memory.`,
    ).join(' ');
    const chunks = chunkMarkdown(text, { chunkTokens: 64, overlap: 0.25, countTokens });
    expect(chunks.length).toBeGreaterThan(3);
    for (let i = 1; i < chunks.length; i += 1) {
      const shared = chunks[i - 1]!.endOffset - chunks[i]!.startOffset;
      expect(shared).toBeGreaterThan(0);
      expect(
        countTokens(text.slice(chunks[i]!.startOffset, chunks[i - 1]!.endOffset)),
      ).toBeLessThanOrEqual(16);
      expect(chunks[i]!.text).toMatch(/^Sentence number/);
    }
  });

  it('counts each unit once and each chunk a few times, not once for every unit it might take', () => {
    // 300 paragraphs in one section: growing a chunk by counting its whole slice again for each
    // paragraph made packing quadratic in a chunk's paragraphs.
    const text = Array.from({ length: 300 }, (_, i) => `Paragraph ${i} is short.`).join('\n\n');
    let counts = 0;
    const counting = (slice: string) => {
      counts += 1;
      return countTokens(slice);
    };
    for (const chunkTokens of [64, 400, 2000]) {
      counts = 0;
      const chunks = chunkMarkdown(text, { chunkTokens, overlap: 0, countTokens: counting });
      expect(chunks.map((c) => c.tokenCount)).toEqual(chunks.map((c) => countTokens(c.text)));
      expect(counts).toBeLessThanOrEqual(300 + 6 * chunks.length);
    }
  });

  it('counts a long paragraph about a dozen times over, even where a word counts less after a space', () => {
    // "congratulations" is 3 tokens alone and 1 after a space: joining units measures a negative
    // gap, which once let the guess run to the paragraph's end (50 times its text counted here;
    // the old scan of every unit counted it over 200 times).
    const text = Array.from(
      { length: 10 },
      () => `${'congratulations '.repeat(500)}${'a '.repeat(500)}`,
    )
      .join('')
      .trim();
    let counted = 0;
    const counting = (slice: string) => {
      counted += slice.length;
      return countTokens(slice);
    };
    const chunks = chunkMarkdown(text, { chunkTokens: 400, overlap: 0, countTokens: counting });
    expect(chunks.map((c) => c.tokenCount)).toEqual(chunks.map((c) => countTokens(c.text)));
    expect(counted).toBeLessThanOrEqual(25 * text.length);
  });

  it('keeps heading paths and starts a chunk at each heading', () => {
    const text =
      '# Guide\n\n## Install\n\nRun npm.\n\n- one\n- two\n\n## Use\n\nCall it.\n\n### Deep\n\nMore.';
    const chunks = chunkMarkdown(text, { chunkTokens: 400, overlap: 0.15, countTokens });
    expect(chunks.map((c) => [c.headingPath, c.text])).toEqual([
      [['Guide', 'Install'], '# Guide\n\n## Install\n\nRun npm.\n\n- one\n- two'],
      [['Guide', 'Use'], '## Use\n\nCall it.'],
      [['Guide', 'Use', 'Deep'], '### Deep\n\nMore.'],
    ]);
  });

  it('reads HTML as text with its headings, lists and paragraphs, dropping scripts and styles', async () => {
    const html = `<html><head><title>x</title><style>p{color:red}</style></head><body>
      <h1>Neo4j &amp; friends</h1><p>Graph <b>databases</b> store&nbsp;nodes.</p>
      <script>alert("no")</script><ul><li>Cypher</li><li>Bolt</li></ul><h2>Pricing</h2><p>Free tier.</p></body></html>`;
    const { text, chunks } = await chunkDocument(html, 'text/html', {
      chunkTokens: 400,
      overlap: 0.15,
      countTokens,
    });
    expect(text).toBe(
      '# Neo4j & friends\n\nGraph databases store nodes.\n\n- Cypher\n\n- Bolt\n\n## Pricing\n\nFree tier.',
    );
    expect(chunks.map((c) => c.headingPath)).toEqual([
      ['Neo4j & friends'],
      ['Neo4j & friends', 'Pricing'],
    ]);
  });

  it('treats plain text as paragraphs, not Markdown', async () => {
    const { chunks } = await chunkDocument('# not a heading\n\nplain words', 'text/plain', {
      chunkTokens: 400,
      overlap: 0,
      countTokens,
    });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.headingPath).toEqual([]);
  });
});
