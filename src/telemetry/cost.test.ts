// The price table: longest-prefix match, shipped defaults, ENGRAM_MODEL_PRICES overrides and its
// refusal of a malformed table at start-up.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { createCostTable, parseModelPrices } from './cost.js';

const tokens = { input: 1_000_000, output: 1_000_000, cacheRead: 1_000_000, cacheWrite: 1_000_000 };

describe('model price table', () => {
  it('prices by the longest matching prefix, cache tokens at their own price', () => {
    const table = createCostTable();
    // claude-opus-4-5 ($5/$25/$0.5/$6.25) must not take claude-opus-4's prices ($15/$75/…).
    expect(table.costOf('claude-opus-4-5-20251101', tokens)).toBeCloseTo(5 + 25 + 0.5 + 6.25, 9);
    expect(table.costOf('claude-opus-4-1-20250805', tokens)).toBeCloseTo(15 + 75 + 1.5 + 18.75, 9);
    expect(table.costOf('gpt-4o-mini-2024-07-18', { ...tokens, cacheWrite: 0 })).toBeCloseTo(
      0.15 + 0.6 + 0.075,
      9,
    );
    expect(table.costOf('my-local-llama', tokens)).toBeUndefined();
  });

  it('prices a model with its own entry by that entry, not by a shorter family one', () => {
    // A family entry priced absurdly: a model with its own entry must not take it.
    const table = createCostTable({
      'claude-sonnet-4': { input: 999, output: 999 },
      'gpt-5': { input: 999, output: 999 },
      'gemini-2.5-flash': { input: 999, output: 999 },
      o3: { input: 999, output: 999 },
    });
    const plain = { input: 1_000_000, output: 1_000_000, cacheRead: 0, cacheWrite: 0 };
    expect(table.costOf('claude-sonnet-4-5-20250929', plain)).toBeCloseTo(3 + 15, 9);
    expect(table.costOf('claude-sonnet-4-20250514', plain)).toBeCloseTo(999 + 999, 9);
    expect(table.costOf('gpt-5-nano-2025-08-07', plain)).toBeCloseTo(0.05 + 0.4, 9);
    expect(table.costOf('gpt-5-pro', plain)).toBeCloseTo(15 + 120, 9);
    expect(table.costOf('gemini-2.5-flash-lite', plain)).toBeCloseTo(0.1 + 0.4, 9);
    expect(table.costOf('o3-mini-2025-01-31', plain)).toBeCloseTo(1.1 + 4.4, 9);
    expect(table.costOf('o4-mini', plain)).toBeCloseTo(1.1 + 4.4, 9);
    // Claude Haiku 3: its own cache prices.
    expect(createCostTable().costOf('claude-3-haiku-20240307', tokens)).toBeCloseTo(
      0.25 + 1.25 + 0.03 + 0.3,
      9,
    );
  });

  it("prices Engram's own provider:model names, an entry for the whole name first", () => {
    const table = createCostTable({ 'openai:text-embedding-3-small': { input: 7, output: 0 } });
    const input = { input: 1_000_000, output: 0, cacheRead: 0, cacheWrite: 0 };
    expect(table.costOf('openai:text-embedding-3-large', input)).toBeCloseTo(0.13, 9);
    expect(table.costOf('openai:text-embedding-3-small', input)).toBeCloseTo(7, 9);
    expect(table.costOf('local:use-lite-512', input)).toBeUndefined();
  });

  it('takes overrides and new models from ENGRAM_MODEL_PRICES', () => {
    const config = loadConfig({
      env: {
        ENGRAM_MODEL_PRICES:
          '{"my-local-llama": {"input": 0.1, "output": 0.2}, "gpt-4o": {"input": 1, "output": 1}}',
      },
      filePath: undefined,
    });
    const table = createCostTable(parseModelPrices(config.modelPrices));
    // No cache prices given: cache tokens cost the input price.
    expect(table.costOf('my-local-llama-3', tokens)).toBeCloseTo(0.1 + 0.2 + 0.1 + 0.1, 9);
    expect(table.costOf('gpt-4o-2024-08-06', { ...tokens, cacheRead: 0, cacheWrite: 0 })).toBe(2);
  });

  it('refuses a malformed table at start-up, saying what is wrong', () => {
    expect(() =>
      loadConfig({
        env: { ENGRAM_MODEL_PRICES: '{"m": {"input": -1, "output": 1}}' },
        filePath: undefined,
      }),
    ).toThrow(/m\.input/);
    expect(() =>
      loadConfig({ env: { ENGRAM_MODEL_PRICES: 'not json' }, filePath: undefined }),
    ).toThrow(/JSON object/);
    expect(() =>
      loadConfig({
        env: { ENGRAM_MODEL_PRICES: '{"m": {"input": 1, "output": 1, "typo": 2}}' },
        filePath: undefined,
      }),
    ).toThrow(/typo|unrecognized/i);
  });
});
