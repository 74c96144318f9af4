// Intent classification: a query → an intent and per-tier weights (and how much recency matters).
// Rules by default: they need no network and cost microseconds; results are cached in a bounded
// LRU keyed by the normalised query. The `openai` option asks a chat model (through the
// chat-model port) and falls back to the rules when the model fails.
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { ChatModel } from '../../ports/chat-model.js';
import type { MemoryTier } from '../../ports/memory-store.js';

export const INTENTS = [
  'recent',
  'temporal',
  'knowledge',
  'preference',
  'aggregate',
  'general',
] as const;
export type Intent = (typeof INTENTS)[number];

export interface IntentResult {
  intent: Intent;
  /** Multiplies the fused score of items of each tier. */
  tierWeights: Record<MemoryTier, number>;
  /** Multiplies the recency weight of fusion. */
  recencyBoost: number;
  /**
   * Multiplies the weight of episodes as results: a question about many events (a list, "what
   * kinds of…") is better served by summaries that each cover several turns.
   */
  episodeBoost: number;
  source: 'rules' | 'model' | 'cache';
}

/** What each intent means for the tiers: the working tier is now, episodic is what happened, semantic is what is known. */
export const INTENT_PROFILES: Record<Intent, Omit<IntentResult, 'intent' | 'source'>> = {
  recent: {
    tierWeights: { working: 1.3, episodic: 1, semantic: 0.8 },
    recencyBoost: 4,
    episodeBoost: 1,
  },
  temporal: {
    tierWeights: { working: 1, episodic: 1.1, semantic: 0.8 },
    recencyBoost: 1,
    episodeBoost: 1,
  },
  knowledge: {
    tierWeights: { working: 0.8, episodic: 0.9, semantic: 1.3 },
    recencyBoost: 0.5,
    episodeBoost: 1,
  },
  preference: {
    tierWeights: { working: 1, episodic: 1.1, semantic: 1.1 },
    recencyBoost: 1,
    episodeBoost: 1,
  },
  aggregate: {
    tierWeights: { working: 1, episodic: 1.1, semantic: 1 },
    recencyBoost: 0.5,
    episodeBoost: 1.5,
  },
  general: {
    tierWeights: { working: 1, episodic: 1, semantic: 1 },
    recencyBoost: 1,
    episodeBoost: 1,
  },
};

interface Rule {
  intent: Intent;
  pattern: RegExp;
}

// Order matters: the first rule that matches wins.
const RULES: Rule[] = [
  {
    intent: 'recent',
    pattern:
      /\b(just now|a moment ago|latest|most recent(ly)?|currently|right now|so far today|earlier today|last (thing|message|time we (spoke|talked)))\b/i,
  },
  {
    intent: 'temporal',
    pattern:
      /\b(when|what (time|date|day|year|month)|how long (ago|has|have|did|since)|since when|before|after|until|ago|yesterday|last (week|month|year|weekend|night)|in (19|20)\d\d|january|february|march|april|june|july|august|september|october|november|december)\b/i,
  },
  {
    intent: 'preference',
    pattern:
      /\b(favou?rite|prefers?|preferences?|likes?|dislikes?|loves?|hates?|enjoys?|into|fan of|taste)\b/i,
  },
  {
    intent: 'aggregate',
    pattern:
      /\b(what (kinds?|types?|sorts?) of|which \w+s\b|list|all (the|of)|every|how many|how often|ways|activities|things|places|hobbies|events)\b/i,
  },
  {
    intent: 'knowledge',
    pattern:
      /\b(what is|what are|what does|how (do|does|to|can)|explain|define|definition|documentation|docs|api|meaning of|why does)\b/i,
  },
];

export function classifyByRules(query: string): IntentResult {
  for (const rule of RULES) {
    if (rule.pattern.test(query))
      return { intent: rule.intent, ...INTENT_PROFILES[rule.intent], source: 'rules' };
  }
  return { intent: 'general', ...INTENT_PROFILES.general, source: 'rules' };
}

export interface IntentClassifier {
  classify(query: string, signal?: AbortSignal): Promise<IntentResult>;
}

export interface IntentClassifierOptions {
  mode: 'rules' | 'openai';
  /** Entries kept in the LRU cache; 0 turns caching off. */
  cacheSize: number;
  chatModel?: ChatModel;
}

const modelReply = z.object({ intent: z.enum(INTENTS) });

function normalise(query: string): string {
  return query.toLowerCase().replace(/\s+/g, ' ').trim();
}

export function createIntentClassifier(options: IntentClassifierOptions): IntentClassifier {
  const cache =
    options.cacheSize > 0
      ? new LRUCache<string, IntentResult>({ max: options.cacheSize })
      : undefined;
  const model = options.mode === 'openai' ? options.chatModel : undefined;
  async function classifyUncached(query: string, signal?: AbortSignal): Promise<IntentResult> {
    if (!model) return classifyByRules(query);
    try {
      const reply = await model.completeJson(
        modelReply,
        [
          {
            role: 'system',
            content:
              'Classify a memory-recall query. Intents: recent (about what just happened), temporal (about when), ' +
              'knowledge (facts or documentation), preference (likes, wishes), aggregate (lists across many events), ' +
              'general. Reply as JSON {"intent": …}.',
          },
          { role: 'user', content: query },
        ],
        { schemaName: 'intent', maxOutputTokens: 20, ...(signal ? { signal } : {}) },
      );
      return { intent: reply.intent, ...INTENT_PROFILES[reply.intent], source: 'model' };
    } catch {
      // A failing model must not fail recall: the rules are always there.
      return classifyByRules(query);
    }
  }
  return {
    async classify(query, signal) {
      const key = normalise(query);
      const hit = cache?.get(key);
      if (hit) return { ...hit, source: 'cache' };
      const result = await classifyUncached(key, signal);
      cache?.set(key, result);
      return result;
    },
  };
}
