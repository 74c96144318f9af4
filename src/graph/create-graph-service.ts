// Builds the graph service from configuration: the offline extractor by default, the chat-model
// extractor with ENGRAM_EXTRACTOR=openai. Name embeddings join entity resolution only with an
// `openai` embedder: the local USE-lite model scores unrelated names too close (see entity-resolver).
import type { Config } from '../config/schema.js';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { ChatModel } from '../ports/chat-model.js';
import type { Embedder } from '../ports/embedder.js';
import type { Extractor } from '../ports/extractor.js';
import type { GraphStore } from '../ports/graph-store.js';
import { createChatExtractor } from './chat-extractor.js';
import type { GraphMetrics } from './graph-metrics.js';
import {
  createGraphService,
  type GraphService,
  type GraphServiceOptions,
} from './graph-service.js';
import { createLocalExtractor } from './create-local-extractor.js';

export interface GraphServiceDeps {
  config: Pick<Config, 'embedder' | 'entityFuzzyThreshold' | 'entityEmbeddingThreshold'>;
  store: GraphStore;
  embedder: Embedder;
  /** createConfiguredExtractor's; its owner closes it. */
  extractor: Extractor;
  clock: Clock;
  logger: Logger;
  metrics?: GraphMetrics;
  /** A document's chunks, for the sentence each mention was read in. */
  documentChunks?: GraphServiceOptions['documentChunks'];
}

/** The extractor the configuration names (also what `engram eval graph` measures). */
export function createConfiguredExtractor(
  config: Pick<Config, 'extractor' | 'extractorThreads'>,
  chatModel: ChatModel | undefined,
  logger: Logger,
): Extractor {
  if (config.extractor !== 'openai')
    return createLocalExtractor({ threads: config.extractorThreads, logger });
  if (chatModel === undefined)
    throw new AppError('CONFIG_INVALID', 'ENGRAM_EXTRACTOR=openai needs ENGRAM_LLM_URL');
  return createChatExtractor({ chatModel });
}

export function createConfiguredGraphService(deps: GraphServiceDeps): GraphService {
  const { config } = deps;
  return createGraphService({
    store: deps.store,
    extractor: deps.extractor,
    clock: deps.clock,
    logger: deps.logger.child({ component: 'graph' }),
    entityFuzzyThreshold: config.entityFuzzyThreshold,
    entityEmbeddingThreshold: config.entityEmbeddingThreshold,
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    ...(config.embedder === 'openai' ? { embedder: deps.embedder } : {}),
    ...(deps.documentChunks === undefined ? {} : { documentChunks: deps.documentChunks }),
  });
}
