// Settings that used to pass the check and fail later: API keys shorter than `serve` accepts,
// ENGRAM_TOKENIZERS files that do not exist (a 500 naming the path on first use), secrets with
// a trailing newline. Each is now refused, or cleaned, when the configuration is loaded — so
// `engram config check` and `engram serve` stop with exit code 2 and say why.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../src/config/load-config.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-config-edges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rejection(env: Record<string, string>): string {
  try {
    loadConfig({ env });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration edges', () => {
  it('refuses an API key shorter than 16 characters, without printing it', () => {
    const message = rejection({ ENGRAM_API_KEYS: 'short-key-12:acme' });
    expect(message).toContain('ENGRAM_API_KEYS');
    expect(message).toContain('at least 16 characters');
    expect(message).not.toContain('short-key-12');
    expect(rejection({ ENGRAM_API_KEYS: 'no-tenant-separator-here' })).toContain('ENGRAM_API_KEYS');
    expect(rejection({ ENGRAM_METRICS_TOKEN: 'short' })).toContain('ENGRAM_METRICS_TOKEN');
  });

  it('refuses ENGRAM_TOKENIZERS files that are missing or are not files', () => {
    const missing = join(dir, 'nope', 'tokenizer.json');
    expect(rejection({ ENGRAM_TOKENIZERS: `mine=${missing}` })).toContain(
      `tokenizer "mine": file ${missing} does not exist`,
    );
    expect(rejection({ ENGRAM_TOKENIZERS: `mine=${dir}` })).toContain('is not a file');
    const present = join(dir, 'tokenizer.json');
    writeFileSync(present, '{}');
    expect(loadConfig({ env: { ENGRAM_TOKENIZERS: `mine=${present}` } }).tokenizers).toBe(
      `mine=${present}`,
    );
  });

  it('trims secrets once, so a key pasted with a newline is the key itself', () => {
    const config = loadConfig({
      env: {
        ENGRAM_LLM_API_KEY: 'sk-pasted-key-0001\n',
        ENGRAM_EMBEDDER_API_KEY: '  sk-pasted-key-0002\r\n',
        ENGRAM_API_KEYS: 'key-for-acme-0123456789:acme\n',
        ENGRAM_METRICS_TOKEN: 'metrics-token-0123456789\n',
      },
    });
    expect(config.llmApiKey).toBe('sk-pasted-key-0001');
    expect(config.embedderApiKey).toBe('sk-pasted-key-0002');
    expect(config.apiKeys).toBe('key-for-acme-0123456789:acme');
    expect(config.metricsToken).toBe('metrics-token-0123456789');
    expect(JSON.stringify(describeConfig(config))).not.toContain('metrics-token');
  });

  it('makes `engram config check` exit 2 for a short API key or a missing tokenizer file', async () => {
    const result = await runCli(['config', 'check'], {
      ENGRAM_DATA_DIR: dir,
      ENGRAM_API_KEYS: 'tiny-key:acme',
      ENGRAM_TOKENIZERS: `mine=${join(dir, 'missing.json')}`,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ENGRAM_API_KEYS');
    expect(result.stderr).toContain('ENGRAM_TOKENIZERS');
    expect(result.stderr).not.toContain('tiny-key');
    expect(result.stdout).not.toContain('Configuration is valid');
  });
});
