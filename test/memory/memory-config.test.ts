// The three memory settings are validated once at load, each error naming its variable.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';

function problems(env: Record<string, string>): string {
  try {
    loadConfig({ env, filePath: undefined });
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('memory settings', () => {
  it('defaults to a valid tiered-memory configuration', () => {
    const config = loadConfig({ env: {}, filePath: undefined });
    expect(config.wmMaxTurns).toBeGreaterThanOrEqual(config.emDistillEveryNTurns);
    expect(config.promotionSalienceThreshold).toBeGreaterThanOrEqual(0);
    expect(config.promotionSalienceThreshold).toBeLessThanOrEqual(1);
  });

  it.each([
    [{ ENGRAM_WM_MAX_TURNS: '1', ENGRAM_EM_DISTILL_EVERY_N_TURNS: '1' }],
    [{ ENGRAM_WM_MAX_TURNS: '100', ENGRAM_EM_DISTILL_EVERY_N_TURNS: '50' }],
    [{ ENGRAM_PROMOTION_SALIENCE_THRESHOLD: '0' }],
    [{ ENGRAM_PROMOTION_SALIENCE_THRESHOLD: '1' }],
  ])('accepts the bounds %j', (env) => {
    expect(problems(env)).toBe('');
  });

  it.each([
    [{ ENGRAM_WM_MAX_TURNS: '0' }, 'ENGRAM_WM_MAX_TURNS="0": must be a whole number from 1 to 100'],
    [
      { ENGRAM_WM_MAX_TURNS: '101' },
      'ENGRAM_WM_MAX_TURNS="101": must be a whole number from 1 to 100',
    ],
    [{ ENGRAM_WM_MAX_TURNS: 'ten' }, 'ENGRAM_WM_MAX_TURNS="ten"'],
    [
      { ENGRAM_EM_DISTILL_EVERY_N_TURNS: '0' },
      'ENGRAM_EM_DISTILL_EVERY_N_TURNS="0": must be a whole number from 1 to 50',
    ],
    [
      { ENGRAM_WM_MAX_TURNS: '100', ENGRAM_EM_DISTILL_EVERY_N_TURNS: '51' },
      'ENGRAM_EM_DISTILL_EVERY_N_TURNS="51": must be a whole number from 1 to 50',
    ],
    [
      { ENGRAM_WM_MAX_TURNS: '4', ENGRAM_EM_DISTILL_EVERY_N_TURNS: '5' },
      'ENGRAM_EM_DISTILL_EVERY_N_TURNS="5": must not exceed ENGRAM_WM_MAX_TURNS (4)',
    ],
    [
      { ENGRAM_PROMOTION_SALIENCE_THRESHOLD: '1.01' },
      'ENGRAM_PROMOTION_SALIENCE_THRESHOLD="1.01": must be a number from 0 to 1',
    ],
    [
      { ENGRAM_PROMOTION_SALIENCE_THRESHOLD: '-0.5' },
      'ENGRAM_PROMOTION_SALIENCE_THRESHOLD="-0.5": must be a number from 0 to 1',
    ],
  ])('rejects %j', (env, message) => {
    expect(problems(env)).toContain(message);
  });

  it('reports every bad memory setting at once', () => {
    const message = problems({
      ENGRAM_WM_MAX_TURNS: '0',
      ENGRAM_PROMOTION_SALIENCE_THRESHOLD: '2',
    });
    expect(message).toContain('ENGRAM_WM_MAX_TURNS');
    expect(message).toContain('ENGRAM_PROMOTION_SALIENCE_THRESHOLD');
  });
});
