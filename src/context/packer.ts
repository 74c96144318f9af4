// Packs ordered items into a token budget and returns the text with its exact token IDs.
//
// Invariants (property-tested for every tokenizer in packer.test.ts):
//   1. tokenIds equals tokenizer.encode(text), exactly;
//   2. tokenCount = tokenIds.length ≤ maxTokens;
//   3. each item's span [tokenStart, tokenEnd) is the smallest run of whole tokens that covers the
//      item's (canonical) text, and spans never overlap. Where the tokenizer puts token boundaries
//      at both ends of the item, decode(span) is exactly the item's text. Where it glues the item's
//      last characters to the separator in one token — ".\n\n" is ONE token in o200k, cl100k,
//      Llama 3 and Qwen 3, so no run of tokens spells "….", only "….\n\n" — the span takes that
//      whole token and decodes to the item's text followed by (part of) the separator. No layout
//      that keeps the item's text and the separator unchanged can do better; we do not alter
//      either. An item whose start falls inside the previous item's last token is left out.
//
// Layout: text = item₁ + separator + item₂ + … + itemₙ, items canonicalised (tokenizer's
// normaliser, lone surrogates → U+FFFD) and trimmed of surrounding whitespace, empty ones dropped.
// Token IDs are assembled from cached units "itemᵢ + separator" only across boundaries the
// line-break rule proves (boundary-rules.ts); other runs of items are encoded again as a whole.
// Items are taken in the given order; an item that does not fit whole is dropped (never cut) and
// later, smaller items may still fill the budget.
import { cutsBefore, itemIsPrefixOfUnit, trimWhitespace } from './boundary-rules.js';
import type { Tokenizer } from './tokenizers/tokenizer.js';

export interface PackItem {
  id: string;
  text: string;
}

export interface PackedItem {
  id: string;
  tokenStart: number;
  tokenEnd: number;
}

export interface PackedContext {
  text: string;
  tokenIds: number[];
  tokenCount: number;
  items: PackedItem[];
  /** True when at least one item was left out (budget or an unusable boundary). */
  truncated: boolean;
  dropped: Array<{ id: string; reason: 'budget' | 'empty' | 'boundary' }>;
}

/** encode() for many texts at once, through the token cache; must equal tokenizer.encode exactly. */
export type EncodeMany = (texts: string[]) => Promise<number[][]>;

export interface PackInput {
  items: PackItem[];
  tokenizer: Tokenizer;
  maxTokens: number;
  separator?: string;
  /** Also compare against a fresh encode of the whole text (tests and `engram context verify`). */
  verify?: boolean;
}

export const DEFAULT_SEPARATOR = '\n\n';
const FILL_SLACK = 0.05;
const MIN_FILL_SLACK_TOKENS = 8;
const MAX_ROUNDS = 4;

interface Candidate {
  id: string;
  text: string;
  unitText: string;
  unitIds: number[];
}

export async function packContext(
  input: PackInput,
  encodeMany: EncodeMany,
): Promise<PackedContext> {
  const { tokenizer, maxTokens } = input;
  const separator = tokenizer.canonicalize(input.separator ?? DEFAULT_SEPARATOR);
  const dropped: PackedContext['dropped'] = [];
  // Candidates are fetched in rounds sized to what the budget still needs (about six characters
  // a token, at least four items), so an 8k budget over 200 recalled items looks up ~30, not 200.
  // Selection is greedy by unit length: a unit counts the item plus its separator, which bounds
  // the item's cost as the last one too (the separator is left off the end), so rarely more than
  // a token is left unused. The exact count is checked after assembly below. Filling stops when
  // less than FILL_SLACK of the budget is left or after MAX_ROUNDS lookups.
  const selected: Candidate[] = [];
  let budgetUsed = 0;
  let next = 0;
  for (let round = 0; next < input.items.length; round += 1) {
    const remaining = maxTokens - budgetUsed;
    if (round === MAX_ROUNDS) break;
    if (round > 0 && remaining < Math.max(MIN_FILL_SLACK_TOKENS, maxTokens * FILL_SLACK)) break;
    const batch: Array<{ id: string; text: string }> = [];
    let chars = 0;
    while (next < input.items.length && (batch.length < 4 || chars < remaining * 6)) {
      const item = input.items[next]!;
      next += 1;
      const text = trimWhitespace(tokenizer.canonicalize(item.text));
      if (text === '') {
        dropped.push({ id: item.id, reason: 'empty' });
        continue;
      }
      batch.push({ id: item.id, text });
      chars += text.length;
    }
    if (batch.length === 0) break;
    const unitTexts = batch.map((item) => item.text + separator);
    const unitIds = await encodeMany(unitTexts);
    batch.forEach((item, index) => {
      const candidate = { ...item, unitText: unitTexts[index]!, unitIds: unitIds[index]! };
      if (budgetUsed + candidate.unitIds.length <= maxTokens) {
        selected.push(candidate);
        budgetUsed += candidate.unitIds.length;
      } else {
        dropped.push({ id: candidate.id, reason: 'budget' });
      }
    });
  }
  for (const item of input.items.slice(next)) dropped.push({ id: item.id, reason: 'budget' });

  for (;;) {
    const assembled = await assemble(selected, separator, tokenizer, encodeMany);
    if (assembled.tokenIds.length > maxTokens) {
      // Not expected (a unit bounds its item), but the budget is a promise: drop the last and retry.
      const last = selected.pop()!;
      dropped.push({ id: last.id, reason: 'budget' });
      continue;
    }
    const spans = spansOf(selected, separator, assembled.tokenIds, tokenizer);
    if (typeof spans === 'number') {
      const [bad] = selected.splice(spans, 1);
      dropped.push({ id: bad!.id, reason: 'boundary' });
      continue;
    }
    if (input.verify === true) {
      const fresh = tokenizer.encode(assembled.text);
      if (
        fresh.length !== assembled.tokenIds.length ||
        fresh.some((id, i) => id !== assembled.tokenIds[i])
      ) {
        throw new Error(
          `packer invariant broken: token IDs differ from encode(text) for ${tokenizer.id}`,
        );
      }
    }
    return {
      text: assembled.text,
      tokenIds: assembled.tokenIds,
      tokenCount: assembled.tokenIds.length,
      items: spans,
      truncated: dropped.some((entry) => entry.reason !== 'empty'),
      dropped,
    };
  }
}

