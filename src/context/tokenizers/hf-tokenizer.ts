// Any Hugging Face byte-level BPE tokenizer.json from a local path, via @huggingface/tokenizers.
// Added tokens (<|begin_of_text|>, <think>, …) are removed before loading, so text that looks like
// a control token is encoded as the characters it is made of, never as the control token.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tokenizer as HfTokenizerExport } from '@huggingface/tokenizers';
import { AppError } from '../../domain/errors.js';
import { sha256Hex } from '../../domain/hashing.js';
import { toWellFormed, type BoundaryRule, type Tokenizer } from './tokenizer.js';

/** The package hides package.json behind "exports": read it next to the resolved entry point. */
function readPackageVersion(): string {
  const entry = createRequire(import.meta.url).resolve('@huggingface/tokenizers');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? 'unknown';
}

const packageVersion = readPackageVersion();

/**
 * The slice of @huggingface/tokenizers we use. Its .d.ts files import without extensions, which
 * NodeNext cannot resolve, so the class is typed here by hand.
 */
export interface HfTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  decode(
    ids: number[],
    options: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean },
  ): string;
  id_to_token(id: number): string | undefined;
}
export const HfTokenizerClass = HfTokenizerExport as unknown as new (
  json: object,
  config: object,
) => HfTokenizer;

/**
 * Split patterns for which boundary-rules.ts proves the line-break rule: Llama 3 and Qwen 2/3 use
 * the cl100k pattern (Qwen with single digits). Anything else packs by encoding the whole text.
 */
const LINE_BREAK_SAFE_PATTERNS = new Set([
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
]);

interface TokenizerJson {
  added_tokens?: unknown[];
  normalizer?: { type?: string } | null;
  pre_tokenizer?: {
    type?: string;
    pretokenizers?: Array<{
      type?: string;
      pattern?: { Regex?: string };
      behavior?: string;
      invert?: boolean;
      use_regex?: boolean;
      add_prefix_space?: boolean;
    }>;
  } | null;
  decoder?: { type?: string } | null;
  model?: { type?: string; dropout?: number | null };
}

function boundaryRuleOf(json: TokenizerJson): BoundaryRule {
  const pre = json.pre_tokenizer;
  if (pre?.type !== 'Sequence' || pre.pretokenizers?.length !== 2) return { kind: 'none' };
  const [split, byteLevel] = pre.pretokenizers;
  const splitOk =
    split?.type === 'Split' &&
    split.behavior === 'Isolated' &&
    split.invert === false &&
    split.pattern?.Regex !== undefined &&
    LINE_BREAK_SAFE_PATTERNS.has(split.pattern.Regex);
  const byteLevelOk =
    byteLevel?.type === 'ByteLevel' &&
    byteLevel.use_regex === false &&
    byteLevel.add_prefix_space === false;
  const normalizerOk =
    json.normalizer === null || json.normalizer === undefined || json.normalizer.type === 'NFC';
  return splitOk && byteLevelOk && normalizerOk
    ? { kind: 'line-break', glueAfterLineBreak: '' }
    : { kind: 'none' };
}

export function loadHfTokenizer(id: string, path: string): Tokenizer {
  if (!existsSync(path)) {
    throw new AppError(
      'CONFIG_INVALID',
      `Tokenizer "${id}": file ${path} does not exist (ENGRAM_TOKENIZERS).`,
    );
  }
  const raw = readFileSync(path);
  let json: TokenizerJson;
  try {
    json = JSON.parse(raw.toString('utf8')) as TokenizerJson;
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `Tokenizer "${id}": ${path} is not valid JSON.`, {
      cause,
    });
  }
  if (
    json.model?.type !== 'BPE' ||
    json.decoder?.type !== 'ByteLevel' ||
    (json.model.dropout ?? 0) > 0
  ) {
    throw new AppError(
      'CONFIG_INVALID',
      `Tokenizer "${id}": ${path} is not a byte-level BPE tokenizer without dropout; only those give exact token IDs.`,
    );
  }
  const configPath = join(dirname(path), 'tokenizer_config.json');
  const config: Record<string, unknown> = existsSync(configPath)
    ? (JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>)
    : {};
  // Decoding must give back the exact text: no " ." → "." clean-up, no added tokens to split on.
  const tokenizer = new HfTokenizerClass(
    { ...json, added_tokens: [] },
    { ...config, clean_up_tokenization_spaces: false, added_tokens_decoder: {} },
  );
  const nfc = json.normalizer?.type === 'NFC';
  const fileHash = sha256Hex(raw);
  return {
    id,
    version: `@huggingface/tokenizers@${packageVersion}+sha256:${fileHash}+plain`,
    boundaryRule: boundaryRuleOf(json),
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) =>
      tokenizer.decode([...ids], {
        skip_special_tokens: false,
        clean_up_tokenization_spaces: false,
      }),
    count: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids.length,
    tokenByteLength: (tokenId) => {
      // Byte-level vocabularies spell every byte as one character (an array lookup inside).
      const token = tokenizer.id_to_token(tokenId);
      if (token === undefined)
        throw new Error(`token ${tokenId} is not in the vocabulary of ${id}`);
      return token.length;
    },
    canonicalize: nfc ? (text) => toWellFormed(text).normalize('NFC') : toWellFormed,
  };
}
