// Runs of characters without whitespace longer than some length: what a tokeniser whose cost
// grows with the square of a token's length must not be given whole (base64, a data URI, 100k
// ">"). Found by a scan of character codes: the regular expression `\S{n,}` took longer than the
// tokenising it guarded (50 µs against 43 for 2 KB of prose). Whitespace is exactly `\s`.

const WHITESPACE = /\s/;

/** Whether a UTF-16 code unit is whitespace as `\s` has it. */
export function isWhitespace(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  // Every character `\s` matches is one UTF-16 code unit.
  return WHITESPACE.test(String.fromCharCode(code));
}

/**
 * Each run of more than `maxChars` characters without whitespace, as [start, end) in UTF-16 code
 * units, in text order; with `spaces`, each such run of whitespace too (`\S{n,}|\s{n,}`).
 * Characters are code units (`\S{n,}`), or with `codePoints` code points (`\S{n,}` with the u
 * flag: an emoji is one character, not two; every whitespace character is one code unit).
 */
export function longRuns(
  text: string,
  maxChars: number,
  options: { codePoints?: boolean; spaces?: boolean } = {},
): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  if (text.length <= maxChars) return runs;
  let start = 0;
  let length = 0;
  let inSpaces = false;
  const close = (end: number) => {
    if (length > maxChars && (!inSpaces || options.spaces === true)) runs.push([start, end]);
  };
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    const space = isWhitespace(code);
    if (space !== inSpaces) {
      close(at);
      start = at;
      length = 0;
      inSpaces = space;
    }
    // The second half of a surrogate pair adds no code point.
    const trailing =
      options.codePoints === true &&
      code >= 0xdc00 &&
      code <= 0xdfff &&
      at > start &&
      isLeadingSurrogate(text.charCodeAt(at - 1));
    if (!trailing) length += 1;
  }
  close(text.length);
  return runs;
}

function isLeadingSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
