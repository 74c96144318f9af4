// Chooses the embedder and chat model from the configuration. runtime.ts calls these once and
// closes what they return; nothing here keeps a module-level instance.
import type { Config } from '../config/schema.js';
import { AppError, isAppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { ChatModel } from '../ports/chat-model.js';
import type { Embedder, ModelCallRecorder } from '../ports/embedder.js';
import { createCachedEmbedder } from './cached-embedder.js';
import { createLocalEmbedder } from './local-embedder.js';
import { createOpenAiChatModel } from './openai-chat-model.js';
import { createOpenAiEmbedder } from './openai-embedder.js';
import { createStaticEmbedder } from './static-embedder.js';

export interface ProviderDeps {
  logger: Logger;
  /** Engram's own model calls, for telemetry; optional so tools and tests can leave it out. */
  recordCall?: ModelCallRecorder | undefined;
}

/** Texts per local model call: past 32, short texts gain nothing measurable (see local-embedder.ts). */
const LOCAL_MAX_BATCH = 32;

export type EmbedderConfig = Pick<
  Config,
  | 'embedder'
  | 'embedderModel'
  | 'embedderUrl'
  | 'embedderApiKey'
  | 'embedderBatchSize'
  | 'embedderThreads'
  | 'embedderDimensions'
  | 'embedderCacheEntries'
  | 'providerTimeoutMs'
>;

export type ChatModelConfig = Pick<
  Config,
  'llmUrl' | 'llmApiKey' | 'llmModel' | 'providerTimeoutMs'
>;

/**
 * The configured embedder, behind the content-hash cache unless ENGRAM_EMBEDDER_CACHE_ENTRIES=0.
 * The static embedder has no cache: hashing a text costs about what embedding it does.
 */
export function createEmbedder(config: EmbedderConfig, deps: ProviderDeps): Embedder {
  const logger = deps.logger.child({ component: 'embedder' });
  if (config.embedder === 'static')
    return createStaticEmbedder({ logger, recordCall: deps.recordCall });
  let embedder: Embedder;
  if (config.embedder === 'openai') {
    // The config schema already requires a URL for openai; this guards direct callers.
    if (config.embedderUrl === undefined) {
      throw new AppError(
        'CONFIG_INVALID',
        'ENGRAM_EMBEDDER_URL is required when ENGRAM_EMBEDDER=openai',
      );
    }
    embedder = createOpenAiEmbedder({
      baseUrl: config.embedderUrl,
      model: config.embedderModel,
      apiKey: config.embedderApiKey,
      batchSize: config.embedderBatchSize,
      timeoutMs: config.providerTimeoutMs,
      dimensions: config.embedderDimensions,
      logger,
      recordCall: deps.recordCall,
    });
  } else {
    embedder = createLocalEmbedder({
      threads: config.embedderThreads,
      batchSize: Math.min(config.embedderBatchSize, LOCAL_MAX_BATCH),
      logger,
      recordCall: deps.recordCall,
    });
  }
  return config.embedderCacheEntries > 0
    ? createCachedEmbedder(embedder, { maxEntries: config.embedderCacheEntries })
    : embedder;
}

/** The configured chat model, or undefined when no ENGRAM_LLM_URL is set (offline defaults). */
export function createChatModel(
  config: ChatModelConfig,
  deps: ProviderDeps,
): ChatModel | undefined {
  if (config.llmUrl === undefined) return undefined;
  return createOpenAiChatModel({
    baseUrl: config.llmUrl,
    model: config.llmModel,
    apiKey: config.llmApiKey,
    timeoutMs: config.providerTimeoutMs,
    logger: deps.logger.child({ component: 'chat-model' }),
    recordCall: deps.recordCall,
  });
}

/**
 * The embedder's dimension, embedding one probe text first when it is only learned from a
 * response (an openai embedder without ENGRAM_EMBEDDER_DIMENSIONS). For startup code that must
 * size a vector column before any document arrives.
 */
export async function resolveDimension(embedder: Embedder, signal?: AbortSignal): Promise<number> {
  try {
    return embedder.dimension;
  } catch (error) {
    if (!isAppError(error) || error.code !== 'INVALID_STATE') throw error;
  }
  await embedder.embed(['dimension probe'], signal === undefined ? {} : { signal });
  return embedder.dimension;
}
