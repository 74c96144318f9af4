// The one configuration schema. Each capability keeps its settings in settings/<name>.ts;
// every setting's environment name is ENGRAM_ + its key in UPPER_SNAKE_CASE.
import { z } from 'zod';
import { contextSettings } from './settings/context.js';
import { ingestSettings } from './settings/ingest.js';
import { memorySettings } from './settings/memory.js';
import { requestSettings } from './settings/requests.js';
import { serverSettings } from './settings/server.js';
import { telemetrySettings } from './settings/telemetry.js';

export const configSchema = z
  .object({
    ...serverSettings,
    ...requestSettings,
    ...ingestSettings,
    ...memorySettings,
    ...contextSettings,
    ...telemetrySettings,
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.emDistillEveryNTurns > config.wmMaxTurns) {
      ctx.addIssue({
        code: 'custom',
        path: ['emDistillEveryNTurns'],
        message: `must not exceed ENGRAM_WM_MAX_TURNS (${config.wmMaxTurns})`,
      });
    }
    if (config.embedder === 'openai' && config.embedderUrl === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['embedderUrl'],
        message: 'is required when ENGRAM_EMBEDDER=openai',
      });
    }
    const needsLlm =
      config.extractor === 'openai' ||
      config.summariser === 'openai' ||
      config.intentClassifier === 'openai';
    if (needsLlm && config.llmUrl === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['llmUrl'],
        message: 'is required when an openai extractor, summariser or intent classifier is chosen',
      });
    }
    if (config.jobBackoffBaseMs > config.jobBackoffMaxMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['jobBackoffBaseMs'],
        message: `must not exceed ENGRAM_JOB_BACKOFF_MAX_MS (${config.jobBackoffMaxMs})`,
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;

export function envNameOf(key: string): string {
  const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2');
  return `ENGRAM_${snake.toUpperCase()}`;
}

export const CONFIG_KEYS = Object.keys(configSchema.shape) as ConfigKey[];
