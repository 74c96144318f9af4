// The static embedder: Universal Sentence Encoder lite distilled into one vector per vocabulary
// piece (Model2Vec's idea; scripts/distil-static-embedder.ts made the asset). A text's vector is
// the sum of its pieces' vectors, normalised: no model runs, so it embeds thousands of chunks a
// second on the event loop, at some cost in quality (docs/performance.md has both, measured).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LRUCache } from 'lru-cache';
import { HfTokenizerClass, type HfTokenizer } from '../context/tokenizers/hf-tokenizer.js';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { EmbedOptions, Embedder, ModelCallRecorder } from '../ports/embedder.js';
import { abortError } from './abort.js';
import { l2Normalise } from './l2-normalise.js';
import { modelCallRecorder, recordedCall } from './model-call-recorder.js';
import { decodeStaticEmbedderAsset, type StaticEmbedderAsset } from './static-embedder-asset.js';

export const STATIC_EMBEDDER_ASSET = fileURLToPath(
  new URL('../../assets/static-embedder/use-lite-512-static.bin', import.meta.url),
);

/** Distinct words whose pieces are kept (a word is cut into pieces once, not once per use). */
const WORD_CACHE_ENTRIES = 100_000;
/** Longer words are not kept (a cache of long keys would hold megabytes for nothing). */
const MAX_CACHED_WORD_CHARS = 64;
/**
 * A longer run without whitespace (minified code, base64) is cut into slices of this many
 * characters first: the tokenizer's cost grows with a word's length, and past ~150,000
 * characters it overflows the stack.
 */
const MAX_WORD_CHARS = 100;
/** Longest stretch of embedding before the event loop gets a turn. */
const SLICE_MS = 10;

export interface StaticEmbedderOptions {
  logger: Logger;
  recordCall?: ModelCallRecorder | undefined;
  /** Another asset file (tests). */
  assetPath?: string;
}

export function createStaticEmbedder(options: StaticEmbedderOptions): Embedder {
  const assetPath = options.assetPath ?? STATIC_EMBEDDER_ASSET;
  const asset = loadAsset(assetPath);
  const { dimension, reservedRows } = asset.header;
  const tokenizer = unigramTokenizer(asset);
  const wordPieces = new LRUCache<string, number[]>({ max: WORD_CACHE_ENTRIES });
  // The piece "▁" (a lone space) stands in for a text with no known piece, as the model does.
  const spaceRow = asset.header.vocabulary.findIndex(([piece]) => piece === '▁');
  const record = modelCallRecorder('embedding', 'local', {
    model: asset.header.id,
    logger: options.logger.child({ component: 'static-embedder' }),
    recordCall: options.recordCall,
  });

  function piecesOf(word: string): number[] {
    if (word.length > MAX_CACHED_WORD_CHARS)
      return tokenizer.encode(word, { add_special_tokens: false }).ids;
    let ids = wordPieces.get(word);
    if (ids === undefined) {
      ids = tokenizer.encode(word, { add_special_tokens: false }).ids;
      wordPieces.set(word, ids);
    }
    return ids;
  }

  function embedOne(text: string): Float32Array {
    const sum = new Float32Array(dimension);
    let pieces = 0;
    for (const word of words(text)) {
      for (const id of piecesOf(word)) {
        if (id < reservedRows) continue;
        addRow(sum, asset.vectors, id, dimension);
        pieces++;
      }
    }
    if (pieces === 0 && spaceRow >= 0) addRow(sum, asset.vectors, spaceRow, dimension);
    return l2Normalise(sum);
  }

  return {
    id: asset.header.id,
    dimension,
    embed(texts: string[], embedOptions: EmbedOptions = {}): Promise<Float32Array[]> {
      return recordedCall(record, texts.length, async () => {
        const vectors: Float32Array[] = [];
        let sliceStarted = performance.now();
        for (const text of texts) {
          if (embedOptions.signal?.aborted === true) throw abortError(embedOptions.signal);
          vectors.push(embedOne(text));
          if (performance.now() - sliceStarted > SLICE_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            sliceStarted = performance.now();
          }
        }
        return vectors;
      });
    },
    close: () => Promise.resolve(),
  };
}

/** The text's words (NFKC, split on whitespace), long ones in slices of MAX_WORD_CHARS. */
function* words(text: string): Generator<string> {
  for (const word of text.normalize('NFKC').split(/\s+/u)) {
    let rest = word;
    while (rest.length > MAX_WORD_CHARS) {
      // Never between the two halves of a surrogate pair.
      const cut = /[\uD800-\uDBFF]/.test(rest[MAX_WORD_CHARS - 1]!)
        ? MAX_WORD_CHARS - 1
        : MAX_WORD_CHARS;
      yield rest.slice(0, cut);
      rest = rest.slice(cut);
    }
    if (rest !== '') yield rest;
  }
}

function addRow(sum: Float32Array, vectors: Float32Array, row: number, dimension: number): void {
  const base = row * dimension;
  for (let j = 0; j < dimension; j++) sum[j]! += vectors[base + j]!;
}

function loadAsset(path: string): StaticEmbedderAsset {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new AppError(
      'CONFIG_INVALID',
      `The static embedder's asset ${path} cannot be read; reinstall Engram or set ENGRAM_EMBEDDER=local.`,
      { cause: error },
    );
  }
  return decodeStaticEmbedderAsset(bytes, path);
}

/** The asset's SentencePiece unigram vocabulary, cutting one word (NFKC already applied). */
function unigramTokenizer(asset: StaticEmbedderAsset): HfTokenizer {
  return new HfTokenizerClass(
    {
      normalizer: null,
      pre_tokenizer: {
        type: 'Metaspace',
        replacement: '▁',
        prepend_scheme: 'always',
        split: true,
      },
      model: { type: 'Unigram', unk_id: 0, vocab: asset.header.vocabulary },
      decoder: null,
      post_processor: null,
      added_tokens: [],
    },
    {},
  );
}
