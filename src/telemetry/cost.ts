// The per-model price table: USD per million input, output, cache-read and cache-write tokens.
// The telemetry service gives every model_call event without a cost one from it, whatever its
// source (POST /v1/events, OTLP spans and log records, Engram's own calls); a reported cost (Claude
// Code's cost_usd) is kept. A model matches the longest entry that is a prefix of its name, so
// "claude-sonnet-4-5-20250929" takes "claude-sonnet-4-5" and "claude-sonnet-4-20250514" takes
// "claude-sonnet-4"; a model newer than the table falls to its family's shorter entry (a future
// "claude-opus-4-6" would take "claude-opus-4"), so give it its own entry in ENGRAM_MODEL_PRICES.
// Shipped defaults are the providers' published list prices (standard tier, short context, 5-minute
// cache writes; docs/telemetry.md says where they come from); ENGRAM_MODEL_PRICES adds or replaces
// entries. Engram's own calls name their model "provider:model" ("openai:text-embedding-3-small"):
// an entry for the whole name wins, else the name after the provider is matched.
import { z } from 'zod';

export interface ModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface TokenCounts {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface CostTable {
  /** The cost in USD of one call, or undefined when no entry matches the model. */
  costOf(model: string, tokens: TokenCounts): number | undefined;
}

/** USD per million tokens, list prices (standard tier, 5-minute cache writes). */
export const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  // Anthropic (docs.anthropic.com, "Pricing"): cache writes are the 5-minute ones (1.25 × input).
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4-5': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  'claude-3-haiku': { input: 0.25, output: 1.25, cacheRead: 0.03, cacheWrite: 0.3 },
  // OpenAI (openai.com/api/pricing): cached input as cacheRead; no cache-write charge.
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005 },
  'gpt-5-pro': { input: 15, output: 120 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cacheRead: 0.075 },
  o3: { input: 2, output: 8, cacheRead: 0.5 },
  'o3-pro': { input: 20, output: 80 },
  'o3-mini': { input: 1.1, output: 4.4, cacheRead: 0.55 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
  // Google (ai.google.dev, "Gemini Developer API pricing"), prompts up to 200k tokens.
  'gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.31 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.075 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4, cacheRead: 0.025 },
};

const price = z.number().finite().min(0).max(1_000_000);
const pricesSchema = z.record(
  z.string().min(1).max(200),
  z.strictObject({
    input: price,
    output: price,
    cacheRead: price.optional(),
    cacheWrite: price.optional(),
  }),
);

/** ENGRAM_MODEL_PRICES: a JSON object of model prefix → prices; throws with the reason. */
export function parseModelPrices(text: string | undefined): Record<string, ModelPrice> {
  if (text === undefined || text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('must be a JSON object of model → {input, output, cacheRead?, cacheWrite?}');
  }
  const parsed = pricesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const out: Record<string, ModelPrice> = {};
  for (const [model, p] of Object.entries(parsed.data)) {
    out[model] = {
      input: p.input,
      output: p.output,
      ...(p.cacheRead === undefined ? {} : { cacheRead: p.cacheRead }),
      ...(p.cacheWrite === undefined ? {} : { cacheWrite: p.cacheWrite }),
    };
  }
  return out;
}

export function createCostTable(overrides: Record<string, ModelPrice> = {}): CostTable {
  const prices = new Map(Object.entries({ ...DEFAULT_MODEL_PRICES, ...overrides }));
  // Longest prefix first, so the most specific entry wins.
  const prefixes = [...prices.keys()].sort((a, b) => b.length - a.length);
  return {
    costOf(model, tokens) {
      const name = model.toLowerCase();
      const bare = name.slice(name.indexOf(':') + 1);
      const key =
        prefixes.find((prefix) => name.startsWith(prefix.toLowerCase())) ??
        prefixes.find((prefix) => bare.startsWith(prefix.toLowerCase()));
      if (key === undefined) return undefined;
      const p = prices.get(key)!;
      const usd =
        tokens.input * p.input +
        tokens.output * p.output +
        tokens.cacheRead * (p.cacheRead ?? p.input) +
        tokens.cacheWrite * (p.cacheWrite ?? p.input);
      return usd / 1_000_000;
    },
  };
}
