// Configuration: defaults, every bad setting reported at once, secrets masked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../src/config/load-config.js';
import { AppError } from '../../src/domain/errors.js';

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig({ env });
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).message;
  }
  throw new Error('expected the configuration to be rejected');
}

const dir = mkdtempSync(join(tmpdir(), 'engram-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('has working defaults for the embedded server', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8420,
      dataDir: './.engram',
      wmMaxTurns: 10,
      emDistillEveryNTurns: 5,
      promotionSalienceThreshold: 0.8,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  it('reports every bad setting in one message with its name, value and rule', () => {
    const message = problemsOf({
      ENGRAM_PORT: 'abc',
      ENGRAM_WM_MAX_TURNS: '0',
      ENGRAM_LOG_LEVEL: 'loud',
    });
    expect(message).toContain('3 problems');
    expect(message).toContain('ENGRAM_PORT="abc": must be a whole number from 1 to 65535');
    expect(message).toContain('ENGRAM_WM_MAX_TURNS="0": must be a whole number from 1 to 100');
    expect(message).toContain('ENGRAM_LOG_LEVEL="loud"');
  });

  it.each([
    [{ ENGRAM_WM_MAX_TURNS: '101' }, 'ENGRAM_WM_MAX_TURNS'],
    [{ ENGRAM_WM_MAX_TURNS: '2.5' }, 'ENGRAM_WM_MAX_TURNS'],
    [{ ENGRAM_EM_DISTILL_EVERY_N_TURNS: '0' }, 'ENGRAM_EM_DISTILL_EVERY_N_TURNS'],
    [
      { ENGRAM_EM_DISTILL_EVERY_N_TURNS: '51', ENGRAM_WM_MAX_TURNS: '100' },
      'ENGRAM_EM_DISTILL_EVERY_N_TURNS',
    ],
    [
      { ENGRAM_EM_DISTILL_EVERY_N_TURNS: '8', ENGRAM_WM_MAX_TURNS: '6' },
      'must not exceed ENGRAM_WM_MAX_TURNS (6)',
    ],
    [{ ENGRAM_PROMOTION_SALIENCE_THRESHOLD: '1.5' }, 'ENGRAM_PROMOTION_SALIENCE_THRESHOLD'],
    [{ ENGRAM_PROMOTION_SALIENCE_THRESHOLD: '-0.1' }, 'ENGRAM_PROMOTION_SALIENCE_THRESHOLD'],
    [{ ENGRAM_DATABASE_URL: 'mysql://x' }, 'must start with postgres://'],
    [{ ENGRAM_PORTT: '1' }, 'ENGRAM_PORTT="1": is not a known setting'],
  ])('rejects %j', (env, expected) => {
    expect(problemsOf(env)).toContain(expected);
  });

  it('accepts the memory settings at their bounds', () => {
    const config = loadConfig({
      env: {
        ENGRAM_WM_MAX_TURNS: '50',
        ENGRAM_EM_DISTILL_EVERY_N_TURNS: '50',
        ENGRAM_PROMOTION_SALIENCE_THRESHOLD: '0',
      },
    });
    expect(config).toMatchObject({
      wmMaxTurns: 50,
      emDistillEveryNTurns: 50,
      promotionSalienceThreshold: 0,
    });
  });

  it('reads a JSON file, with environment variables winning', () => {
    const file = join(dir, 'engram.config.json');
    writeFileSync(file, JSON.stringify({ port: 9000, wmMaxTurns: 20 }));
    const config = loadConfig({ env: { ENGRAM_PORT: '9100' }, filePath: file });
    expect(config.port).toBe(9100);
    expect(config.wmMaxTurns).toBe(20);
  });

  it('names a broken or missing config file', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ env: {}, filePath: file })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ env: {}, filePath: join(dir, 'missing.json') })).toThrow(
      /does not exist/,
    );
    writeFileSync(file, JSON.stringify({ portt: 1 }));
    expect(() => loadConfig({ env: {}, filePath: file })).toThrow(/unknown keys portt/);
  });

  it('masks secrets when describing the effective config', () => {
    const config = loadConfig({
      env: {
        ENGRAM_API_KEYS: 'abcdefghijklmnopqrstuvwxyz:acme',
        ENGRAM_DATABASE_URL: 'postgres://engram:hunter2@db:5432/engram',
      },
    });
    const described = JSON.stringify(describeConfig(config));
    expect(described).not.toContain('hunter2');
    expect(described).not.toContain('abcdefghijklmnop');
    expect(describeConfig(config).ENGRAM_API_KEYS).toBe('***');
  });
});
