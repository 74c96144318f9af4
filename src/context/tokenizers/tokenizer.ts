// The tokenizer contract the context packer relies on, and the text canonicalisation every
// tokenizer shares. A tokenizer's `id` + `version` go into every token-cache key.

/** How the packer may assemble token IDs from independently encoded pieces (see boundary-rules.ts). */
/** How the packer may assemble token IDs from independently encoded pieces (see boundary-rules.ts). */
export type BoundaryRule =
  /**
   * The pre-tokenizer is one of the GPT-4-family split regexes (cl100k, o200k, Llama 3, Qwen 2/3),
   * for which a line break followed by a character that is neither whitespace nor in
   * `glueAfterLineBreak` is always a piece boundary ('/' for o200k, whose punctuation pieces may
   * continue with `[\r\n/]*`).
   */
  | { kind: 'line-break'; glueAfterLineBreak: string }
  /** Nothing is proven: the packer encodes the whole text. */
  | { kind: 'none' };

export interface Tokenizer {
  /** The name users pass (`o200k_base`, or the name given in ENGRAM_TOKENIZERS). */
  readonly id: string;
  /** Changes whenever the same text could encode differently (library version, vocabulary file). */
  readonly version: string;
  readonly boundaryRule: BoundaryRule;
  /**
   * Token IDs of `text`, treating every character as plain text: `<|endoftext|>` in user text is
   * encoded as the characters it is made of, never as a control token, and never throws.
   */
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  count(text: string): number;
  /** UTF-8 bytes token `id` stands for (all our tokenizers are byte-level BPE). */
  tokenByteLength(id: number): number;
  /**
   * The form of `text` this tokenizer round-trips exactly: well-formed UTF-16 (lone surrogates
   * become U+FFFD, as UTF-8 encoding would make them) and the tokenizer's own normaliser (NFC for
   * Qwen). `decode(encode(canonicalize(t))) === canonicalize(t)`.
   */
  canonicalize(text: string): string;
}

type WellFormedString = string & { isWellFormed?: () => boolean; toWellFormed?: () => string };

/** Lone surrogates replaced by U+FFFD (String.prototype.toWellFormed, which ES2023 typings lack). */
export function toWellFormed(text: string): string {
  const native = text as WellFormedString;
  if (native.isWellFormed !== undefined && native.toWellFormed !== undefined) {
    return native.isWellFormed() ? text : native.toWellFormed();
  }
  if (!/[\uD800-\uDFFF]/.test(text)) return text;
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}
