// When may token IDs of separately encoded pieces be concatenated? Only where it provably equals
// encoding the whole. This file holds the two rules the packer uses and their proofs.
//
// All four pre-tokenizers we prove things for (gpt-tokenizer's cl100k and o200k patterns, the
// Llama 3 and Qwen 2/3 Split patterns) cut the text into pieces with one global regex, scanned
// left to right, and BPE-encode each piece on its own. So encode(X + Y) = encode(X) ++ encode(Y)
// exactly when the scan of X + Y has a piece boundary at |X| and the pieces on each side are the
// pieces of X and of Y alone. Facts about the patterns (every alternative consumes ≥ 1 character,
// no look-behind; the only context-sensitive parts are `(?!\S)` and, in gpt-tokenizer's cl100k,
// `\s+$`):
//
// (S) Suffix. If c is a piece boundary of T, the pieces after c are the pieces of T[c..]: a match
//     starting at c depends only on the text from c on.
// (P) Prefix. If c is a piece boundary of T and T[c-1] is not a space-like character (anything
//     whitespace except \r and \n), the pieces before c are the pieces of T[..c]. Cutting T at c
//     can only make `(?!\S)` or `$` succeed AT c, i.e. for a whitespace run ending at c; such a
//     run ends in a line break (T[c-1] is \r/\n or not whitespace at all), and the earlier
//     alternative `\s*[\r\n]+` (`\s*[\r\n]` in gpt-tokenizer) matches exactly the same run first.
// (L) Line break. If T[c-1] is \r or \n and T[c] is neither whitespace nor '/', c is a piece
//     boundary. The only alternatives that can hold a line break are whitespace runs (which cannot
//     take T[c]) and the punctuation alternative ` ?[^\s\p{L}\p{N}]+[\r\n]*` (o200k: `[\r\n/]*`),
//     whose line breaks are its tail, which cannot take T[c] either — except '/' in o200k, whose
//     tail is `[\r\n/]*`: the tokenizer names such characters in glueAfterLineBreak.
//     A whitespace-only alternative other than `\s*[\r\n]+` cannot reach T[c-1]: that one would
//     have matched first at the same start.
// (E) Word end. If X ends with a letter or digit (\p{L}, \p{N}) and Y starts with whitespace, |X| is
//     a piece boundary of X + Y: no alternative puts a letter or digit and a following whitespace
//     character in one piece.
//
// Line-break rule (L + P + S): with a separator ending in \r or \n and a next item that starts
// with neither whitespace nor '/', encode(item + separator + rest) =
// encode(item + separator) ++ encode(rest). Applied item after item, a context is the
// concatenation of its per-item units "item + separator", each cacheable on its own.
// Word-end rule (E + P): encode(item) is the prefix of encode(item + separator) that spells item.
//
// A normaliser must not join across the cut either: NFC (Qwen) is fine because '\n' never
// composes with a neighbour; the packer checks the assembled text is already canonical anyway.
// Property tests (packer.test.ts) check every rule against a fresh encode for all tokenizers.
import type { Tokenizer } from './tokenizers/tokenizer.js';

/** Whitespace in JavaScript's \s or Oniguruma's (Unicode White_Space, which adds U+0085). */
const WHITESPACE = /[\s\u0085]/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

function lastCodePoint(text: string): string {
  const code = text.codePointAt(text.length - 1);
  if (code === undefined) return '';
  // A trailing low surrogate belongs to the pair that ends the string.
  return code >= 0xdc00 && code <= 0xdfff && text.length >= 2
    ? String.fromCodePoint(text.codePointAt(text.length - 2) ?? code)
    : String.fromCodePoint(code);
}

/** Line-break rule: may `separator + next` start a new, independently encoded unit? */
export function cutsBefore(tokenizer: Tokenizer, separator: string, next: string): boolean {
  const rule = tokenizer.boundaryRule;
  if (rule.kind !== 'line-break') return false;
  const last = separator.at(-1);
  if (last !== '\n' && last !== '\r') return false;
  const first = String.fromCodePoint(next.codePointAt(0) ?? 0x20);
  return !rule.glueAfterLineBreak.includes(first) && !WHITESPACE.test(first);
}

/** Word-end rule: is encode(item) a prefix of encode(item + separator)? */
export function itemIsPrefixOfUnit(tokenizer: Tokenizer, item: string, separator: string): boolean {
  if (tokenizer.boundaryRule.kind !== 'line-break' || item === '' || separator === '') return false;
  const firstOfSeparator = String.fromCodePoint(separator.codePointAt(0) ?? 0x41);
  return LETTER_OR_DIGIT.test(lastCodePoint(item)) && WHITESPACE.test(firstOfSeparator);
}

/** Is this UTF-16 unit whitespace in JavaScript's \s or Oniguruma's? (All are single units.) */
function isWhitespaceUnit(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** Leading and trailing whitespace removed, in the union of both regex dialects (a scan, no regex). */
export function trimWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isWhitespaceUnit(text.charCodeAt(start))) start += 1;
  while (end > start && isWhitespaceUnit(text.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}
