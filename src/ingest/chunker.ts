// Structure-aware chunker sized in tokens. Blocks (headings, code, list items, paragraphs) are
// packed greedily into chunks of at most `chunkTokens`; a block too big for one chunk is split at
// sentences, then words, then characters. A heading starts a new chunk, and every chunk keeps
// its heading path. Consecutive chunks of one section overlap by up to `overlap` × chunkTokens,
// cut at a sentence (or word) start. Each chunk's text is an exact slice of the chunkable text,
// so offsets are true and no text is lost; its token count is measured on that exact slice.
// Blocks come from the format parsers in formats/; a chunk never spans two pages.
import { sha256Hex } from '../domain/hashing.js';
import type { DocumentMimeType } from '../ports/document-store.js';
import { toStructuredText } from './formats/index.js';
import { parseMarkdown } from './formats/markdown.js';
import type { Block, StructuredText } from './formats/structured-text.js';
import type { TokenCounter } from './token-counter.js';

export interface ChunkerOptions {
  chunkTokens: number;
  /** Fraction of chunkTokens repeated from the previous chunk of the same section (0–0.5). */
  overlap: number;
  countTokens: TokenCounter;
  /** Time the format's parser may take (ENGRAM_PARSE_TIMEOUT_MS); its default otherwise. */
  parseTimeoutMs?: number | undefined;
}

export interface Chunk {
  ordinal: number;
  text: string;
  headingPath: string[];
  tokenCount: number;
  startOffset: number;
  endOffset: number;
  page: number | null;
  contentHash: string;
}

export interface ChunkedDocument extends StructuredText {
  chunks: Chunk[];
}

interface Unit {
  start: number;
  end: number;
}

/** A unit that fits the budget, with its own token count (what packing estimates from). */
interface CountedUnit extends Unit {
  tokens: number;
}

interface Section {
  headingPath: string[];
  page: number | null;
  units: Unit[];
  /** True when the section holds nothing but its heading. */
  headingOnly: boolean;
}

/** Parses a stored document with its format's parser, then chunks the structured text. */
export async function chunkDocument(
  storedContent: string,
  mimeType: DocumentMimeType,
  options: ChunkerOptions,
): Promise<ChunkedDocument> {
  const structured = await toStructuredText(storedContent, mimeType, options.parseTimeoutMs);
  return { ...structured, chunks: chunkStructuredText(structured, options) };
}

/** Chunks Markdown source (what tests and benches feed the chunker directly). */
export function chunkMarkdown(text: string, options: ChunkerOptions): Chunk[] {
  return chunkStructuredText(parseMarkdown(text), options);
}

export function chunkStructuredText(structured: StructuredText, options: ChunkerOptions): Chunk[] {
  const { text, blocks } = structured;
  const budget = options.chunkTokens;
  const overlapTokens = Math.floor(budget * options.overlap);
  const { countTokens } = options;
  const count =
    countTokens.slicesOf?.(text) ?? ((start, end) => countTokens(text.slice(start, end)));
  const chunks: Chunk[] = [];

  const emit = (
    start: number,
    end: number,
    headingPath: string[],
    page: number | null,
    tokenCount: number,
  ) => {
    const slice = text.slice(start, end);
    chunks.push({
      ordinal: chunks.length,
      text: slice,
      headingPath,
      tokenCount,
      startOffset: start,
      endOffset: end,
      page,
      // Unpaged chunks hash as they always have, so re-chunking keeps their vectors.
      contentHash: sha256Hex(
        `${headingPath.join('\u0000')}\u0001${page === null ? '' : `${page}\u0001`}${slice}`,
      ),
    });
  };

  // A section that holds only its heading (a title right before a subheading) joins the next one.
  let carried: Unit[] = [];
  const sections = toSections(blocks);
  for (const [index, section] of sections.entries()) {
    if (section.headingOnly && index < sections.length - 1) {
      carried.push(...section.units);
      continue;
    }
    const units = [...carried, ...section.units].flatMap((unit) =>
      fitUnit(text, unit, budget, count),
    );
    carried = [];
    packSection(units, section.headingPath, section.page);
  }

  // A chunk grows by whole units while its exact slice fits the budget. Counting the slice again
  // for every unit it might take made packing quadratic in a chunk's units, and the main thread's
  // largest cost in ingestion. The units' own counts (and what a gap between two cost in the
  // chunk before) say where the chunk is likely to end; exact counts settle it there, galloping
  // away from the guess and then halving, so a guess off by d units costs about 2·log2(d) more.
  function packSection(units: CountedUnit[], headingPath: string[], page: number | null): void {
    let i = 0;
    let previous: Unit | undefined;
    // What joining two units adds to their counts (the text between them, less what merges),
    // as the section's last chunk measured it.
    let gapTokens = 1;
    while (i < units.length) {
      let start = units[i]!.start;
      if (previous !== undefined && overlapTokens > 0) {
        start = overlapStart(text, previous, overlapTokens, count) ?? start;
      }
      let tokens = start === units[i]!.start ? units[i]!.tokens : count(start, units[i]!.end);
      if (tokens > budget) {
        start = units[i]!.start; // the overlap and this unit do not fit together: drop the overlap
        tokens = units[i]!.tokens;
      }
      let guess = i;
      for (let estimate = tokens; guess + 1 < units.length; guess += 1) {
        // At least a token a unit: a gap measured as negative (a word that counts less after a
        // space) must not let the guess run to the section's end, and the counts after it.
        estimate += Math.max(1, units[guess + 1]!.tokens + gapTokens);
        if (estimate > budget) break;
      }
      const last = lastFitting(i, tokens, guess, (j) => count(start, units[j]!.end));
      if (last.unit > i) {
        let joined = tokens;
        for (let k = i + 1; k <= last.unit; k += 1) joined += units[k]!.tokens;
        gapTokens = (last.tokens - joined) / (last.unit - i);
      }
      emit(start, units[last.unit]!.end, headingPath, page, last.tokens);
      previous = { start, end: units[last.unit]!.end };
      i = last.unit + 1;
    }

    /** The last unit whose slice from the chunk's start fits, given that `first`'s does. */
    function lastFitting(
      first: number,
      firstTokens: number,
      guess: number,
      countTo: (unit: number) => number,
    ): { unit: number; tokens: number } {
      let fit = { unit: first, tokens: firstTokens };
      let over = units.length; // the first unit known not to fit (or past the end)
      const fitsTo = (unit: number): boolean => {
        const tokensTo = countTo(unit);
        if (tokensTo > budget) over = unit;
        else fit = { unit, tokens: tokensTo };
        return tokensTo <= budget;
      };
      // Gallop from the guess (far probes count long slices), then halve what is left.
      if (guess === first || fitsTo(guess)) {
        for (let step = 1; fit.unit + 1 < over; step *= 2)
          if (!fitsTo(Math.min(fit.unit + step, over - 1))) break;
      } else {
        for (let step = 1; fit.unit + 1 < over; step *= 2)
          if (fitsTo(Math.max(over - step, fit.unit + 1))) break;
      }
      while (fit.unit + 1 < over) fitsTo(Math.floor((fit.unit + over) / 2));
      return fit;
    }
  }

  return chunks;
}

