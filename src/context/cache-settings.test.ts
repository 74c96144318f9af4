// Token-cache and tokenizer settings: bad values are reported at start-up with their names.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { parseNamespaceTtls } from './cache-settings.js';
import { parseTokenizerPaths } from './tokenizers/registry.js';

describe('context settings', () => {
  it('parses namespace TTLs', () => {
    expect(parseNamespaceTtls('{"docs":604800,"chat":60}')).toEqual(
      new Map([
        ['docs', 604800],
        ['chat', 60],
      ]),
    );
    expect(parseNamespaceTtls(undefined).size).toBe(0);
  });

  it('reports a bad namespace TTL or tokenizer list by its environment name', () => {
    expect(() =>
      loadConfig({ env: { ENGRAM_TOKEN_CACHE_NAMESPACE_TTLS: '{"docs":-1}' } }),
    ).toThrowError(/ENGRAM_TOKEN_CACHE_NAMESPACE_TTLS.*TTL of "docs" must be a whole number/s);
    expect(() => loadConfig({ env: { ENGRAM_TOKEN_CACHE_NAMESPACE_TTLS: 'docs=5' } })).toThrowError(
      /JSON object/,
    );
    expect(() => loadConfig({ env: { ENGRAM_TOKENIZERS: 'llama3' } })).toThrowError(
      /ENGRAM_TOKENIZERS.*name=\/path/s,
    );
  });

  it('parses tokenizer paths', () => {
    expect(parseTokenizerPaths('llama3=/a/tokenizer.json, qwen=/b/t.json')).toEqual(
      new Map([
        ['llama3', '/a/tokenizer.json'],
        ['qwen', '/b/t.json'],
      ]),
    );
    expect(() => parseTokenizerPaths('o200k_base=/x.json')).toThrowError(/built-in/);
  });
});
