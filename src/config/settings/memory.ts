// Settings of tiered memory: working-memory size, distillation cadence, salience and sessions.
import { z } from 'zod';
import { integer, number } from '../rules.js';

export const memorySettings = {
  wmMaxTurns: integer(1, 100).default(10),
  emDistillEveryNTurns: integer(1, 50).default(5),
  promotionSalienceThreshold: number(0, 1).default(0.8),
  salienceHalfLifeHours: number(0.01, 100_000).default(168),
  sessionTtlSeconds: integer(60, 31_536_000).default(7 * 24 * 3600),
  summariser: z.enum(['local', 'openai']).default('local'),
  intentClassifier: z.enum(['rules', 'openai']).default('rules'),
  intentCacheSize: integer(0, 1_000_000).default(10_000),
};
