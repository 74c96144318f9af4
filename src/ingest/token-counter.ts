// Token counting for chunk sizes: gpt-tokenizer's o200k_base (or cl100k_base). Special-token
// text such as "<|endoftext|>" in a document is counted as ordinary text, never rejected.
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';

export type TokenCounter = (text: string) => number;
export type ChunkEncoding = 'o200k_base' | 'cl100k_base';

const NO_SPECIAL = { disallowedSpecial: new Set<string>() };

export function createTokenCounter(encoding: ChunkEncoding = 'o200k_base'): TokenCounter {
  const count = encoding === 'cl100k_base' ? countCl100k : countO200k;
  return (text) => (text.length === 0 ? 0 : count(text, NO_SPECIAL));
}
