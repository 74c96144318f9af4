// Where each token starts in the packed text, as a UTF-16 index (what String.prototype.slice
// takes), so a client can show token boundaries without a tokenizer of its own. Tokens are
// byte-level: one may start inside a character (an emoji split over two tokens); its offset is
// then that character's start, the same as the token before it, so slicing text between
// consecutive offsets gives each character to the first token that holds part of it.
import type { Tokenizer } from './tokenizers/tokenizer.js';

function utf8Length(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  return codePoint < 0x10000 ? 3 : 4;
}

/** offsets[i] = UTF-16 index in `text` of the character holding token i's first byte. */
export function tokenTextOffsets(
  text: string,
  tokenIds: readonly number[],
  tokenizer: Pick<Tokenizer, 'tokenByteLength'>,
): number[] {
  const offsets = new Array<number>(tokenIds.length);
  let unit = 0; // UTF-16 index of the current character
  let byte = 0; // its UTF-8 offset
  let tokenByte = 0;
  for (let i = 0; i < tokenIds.length; i += 1) {
    while (unit < text.length) {
      const codePoint = text.codePointAt(unit)!;
      const length = utf8Length(codePoint);
      if (byte + length > tokenByte) break;
      byte += length;
      unit += codePoint > 0xffff ? 2 : 1;
    }
    offsets[i] = unit;
    tokenByte += tokenizer.tokenByteLength(tokenIds[i]!);
  }
  return offsets;
}
