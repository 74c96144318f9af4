// The TypeScript client as shipped: its generated types match the server's current schemas, the
// built package exports it as `engram/client`, and nothing it loads needs Node (edge runtimes).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_TYPES_PATH, generateClientTypes } from '../../scripts/client-types.js';

/** Every module specifier the built module at `path` loads, following relative ones. */
function loadedSpecifiers(path: string, seen = new Set<string>()): Set<string> {
  const outside = new Set<string>();
  if (seen.has(path)) return outside;
  seen.add(path);
  const source = readFileSync(path, 'utf8');
  for (const [, specifier] of source.matchAll(/(?:import|export)[^'"]*?from\s*'([^']+)'/g)) {
    if (specifier!.startsWith('.')) {
      for (const inner of loadedSpecifiers(join(dirname(path), specifier!), seen))
        outside.add(inner);
    } else outside.add(specifier!);
  }
  return outside;
}

describe('the TypeScript client package', () => {
  it('has generated types up to date with the server (else run npm run client:generate)', async () => {
    expect(readFileSync(GENERATED_TYPES_PATH, 'utf8')).toBe(await generateClientTypes());
  });

  it("is importable as 'engram/client' from the built package", () => {
    const exported = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('engram/client'); console.log(Object.keys(m).sort().join(','))",
      ],
      { encoding: 'utf8' },
    );
    expect(exported.trim()).toBe('Engram,EngramError,IngestHandle');
  });

  it('loads no Node built-in, only openapi-fetch', () => {
    expect([...loadedSpecifiers('dist/client/index.js')]).toEqual(['openapi-fetch']);
  });
});
