// The static embedder, for real: the shipped asset, the model it was distilled from, and texts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AppError } from '../domain/errors.js';
import { createSilentLogger } from '../domain/logger.js';
import type { ModelCall } from '../ports/embedder.js';
import { dot } from './l2-normalise.js';
import {
  decodeStaticEmbedderAsset,
  encodeStaticEmbedderAsset,
  type StaticEmbedderAsset,
} from './static-embedder-asset.js';
import { distilStaticEmbedder, STATIC_EMBEDDER_ID } from './static-embedder-distil.js';
import { createStaticEmbedder, STATIC_EMBEDDER_ASSET } from './static-embedder.js';
import { loadUseLite } from './use-lite-model.js';

const logger = createSilentLogger();
const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

describe('static embedder asset', () => {
  let shipped: StaticEmbedderAsset;
  beforeAll(() => {
    shipped = decodeStaticEmbedderAsset(readFileSync(STATIC_EMBEDDER_ASSET), 'shipped');
  });

  it('is what distilling the bundled model gives today, row by row', async () => {
    const fresh = await distilStaticEmbedder(await loadUseLite());
    expect(shipped.header).toEqual(fresh.header);
    const { dimension } = fresh.header;
    let worstOverStep = 0;
    for (let row = 0; row < fresh.header.vocabulary.length; row++) {
      let max = 0;
      for (let j = 0; j < dimension; j++)
        max = Math.max(max, Math.abs(fresh.vectors[row * dimension + j]!));
      const halfStep = max / 127 / 2;
      for (let j = 0; j < dimension; j++) {
        const error = Math.abs(
          shipped.vectors[row * dimension + j]! - fresh.vectors[row * dimension + j]!,
        );
        worstOverStep = Math.max(worstOverStep, error - halfStep);
      }
    }
    // Within half a quantisation step of every value (plus float32 rounding).
    expect(worstOverStep).toBeLessThan(1e-6);
  }, 120_000);

  it('round-trips any vectors within half a quantisation step per row', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: 54, maxLength: 54 }),
        (rows, dimension, values) => {
          const vectors = Float32Array.from(values.slice(0, rows * dimension));
          const header = {
            format: 1 as const,
            id: 'test',
            dimension,
            vocabulary: Array.from({ length: rows }, (_, i): [string, number] => [
              `▁p${i}`,
              -1 - i,
            ]),
            reservedRows: 0,
            provenance: 'test',
          };
          const decoded = decodeStaticEmbedderAsset(
            encodeStaticEmbedderAsset(header, vectors),
            'test',
          );
          expect(decoded.header).toEqual(header);
          for (let row = 0; row < rows; row++) {
            const slice = vectors.subarray(row * dimension, (row + 1) * dimension);
            const halfStep = slice.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127 / 2;
            for (let j = 0; j < dimension; j++)
              expect(
                Math.abs(decoded.vectors[row * dimension + j]! - slice[j]!),
              ).toBeLessThanOrEqual(halfStep * 1.0001 + 1e-7);
          }
        },
      ),
    );
  });

  it('refuses a file that is not an asset, cut short, or missing, saying which file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-static-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const bytes = readFileSync(STATIC_EMBEDDER_ASSET);
    const cases: Array<[string, Buffer | undefined, RegExp]> = [
      ['not-an-asset.bin', Buffer.from('{"hello": "world"}'), /not an asset/],
      [
        'bad-header.bin',
        Buffer.concat([Buffer.from('EGSE'), Buffer.from([5, 0, 0, 0]), Buffer.from('{nope')]),
        /not JSON/,
      ],
      [
        'wrong-header.bin',
        Buffer.concat([
          Buffer.from('EGSE'),
          Buffer.from([12, 0, 0, 0]),
          Buffer.from('{"format":1}'),
        ]),
        /header lacks/,
      ],
      ['cut-short.bin', bytes.subarray(0, bytes.length - 100), /bytes, expected/],
      ['missing.bin', undefined, /cannot be read/],
    ];
    for (const [name, content, why] of cases) {
      const path = join(dir, name);
      if (content !== undefined) writeFileSync(path, content);
      let caught: unknown;
      try {
        createStaticEmbedder({ logger, assetPath: path });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).code).toBe('CONFIG_INVALID');
      expect((caught as AppError).message).toMatch(why);
      expect((caught as AppError).message).toContain(path);
    }
  });
});