/** A heading, or a new page, starts a section; a chunk never spans two. */
function toSections(blocks: Block[]): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  for (const block of blocks) {
    if (block.kind === 'heading' || current === undefined || block.page !== current.page) {
      current = {
        headingPath: block.headingPath,
        page: block.page,
        units: [],
        headingOnly: block.kind === 'heading',
      };
      sections.push(current);
    } else {
      current.headingOnly = false;
    }
    current.units.push({ start: block.start, end: block.end });
  }
  return sections;
}

/** Splits a unit over budget at sentences, then words, then characters; each piece counted. */
function fitUnit(
  text: string,
  unit: Unit,
  budget: number,
  count: (s: number, e: number) => number,
): CountedUnit[] {
  const tokens = count(unit.start, unit.end);
  if (tokens <= budget) return [{ ...unit, tokens }];
  for (const pattern of [/(?<=[.!?。！？])\s+|\n+/g, /\s+/g]) {
    const pieces = splitAt(text, unit, pattern);
    if (pieces.length > 1) return pieces.flatMap((piece) => fitUnit(text, piece, budget, count));
  }
  return splitByCharacters(text, unit, budget, count).map((piece) => ({
    ...piece,
    tokens: count(piece.start, piece.end),
  }));
}

function splitAt(text: string, unit: Unit, pattern: RegExp): Unit[] {
  const slice = text.slice(unit.start, unit.end);
  const pieces: Unit[] = [];
  let last = 0;
  for (const match of slice.matchAll(pattern)) {
    if (match.index > last)
      pieces.push({ start: unit.start + last, end: unit.start + match.index });
    last = match.index + match[0].length;
  }
  if (last < slice.length) pieces.push({ start: unit.start + last, end: unit.end });
  return pieces;
}

function splitByCharacters(
  text: string,
  unit: Unit,
  budget: number,
  count: (s: number, e: number) => number,
): Unit[] {
  const pieces: Unit[] = [];
  let start = unit.start;
  while (start < unit.end) {
    // Largest end with count(start, end) <= budget, never splitting a surrogate pair.
    let low = start + 1;
    let high = unit.end;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (count(start, mid) <= budget) low = mid;
      else high = mid - 1;
    }
    let end = low;
    if (end < unit.end && isLowSurrogate(text.charCodeAt(end)) && end - 1 > start) end -= 1;
    pieces.push({ start, end });
    start = end;
  }
  return pieces;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * Where the next chunk starts so it repeats the end of `previous`: the earliest sentence start
 * (else word start) inside it whose tail fits in `maxTokens`. Undefined when nothing fits.
 */
function overlapStart(
  text: string,
  previous: Unit,
  maxTokens: number,
  count: (s: number, e: number) => number,
): number | undefined {
  for (const pattern of [/(?<=[.!?。！？])\s+(?=\S)|\n+(?=\S)/g, /\s+(?=\S)/g]) {
    const starts = splitAt(text, previous, pattern)
      .map((piece) => piece.start)
      .filter((start) => start > previous.start);
    let best: number | undefined;
    for (let k = starts.length - 1; k >= 0; k -= 1) {
      if (count(starts[k]!, previous.end) > maxTokens) break;
      best = starts[k];
    }
    if (best !== undefined) return best;
  }
  return undefined;
}
