// ContextService: recall for a query, then pack the recalled items into a token budget for a
// named tokenizer, returning the text and its exact token IDs (see packer.ts for the invariants).
// Recall belongs to the memory capability and is injected as a function. It is read page by page
// (recall-pages.ts) until the budget is filled or recall has nothing more, so any budget from 1
// to MAX_TOKENS_LIMIT takes the same path.
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import type { Clock } from '../domain/clock.js';
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { trimWhitespace } from './boundary-rules.js';
import { MAX_TOKENS_LIMIT } from './context-limits.js';
import { DEFAULT_SEPARATOR, packContext, type PackedItem } from './packer.js';
import { tokenTextOffsets } from './token-offsets.js';
import { packFromRecallPages } from './recall-pages.js';
import type { TokenIdSource } from './token-id-source.js';
import type { TokenizerRegistry } from './tokenizers/registry.js';

/**
 * One page of recall, best first: the items at positions [offset, offset + k) of the ranking.
 * Fewer than k items means recall has nothing more.
 */
export type ContextRecall = (input: {
  tenantId: string;
  query: string;
  sessionId?: string;
  userId?: string;
  offset: number;
  k: number;
  /** The request's deadline: cancels the recall's provider calls. */
  signal?: AbortSignal;
}) => Promise<Array<{ id: string; text: string; score: number }>>;

export interface BuildContextInput {
  tenantId: string;
  query: string;
  sessionId?: string | undefined;
  userId?: string | undefined;
  /** Token-cache namespace (its TTL); memories have no namespace, so it does not scope recall. */
  namespace?: string | undefined;
  tokenizer: string;
  maxTokens: number;
  separator?: string | undefined;
  /** Also return where each token starts in the text (see token-offsets.ts). */
  tokenOffsets?: boolean | undefined;
  /** Aborts the recall behind the context (the request's deadline, or the client leaving). */
  signal?: AbortSignal | undefined;
}

export interface BuiltContext {
  text: string;
  tokenIds: number[];
  tokenCount: number;
  items: PackedItem[];
  /** With `tokenOffsets: true`: the UTF-16 index in text where each token starts. */
  tokenOffsets?: number[];
  truncated: boolean;
  tokenizer: { id: string; version: string };
  cache: { hits: number; misses: number };
  timings: { recallMs: number; packMs: number };
}

export interface WarmInput {
  tenantId: string;
  namespace: string;
  tokenizers: string[];
  texts: string[];
  separator?: string | undefined;
}

export interface WarmResult {
  texts: number;
  entries: number;
  alreadyCached: number;
  tokenized: number;
  attempts: number;
}

export interface ContextService {
  build(input: BuildContextInput): Promise<BuiltContext>;
  /** Pre-fills the token cache for texts (both their unit and their last-item form). */
  warm(input: WarmInput): Promise<WarmResult>;
  tokenizerNames(): string[];
}

export interface ContextServiceOptions {
  recall: ContextRecall;
  tokenizers: TokenizerRegistry;
  tokenIds: TokenIdSource;
  clock: Clock;
  logger: Logger;
  /** Namespace (for the cache TTL) of requests that name none. */
  defaultNamespace?: string;
  /** The most items one recall call may return (recall's own limit on k; default 100). */
  recallPageSize?: number;
  warmAttempts?: number;
}