describe('static embedder', () => {
  const calls: ModelCall[] = [];
  const embedder = createStaticEmbedder({ logger, recordCall: (call) => calls.push(call) });

  it('gives 512-d unit vectors where a paraphrase is closer than an unrelated sentence', async () => {
    expect(embedder.id).toBe(STATIC_EMBEDDER_ID);
    expect(embedder.dimension).toBe(512);
    const [puppy, dog, tax, reset, forgot] = await embedder.embed([
      'I adopted a puppy last week.',
      'We got a new dog a few days ago.',
      'The quarterly tax filing deadline is in April.',
      'How do I reset my password?',
      'I forgot my login credentials and need to change them.',
    ]);
    for (const vector of [puppy, dog, tax, reset, forgot]) {
      expect(vector!.length).toBe(512);
      expect(norm(vector!)).toBeCloseTo(1, 5);
    }
    expect(dot(puppy!, dog!)).toBeGreaterThan(dot(puppy!, tax!) + 0.1);
    expect(dot(reset!, forgot!)).toBeGreaterThan(dot(reset!, tax!) + 0.1);
  });

  it('gives each text the same vector alone, in any batch, in any order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 8 }),
        async (texts) => {
          const together = await embedder.embed(texts);
          const reversed = await embedder.embed([...texts].reverse());
          for (let i = 0; i < texts.length; i++) {
            const [alone] = await embedder.embed([texts[i]!]);
            expect(together[i]).toEqual(alone);
            expect(reversed[texts.length - 1 - i]).toEqual(alone);
            expect(together[i]!.every(Number.isFinite)).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('reads words, not spacing: runs of spaces, tabs and newlines are one space', async () => {
    const [spaced, plain] = await embedder.embed([
      '  the  cat\n\tsat \r\n on the mat ',
      'the cat sat on the mat',
    ]);
    expect(spaced).toEqual(plain);
  });

  it('gives text with no known piece (empty, spaces, private-use characters) a unit vector', async () => {
    const vectors = await embedder.embed(['', '   \n', '\uE000\uE001']);
    for (const vector of vectors) expect(norm(vector)).toBeCloseTo(1, 5);
    expect(vectors[1]).toEqual(vectors[0]);
  });

  it('embeds a 300,000-character run without whitespace (base64, minified code) as slices', async () => {
    const run = Array.from({ length: 300_000 }, (_, i) => 'aZ09+/'[i % 6]).join('');
    const [long, slices] = await embedder.embed([
      run,
      Array.from({ length: 3_000 }, (_, i) => run.slice(i * 100, (i + 1) * 100)).join(' '),
    ]);
    expect(norm(long!)).toBeCloseTo(1, 5);
    expect(long).toEqual(slices);
  });

  it('rejects an aborted call and records it as failed', async () => {
    calls.length = 0;
    const controller = new AbortController();
    controller.abort();
    await expect(embedder.embed(['hello'], { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    await embedder.embed(['hello', 'world']);
    expect(calls).toEqual([
      expect.objectContaining({
        kind: 'embedding',
        provider: 'local',
        model: STATIC_EMBEDDER_ID,
        items: 1,
        success: false,
        error: 'aborted',
      }),
      expect.objectContaining({ model: STATIC_EMBEDDER_ID, items: 2, success: true }),
    ]);
  });

  it('gives a long text the same vector whether or not the event loop got turns in between', async () => {
    // 2 000 texts of ~300 words take well over one 10 ms slice: the call yields and goes on.
    const long = Array.from({ length: 300 }, (_, i) => `word${i % 97} about topic ${i % 13}`).join(
      ' ',
    );
    const texts = Array.from({ length: 2_000 }, (_, i) => `${i} ${long}`);
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const vectors = await embedder.embed(texts);
    clearInterval(ticker);
    expect(turns).toBeGreaterThan(0);
    expect(vectors[1_999]).toEqual((await embedder.embed([texts[1_999]!]))[0]);
  });
});
