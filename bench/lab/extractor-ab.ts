// Lab: two builds of the offline extractor compared, for a change too small for this machine's
// drift between runs (it ran the same code up to a fifth faster or slower from minute to
// minute). First both builds extract every chunk of the ingest bench's Markdown, every BEAM and
// LoCoMo message and every CoNLL04 sentence, and must agree on each. Then child processes, each
// loading one build, time its extraction of the bench's chunks, the builds in turns. (Both builds
// in one process were tried for timing: the build imported second ran 1.2 times slower on the
// same code, by an amount that changed with what ran before, so their ratios misled.)
//   npm run build && cp -r dist /tmp/before   (then change, npm run build)
//   npx tsx bench/lab/extractor-ab.ts /tmp/before dist [rounds]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { ChunkText, Extraction } from '../../src/ports/extractor.js';
import { generateCorpus } from '../suites/ingest.js';
import { beamTexts, locomoTexts } from './lab-texts.js';

type Extract = (chunk: ChunkText) => Extraction;
const load = async (dist: string): Promise<Extract> =>
  (
    (await import(pathToFileURL(resolve(dist, 'graph/local-extractor.js')).href)) as {
      extractChunk: Extract;
    }
  ).extractChunk;

/** The bench's Markdown in pieces of about a chunk's size (1,800 characters or more). */
function benchChunks(bytes: number): string[] {
  const out: string[] = [];
  for (const document of generateCorpus(bytes)) {
    let piece = '';
    for (const paragraph of document.split('\n\n')) {
      piece = piece === '' ? paragraph : `${piece}\n\n${paragraph}`;
      if (piece.length > 1_800) {
        out.push(piece);
        piece = '';
      }
    }
    if (piece !== '') out.push(piece);
  }
  return out;
}

/**
 * One build's ms a chunk over the chunks in `file`, after 300 chunks to warm it, in a child
 * process of plain Node as `engram serve` runs it (loaded through tsx's loader, the same change
 * measured four times as large).
 */
function timeBuild(dist: string, file: string): number {
  const script = `
    const { extractChunk } = await import(${JSON.stringify(pathToFileURL(resolve(dist, 'graph/local-extractor.js')).href)});
    const texts = JSON.parse((await import('node:fs')).readFileSync(${JSON.stringify(file)}, 'utf8'));
    for (const text of texts.slice(0, 300)) extractChunk({ id: 'c', ordinal: 0, text });
    const started = performance.now();
    for (let round = 0; round < 2; round++) for (const text of texts) extractChunk({ id: 'c', ordinal: 0, text });
    process.stdout.write(String((performance.now() - started) / (2 * texts.length)));`;
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  );
}

const [before, after, rounds] = process.argv.slice(2);
if (before === undefined || after === undefined)
  throw new Error('usage: extractor-ab.ts <dist before> <dist after> [rounds]');
const texts = benchChunks(3 * 1024 * 1024);
{
  const [old, next] = [await load(before), await load(after)];
  const corpus = [
    ...texts,
    ...(await beamTexts(1, 10)),
    ...(await locomoTexts(['conv-26', 'conv-30', 'conv-41', 'conv-42', 'conv-43'])),
    ...(
      JSON.parse(readFileSync('../shared/data/graph/conll04_dev.json', 'utf8')) as Array<{
        tokens: string[];
      }>
    ).map((sentence) => sentence.tokens.join(' ')),
  ];
  const differ = corpus.filter(
    (text) =>
      !isDeepStrictEqual(old({ id: 'c', ordinal: 0, text }), next({ id: 'c', ordinal: 0, text })),
  );
  console.log(`${corpus.length} texts, ${differ.length} extracted differently`);
  for (const text of differ.slice(0, 3)) console.log(`  ${JSON.stringify(text.slice(0, 160))}`);
  const dir = mkdtempSync(join(tmpdir(), 'engram-extractor-ab-'));
  const file = join(dir, 'chunks.json');
  writeFileSync(file, JSON.stringify(texts));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const child = (dist: string) => timeBuild(dist, file);
  const times: Record<'before' | 'after', number[]> = { before: [], after: [] };
  for (let round = 0; round < Number(rounds ?? 6); round++) {
    times.before.push(child(before));
    times.after.push(child(after));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const show = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(', ');
  console.log(`${texts.length} chunks, ms a chunk in turns:`);
  console.log(`  before ${show(times.before)} (mean ${mean(times.before).toFixed(3)})`);
  console.log(`  after  ${show(times.after)} (mean ${mean(times.after).toFixed(3)})`);
  console.log(`  after / before: ${(mean(times.after) / mean(times.before)).toFixed(3)}`);
}
