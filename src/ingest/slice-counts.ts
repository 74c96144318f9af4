// Exact token counts of many slices of one text, from one pass over the text. A BPE tokenizer
// splits a text into pre-tokens with a regular expression and counts each pre-token alone.
// o200k_base's and cl100k_base's expressions read nothing before where a match starts, and past
// where it ends only through `(?!\S)` and `$`, each right after a run of whitespace. Hence:
// - A pre-token counted alone is one pre-token: the match its text chose is still there alone,
//   and a match preferred to it can succeed alone only through its end, so it is the whole piece.
// - Once a slice's own pre-tokens end where one of its text's ends, the two go on in step, one
//   pre-token for one, as long as they start before the slice's trailing whitespace (only there
//   can the slice's end change a match), and end before the last character the slice changes:
//   a slice that ends inside a surrogate pair ends in a lone half, which reads as another
//   character than the pair.
// So a slice counts as its own first pre-tokens until they fall in step with the text's, plus
// the text's running total from there to its last pre-token end before the slice's trailing
// whitespace, plus the rest of the slice counted alone. slice-counts.test.ts holds every slice of
// generated texts (whitespace of every kind, digits, contractions, marks, surrogate pairs) to
// the count of the slice alone, for both encodings; the chunker's own tests do the same on
// documents.
import { isWhitespace } from '../domain/long-runs.js';

/** Whether `at` falls between the two halves of a surrogate pair of `text`. */
function splitsPair(text: string, at: number): boolean {
  const before = text.charCodeAt(at - 1);
  const after = text.charCodeAt(at);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

/** The token count of text.slice(start, end), counted alone. */
export type SliceCounter = (start: number, end: number) => number;

export function createSliceCounter(
  text: string,
  split: RegExp,
  countPiece: (piece: string) => number,
): SliceCounter {
  const pattern = new RegExp(
    split.source,
    split.flags.includes('g') ? split.flags : `${split.flags}g`,
  );
  /** Each pre-token of `subject` in turn (a private expression: one match loop at a time). */
  const eachPiece = (subject: string, visit: (piece: string, end: number) => boolean): void => {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(subject); match !== null; match = pattern.exec(subject)) {
      if (match[0].length === 0) {
        pattern.lastIndex += 1;
        continue;
      }
      if (!visit(match[0], pattern.lastIndex)) return;
    }
  };
  const countAlone = (slice: string): number => {
    let n = 0;
    eachPiece(slice, (piece) => {
      n += countPiece(piece);
      return true;
    });
    return n;
  };

  // ends[k] is where the text's k-th pre-token ends (ends[0] = 0, before the first), and
  // totals[k] the count of the pre-tokens up to there.
  const ends: number[] = [0];
  const totals: number[] = [0];
  let total = 0;
  eachPiece(text, (piece, end) => {
    total += countPiece(piece);
    ends.push(end);
    totals.push(total);
    return true;
  });
  /** The index of the last pre-token end at or before `at`. */
  const lastEndUpTo = (at: number): number => {
    let low = 0;
    let high = ends.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (ends[mid]! <= at) low = mid;
      else high = mid - 1;
    }
    return low;
  };

  return (start, end) => {
    if (end <= start) return 0;
    // The slice's pre-tokens are the text's up to where the slice's end can change a match:
    // the start of its trailing whitespace, or, where the slice splits a surrogate pair, before
    // the pair's first half (a pre-token reads the character after it, and alone that half is
    // another character).
    let inStepUpTo = end;
    while (inStepUpTo > start && isWhitespace(text.charCodeAt(inStepUpTo - 1))) inStepUpTo -= 1;
    if (inStepUpTo === end && splitsPair(text, end)) inStepUpTo = end - 2;
    const last = lastEndUpTo(inStepUpTo);
    const lastEnd = ends[last]!;
    const slice = text.slice(start, end);
    if (lastEnd <= start) return countAlone(slice);
    let head = 0;
    let inStep = -1;
    let k = lastEndUpTo(start);
    eachPiece(slice, (piece, pieceEnd) => {
      head += countPiece(piece);
      const at = start + pieceEnd;
      if (at > lastEnd) return true; // past where the two can fall in step: count on alone
      while (ends[k + 1]! <= at) k += 1;
      if (ends[k] !== at) return true;
      inStep = k;
      return false;
    });
    if (inStep === -1) return head;
    return head + totals[last]! - totals[inStep]! + countAlone(text.slice(lastEnd, end));
  };
}