/** Token IDs of the joined text, from cached units across proven cuts, re-encoded elsewhere. */
async function assemble(
  selected: readonly Candidate[],
  separator: string,
  tokenizer: Tokenizer,
  encodeMany: EncodeMany,
): Promise<{ text: string; tokenIds: number[] }> {
  const text = selected.map((item) => item.text).join(separator);
  if (selected.length === 0) return { text, tokenIds: [] };
  // The cut rules hold for the canonical text; a normaliser joining across items (not expected:
  // parts are canonical and separated by a line break) would void them, so re-encode then.
  if (tokenizer.canonicalize(text) !== text) return { text, tokenIds: tokenizer.encode(text) };

  // Segments: runs of items between proven cuts. A segment of one item (not last) is its unit.
  const segments: Array<{ from: number; to: number }> = [];
  let from = 0;
  for (let index = 1; index <= selected.length; index += 1) {
    if (index === selected.length || cutsBefore(tokenizer, separator, selected[index]!.text)) {
      segments.push({ from, to: index });
      from = index;
    }
  }

  const parts: number[][] = new Array<number[]>(segments.length);
  const toEncode: string[] = [];
  const toEncodeAt: number[] = [];
  segments.forEach((segment, index) => {
    const isLast = index === segments.length - 1;
    const single = segment.to - segment.from === 1;
    const first = selected[segment.from]!;
    if (single && !isLast) {
      parts[index] = first.unitIds;
      return;
    }
    if (single && isLast && itemIsPrefixOfUnit(tokenizer, first.text, separator)) {
      const prefix = prefixSpelling(first.unitIds, Buffer.byteLength(first.text), tokenizer);
      if (prefix !== undefined) {
        parts[index] = prefix;
        return;
      }
    }
    const segmentText =
      selected
        .slice(segment.from, segment.to)
        .map((item) => item.text)
        .join(separator) + (isLast ? '' : separator);
    toEncode.push(segmentText);
    toEncodeAt.push(index);
  });
  if (toEncode.length > 0) {
    const encoded = await encodeMany(toEncode);
    toEncodeAt.forEach((at, i) => {
      parts[at] = encoded[i]!;
    });
  }
  // concat copies native arrays fastest; the result is a fresh array (cached parts stay shared).
  const tokenIds = parts.length === 1 ? parts[0]!.slice() : ([] as number[]).concat(...parts);
  return { text, tokenIds };
}

/** The leading tokens of `ids` that spell exactly `byteLength` bytes, if a token boundary is there. */
function prefixSpelling(
  ids: readonly number[],
  byteLength: number,
  tokenizer: Tokenizer,
): number[] | undefined {
  let bytes = 0;
  for (let index = 0; index < ids.length; index += 1) {
    if (bytes === byteLength) return ids.slice(0, index);
    if (bytes > byteLength) return undefined;
    bytes += tokenizer.tokenByteLength(ids[index]!);
  }
  return bytes === byteLength ? ids.slice() : undefined;
}

/**
 * The smallest covering token span of each item (see invariant 3), or the index of the first
 * item whose span would overlap its predecessor's (it must then be left out).
 */
function spansOf(
  selected: readonly Candidate[],
  separator: string,
  tokenIds: readonly number[],
  tokenizer: Tokenizer,
): PackedItem[] | number {
  const separatorBytes = Buffer.byteLength(separator);
  // Widened spans end inside the separator; in an ASCII separator every byte ends a character.
  const separatorIsAscii = separatorBytes === separator.length;
  const spans: PackedItem[] = [];
  let token = 0;
  let tokenByteStart = 0; // byte offset where tokenIds[token] starts
  let itemByteStart = 0;
  for (let index = 0; index < selected.length; index += 1) {
    const item = selected[index]!;
    const itemByteEnd = itemByteStart + Buffer.byteLength(item.text);
    // Advance to the last token that starts at or before the item's first byte.
    while (token < tokenIds.length) {
      const next = tokenByteStart + tokenizer.tokenByteLength(tokenIds[token]!);
      if (next > itemByteStart) break;
      tokenByteStart = next;
      token += 1;
    }
    const tokenStart = token;
    const previous = spans.at(-1);
    if (previous !== undefined && tokenStart < previous.tokenEnd) return index;
    let end = tokenStart;
    let endByte = tokenByteStart;
    while (end < tokenIds.length && endByte < itemByteEnd) {
      endByte += tokenizer.tokenByteLength(tokenIds[end]!);
      end += 1;
    }
    // A span that does not sit exactly on the item must still start and end on whole characters:
    // check by decoding (rare: only where the tokenizer glued the item to the separator).
    if (
      !separatorIsAscii &&
      (tokenByteStart !== itemByteStart || endByte !== itemByteEnd) &&
      tokenizer.decode(tokenIds.slice(tokenStart, end)).includes('\uFFFD') &&
      !item.text.includes('\uFFFD')
    ) {
      return index;
    }
    spans.push({ id: item.id, tokenStart, tokenEnd: end });
    itemByteStart = itemByteEnd + separatorBytes;
  }
  return spans;
}
