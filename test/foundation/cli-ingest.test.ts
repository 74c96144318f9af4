// `engram ingest` as a user runs it beside a running `engram serve` on the same data directory:
// a PDF and a DOCX made at test time go in, complete, and the server finds their text; the same
// files again are unchanged, and an edited file becomes version 2 of the same document.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document, HeadingLevel, Packer, Paragraph } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, freePort, runCli, spawnCli, waitForHttp } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'engram-cli-ingest-'));
const env = { ENGRAM_DATA_DIR: join(dir, 'data'), ENGRAM_LOG_LEVEL: 'warn' };
let base: string;
let server: ReturnType<typeof spawnCli>;
let exited: ReturnType<typeof collect>;

async function pdfOf(line: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.addPage().drawText(line, { x: 50, y: 700, font, size: 12 });
  return pdf.save();
}

async function docxOf(line: string): Promise<Buffer> {
  return Packer.toBuffer(
    new Document({
      sections: [
        {
          children: [
            new Paragraph({ text: 'Harbour rules', heading: HeadingLevel.HEADING_1 }),
            new Paragraph(line),
          ],
        },
      ],
    }),
  );
}

interface Row {
  path: string;
  id: string;
  note: string;
  version: number;
  status: string;
  error: string | null;
}

async function ingest(...files: string[]): Promise<Row[]> {
  const result = await runCli(['ingest', ...files, '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout.slice(result.stdout.indexOf('['))) as Row[];
}

async function search(query: string): Promise<{ documentId: string; text: string }[]> {
  const response = await fetch(`${base}/v1/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, k: 5 }),
  });
  return ((await response.json()) as { hits: { documentId: string; text: string }[] }).hits;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawnCli(['serve'], { ...env, ENGRAM_PORT: String(port) });
  exited = collect(server);
  await waitForHttp(`${base}/health`);
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
});

describe('engram ingest beside a running server', () => {
  it('ingests a PDF and a DOCX the server then finds; an unchanged file is a no-op, an edited one version 2', async () => {
    const pdfPath = join(dir, 'tides.pdf');
    const docxPath = join(dir, 'harbour.docx');
    writeFileSync(pdfPath, await pdfOf('High tide at the pier comes at noon.'));
    writeFileSync(docxPath, await docxOf('Moor small boats on the east quay.'));

    const first = await ingest(pdfPath, docxPath);
    expect(first.map((row) => [row.note, row.status, row.version])).toEqual([
      ['new', 'completed', 1],
      ['new', 'completed', 1],
    ]);
    const [docx, pdf] = [
      first.find((r) => r.path.endsWith('.docx'))!,
      first.find((r) => r.path.endsWith('.pdf'))!,
    ];
    expect((await search('tide pier noon'))[0]?.documentId).toBe(pdf.id);
    expect((await search('moor boats quay'))[0]).toMatchObject({ documentId: docx.id });

    const again = await ingest(pdfPath, docxPath);
    expect(again.map((row) => row.note)).toEqual(['unchanged', 'unchanged']);

    writeFileSync(docxPath, await docxOf('Moor small boats on the west slipway instead.'));
    const edited = await ingest(docxPath);
    expect(edited).toMatchObject([
      { id: docx.id, note: 'version 2', version: 2, status: 'completed' },
    ]);
    const hits = await search('moor boats quay slipway');
    expect(
      hits
        .filter((hit) => hit.documentId === docx.id)
        .map((hit) => hit.text)
        .join('\n'),
    ).toMatch(/west slipway/);
    expect(hits.some((hit) => hit.text.includes('east quay'))).toBe(false);
  });
});
