// The tokenizer registry: built-in o200k_base / cl100k_base plus tokenizer.json files named in
// ENGRAM_TOKENIZERS ("name=path,…"), each loaded once, on first use.
import { AppError } from '../../domain/errors.js';
import { createCl100kTokenizer, createO200kTokenizer } from './gpt-tokenizers.js';
import { loadHfTokenizer } from './hf-tokenizer.js';
import type { Tokenizer } from './tokenizer.js';

export { parseTokenizerPaths } from './tokenizer-paths.js';

export interface TokenizerRegistry {
  /** Throws AppError('UNKNOWN_TOKENIZER') naming the known ones. */
  get(name: string): Tokenizer;
  names(): string[];
}

export function createTokenizerRegistry(
  options: { tokenizerPaths?: Map<string, string> } = {},
): TokenizerRegistry {
  const factories = new Map<string, () => Tokenizer>([
    ['o200k_base', createO200kTokenizer],
    ['cl100k_base', createCl100kTokenizer],
  ]);
  for (const [name, path] of options.tokenizerPaths ?? [])
    factories.set(name, () => loadHfTokenizer(name, path));
  const loaded = new Map<string, Tokenizer>();
  return {
    get(name) {
      const existing = loaded.get(name);
      if (existing !== undefined) return existing;
      const factory = factories.get(name);
      if (factory === undefined) {
        const known = [...factories.keys()];
        throw new AppError(
          'UNKNOWN_TOKENIZER',
          `Unknown tokenizer "${name}". Known tokenizers: ${known.join(', ')}.`,
          {
            details: { tokenizer: name, known },
          },
        );
      }
      const tokenizer = factory();
      loaded.set(name, tokenizer);
      return tokenizer;
    },
    names: () => [...factories.keys()],
  };
}
