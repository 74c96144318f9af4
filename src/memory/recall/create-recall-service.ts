// Builds the configured RecallService: the intent classifier from settings (rules, or the chat
// model when ENGRAM_INTENT_CLASSIFIER=openai) and the semantic tier's outside sources — ingested
// chunks (hybrid chunk search) and graph facts — adapted to the shapes recall fuses.
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import type { Embedder } from '../../ports/embedder.js';
import type { ChatModel } from '../../ports/chat-model.js';
import type { MemoryStore } from '../../ports/memory-store.js';
import type { DocumentSearch } from '../../ingest/hybrid-search.js';
import type { GraphService } from '../../graph/graph-service.js';
import { createIntentClassifier } from './intent.js';
import {
  createRecallService,
  type RecallService,
  type SearchChunks,
  type SearchFacts,
} from './recall-service.js';

export interface RecallConfig {
  intentClassifier: 'rules' | 'openai';
  intentCacheSize: number;
  salienceHalfLifeHours: number;
}

export interface ConfiguredRecallDeps {
  config: RecallConfig;
  store: MemoryStore;
  embedder?: Embedder | undefined;
  chatModel?: ChatModel | undefined;
  documentSearch?: Pick<DocumentSearch, 'searchChunks'> | undefined;
  graph?: Pick<GraphService, 'searchFacts'> | undefined;
  clock: Clock;
  logger: Logger;
}

export function createConfiguredRecallService(deps: ConfiguredRecallDeps): RecallService {
  const { documentSearch, graph } = deps;
  const searchChunks: SearchChunks | undefined = documentSearch
    ? async (input) => {
        const result = await documentSearch.searchChunks({
          tenantId: input.tenantId,
          query: input.query,
          k: input.k,
          ...(input.queryVector ? { queryVector: input.queryVector } : {}),
        });
        return result.hits.map((hit) => ({
          chunkId: hit.chunkId,
          documentId: hit.documentId,
          text: hit.text,
          ...(hit.scores.text
            ? { textScore: hit.scores.text.score, textRank: hit.scores.text.rank }
            : {}),
          ...(hit.scores.vector
            ? { vectorScore: hit.scores.vector.similarity, vectorRank: hit.scores.vector.rank }
            : {}),
        }));
      }
    : undefined;
  const searchFacts: SearchFacts | undefined = graph
    ? async (input) => {
        const facts = await graph.searchFacts({
          tenantId: input.tenantId,
          query: input.query,
          k: input.k,
        });
        return facts.map((fact) => ({
          id: fact.id,
          text: fact.text,
          entityIds: [fact.subject.id, fact.object.id],
          score: fact.score,
          validAt: fact.validAt,
        }));
      }
    : undefined;
  return createRecallService({
    store: deps.store,
    embedder: deps.embedder,
    classifier: createIntentClassifier({
      mode: deps.config.intentClassifier,
      cacheSize: deps.config.intentCacheSize,
      ...(deps.chatModel ? { chatModel: deps.chatModel } : {}),
    }),
    clock: deps.clock,
    logger: deps.logger,
    salienceHalfLifeHours: deps.config.salienceHalfLifeHours,
    searchChunks,
    searchFacts,
  });
}