export function createContextService(options: ContextServiceOptions): ContextService {
  const { tokenizers, tokenIds, logger } = options;
  const defaultNamespace = options.defaultNamespace ?? 'default';

  return {
    tokenizerNames: () => tokenizers.names(),

    async build(input) {
      if (
        !Number.isInteger(input.maxTokens) ||
        input.maxTokens < 1 ||
        input.maxTokens > MAX_TOKENS_LIMIT
      ) {
        throw new AppError(
          'VALIDATION_FAILED',
          `maxTokens must be a whole number from 1 to ${MAX_TOKENS_LIMIT}.`,
        );
      }
      const tokenizer = tokenizers.get(input.tokenizer); // UNKNOWN_TOKENIZER before any recall work
      const namespace = input.namespace ?? defaultNamespace;
      let hits = 0;
      let misses = 0;
      const { packed, recallMs, packMs } = await packFromRecallPages({
        maxTokens: input.maxTokens,
        pageSize: options.recallPageSize ?? 100,
        recallPage: (offset, k) =>
          options.recall({
            tenantId: input.tenantId,
            query: input.query,
            offset,
            k,
            ...(input.sessionId === undefined ? {} : { sessionId: input.sessionId }),
            ...(input.userId === undefined ? {} : { userId: input.userId }),
            ...(input.signal === undefined ? {} : { signal: input.signal }),
          }),
        pack: (items) =>
          packContext(
            {
              items,
              tokenizer,
              maxTokens: input.maxTokens,
              separator: input.separator ?? DEFAULT_SEPARATOR,
            },
            async (texts) => {
              const result = await tokenIds.encodeMany(tokenizer, texts, {
                tenantId: input.tenantId,
                namespace,
              });
              hits += result.hits;
              misses += result.misses;
              return result.ids;
            },
          ),
      });
      logger.debug(
        {
          tenant: input.tenantId,
          tokenizer: tokenizer.id,
          tokens: packed.tokenCount,
          items: packed.items.length,
          hits,
          misses,
        },
        'context built',
      );
      return {
        text: packed.text,
        tokenIds: packed.tokenIds,
        tokenCount: packed.tokenCount,
        items: packed.items,
        ...(input.tokenOffsets === true
          ? { tokenOffsets: tokenTextOffsets(packed.text, packed.tokenIds, tokenizer) }
          : {}),
        truncated: packed.truncated,
        tokenizer: { id: tokenizer.id, version: tokenizer.version },
        cache: { hits, misses },
        timings: { recallMs: round(recallMs), packMs: round(packMs) },
      };
    },

    async warm(input) {
      const separator = input.separator ?? DEFAULT_SEPARATOR;
      const policy = retry(handleAll, {
        maxAttempts: Math.max(0, (options.warmAttempts ?? 5) - 1),
        backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 5_000 }),
      });
      let entries = 0;
      let alreadyCached = 0;
      let tokenized = 0;
      let attempts = 0;
      for (const name of input.tokenizers) {
        const tokenizer = tokenizers.get(name);
        const canonicalSeparator = tokenizer.canonicalize(separator);
        // The keys build() looks up: each item followed by the separator, and each item alone
        // (the last item of a context, when its IDs cannot be cut from the unit's).
        const units = new Set<string>();
        for (const text of input.texts) {
          const item = trimWhitespace(tokenizer.canonicalize(text));
          if (item === '') continue;
          units.add(item + canonicalSeparator);
          units.add(item);
        }
        const scope = { tenantId: input.tenantId, namespace: input.namespace };
        const texts = [...units];
        entries += texts.length;
        for (let start = 0; start < texts.length; start += 256) {
          const batch = texts.slice(start, start + 256);
          let firstAttempt = true;
          await policy.execute(async () => {
            attempts += 1;
            const result = await tokenIds.encodeMany(tokenizer, batch, scope);
            if (firstAttempt) {
              alreadyCached += result.hits;
              tokenized += result.misses;
              firstAttempt = false;
            }
            await tokenIds.flush();
            // A cache that failed answered "miss" and dropped the write: check, and try again.
            const check = await tokenIds.encodeMany(tokenizer, batch, scope);
            if (check.misses > 0) {
              throw new AppError(
                'UNAVAILABLE',
                `token cache kept ${check.hits} of ${batch.length} entries`,
                { retryable: true },
              );
            }
          });
        }
      }
      return { texts: input.texts.length, entries, alreadyCached, tokenized, attempts };
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
