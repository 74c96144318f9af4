// o200k_base and cl100k_base through gpt-tokenizer (the fastest JS BPE measured here).
import { createRequire } from 'node:module';
import cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import o200k from 'gpt-tokenizer/encoding/o200k_base';
import { toWellFormed, type Tokenizer } from './tokenizer.js';

type GptEncoding = typeof o200k;

/** No special token is allowed: `<|endoftext|>` in user text is plain text, and encode never throws. */
const PLAIN_TEXT = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

const packageVersion = (
  createRequire(import.meta.url)('gpt-tokenizer/package.json') as { version: string }
).version;

/**
 * Byte lengths of tokens, read from gpt-tokenizer's rank decoder (each entry is the token's text,
 * or its bytes when they are not valid UTF-8). Not a public API, so createGptTokenizer checks it
 * against a real encoding before trusting it.
 */
function byteLengthTable(encoding: GptEncoding): (id: number) => number {
  const core = (
    encoding as unknown as { bytePairEncodingCoreProcessor?: { bytePairRankDecoder?: unknown } }
  ).bytePairEncodingCoreProcessor;
  const decoder = core?.bytePairRankDecoder;
  const textEncoder = new TextEncoder();
  if (!Array.isArray(decoder)) {
    // Fallback: decode the token alone. Exact for every token whose bytes are valid UTF-8.
    return (id) => textEncoder.encode(encoding.decode([id])).length;
  }
  // One table for the whole vocabulary, built once: lookups sit on the packer's hot path.
  const entries = decoder as Array<string | ArrayLike<number> | undefined>;
  const table = new Uint16Array(entries.length);
  entries.forEach((entry, rank) => {
    if (entry !== undefined) {
      table[rank] = typeof entry === 'string' ? textEncoder.encode(entry).length : entry.length;
    }
  });
  return (id) => {
    const length = table[id];
    if (length === undefined || length === 0)
      throw new Error(`token ${id} is not in the vocabulary`);
    return length;
  };
}

function createGptTokenizer(
  id: 'o200k_base' | 'cl100k_base',
  encoding: GptEncoding,
  glueAfterLineBreak: string,
): Tokenizer {
  const tokenByteLength = byteLengthTable(encoding);
  const probe = 'Token-exact context: 漢字, emoji 😀 and café.\n\n';
  const probeBytes = encoding
    .encode(probe, PLAIN_TEXT)
    .reduce((sum, token) => sum + tokenByteLength(token), 0);
  if (probeBytes !== Buffer.byteLength(probe)) {
    throw new Error(
      `gpt-tokenizer ${packageVersion} changed its internals: token byte lengths do not add up`,
    );
  }
  return {
    id,
    // The plain-text mode is part of the version: the same text would encode differently with specials.
    version: `gpt-tokenizer@${packageVersion}+plain`,
    boundaryRule: { kind: 'line-break', glueAfterLineBreak },
    encode: (text) => encoding.encode(text, PLAIN_TEXT),
    decode: (ids) => encoding.decode(ids),
    count: (text) => encoding.countTokens(text, PLAIN_TEXT),
    tokenByteLength,
    canonicalize: toWellFormed,
  };
}

export function createO200kTokenizer(): Tokenizer {
  return createGptTokenizer('o200k_base', o200k, '/');
}

export function createCl100kTokenizer(): Tokenizer {
  return createGptTokenizer('cl100k_base', cl100k, '');
}
