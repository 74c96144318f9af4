// Real documents through the HTTP API on SQLite: a PDF and a DOCX made at test time (pdf-lib,
// docx), an HTML page with navigation and a table, a CommonMark file with front matter, CSV and
// JSON; as JSON with contentBase64 and as multipart uploads. Checks chunk text, pages, heading
// paths and search hits; then broken and hostile files (truncated PDF, a scan with no text
// layer, a zip bomb, deep markup, an oversized upload) fail alone with a clear error.
import { zipSync } from 'fflate';
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCX_MIME } from '../../src/ports/document-store.js';
import { createHashingEmbedder } from '../memory/hashing-embedder.js';
import {
  buildStack,
  freshLocation,
  openBackend,
  waitForStatus,
  type Backend,
  type IngestStack,
} from './harness.js';

const TENANT = 'default';
const MAX_BYTES = 1024 * 1024;
let place: Awaited<ReturnType<typeof freshLocation>>;
let backend: Backend;
let stack: IngestStack;

beforeAll(async () => {
  place = await freshLocation('sqlite');
  backend = await openBackend(place!.location);
  stack = await buildStack(backend, createHashingEmbedder(), { maxDocumentBytes: MAX_BYTES });
  stack.startWorker();
});

afterAll(async () => {
  await stack?.close();
  await backend?.close();
  await place?.destroy();
});

async function makePdf(pages: string[][]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const page = pdf.addPage();
    lines.forEach((line, i) => page.drawText(line, { x: 50, y: 700 - i * 20, font, size: 12 }));
  }
  return pdf.save();
}

async function makeDocx(): Promise<Buffer> {
  const cell = (text: string) => new TableCell({ children: [new Paragraph(text)] });
  const document = new Document({
    sections: [
      {
        children: [
          new Paragraph({ text: 'Deployment guide', heading: HeadingLevel.HEADING_1 }),
          new Paragraph('Engram stores memories in SQLite by default.'),
          new Paragraph({ text: 'Backups', heading: HeadingLevel.HEADING_2 }),
          new Paragraph({ text: 'Copy the data directory nightly.', bullet: { level: 0 } }),
          new Paragraph({ text: 'Keep seven generations.', bullet: { level: 0 } }),
          new Table({ rows: [new TableRow({ children: [cell('port'), cell('8080')] })] }),
        ],
      },
    ],
  });
  return Packer.toBuffer(document);
}

async function submitJson(body: Record<string, unknown>): Promise<string> {
  const response = await stack.app.inject({ method: 'POST', url: '/v1/documents', payload: body });
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ id: string }>().id;
}

function multipart(file: { name: string; bytes: Uint8Array }, fields: Record<string, string> = {}) {
  const boundary = `----engram${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.from(file.bytes),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

async function upload(
  file: { name: string; bytes: Uint8Array },
  fields: Record<string, string> = {},
) {
  return stack.app.inject({ method: 'POST', url: '/v1/documents', ...multipart(file, fields) });
}

async function completed(id: string) {
  const document = await waitForStatus(stack.service, TENANT, id, ['completed', 'failed']);
  expect(document.error).toBeNull();
  expect(document.status).toBe('completed');
  return document;
}

async function failed(id: string) {
  const document = await waitForStatus(stack.service, TENANT, id, ['completed', 'failed']);
  expect(document.status).toBe('failed');
  return document;
}

async function chunksOf(id: string) {
  const response = await stack.app.inject({ method: 'GET', url: `/v1/documents/${id}/chunks` });
  return response.json<{
    chunks: {
      text: string;
      headingPath: string[];
      page: number | null;
      startOffset: number;
      endOffset: number;
    }[];
  }>().chunks;
}

async function search(query: string, documentIds: string[]) {
  const response = await stack.app.inject({
    method: 'POST',
    url: '/v1/search',
    payload: { query, k: 5, filters: { documentIds } },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{
    hits: { documentId: string; text: string; page: number | null; headingPath: string[] }[];
  }>().hits;
}

describe('document formats through the API', () => {
  it('reads a PDF sent as base64: text per page, each chunk knows its page, search finds page 2', async () => {
    const bytes = await makePdf([
      ['Quarterly report.', 'Revenue grew in the northern region.'],
      ['Appendix.', 'The zeppelin fleet was retired.'],
    ]);
    const id = await submitJson({
      contentBase64: Buffer.from(bytes).toString('base64'),
      title: 'report',
    });
    const document = await completed(id);
    expect(document.mimeType).toBe('application/pdf');
    const chunks = await chunksOf(id);
    expect(chunks.map((c) => [c.page, c.text])).toEqual([
      [1, 'Quarterly report. Revenue grew in the northern region.'],
      [2, 'Appendix. The zeppelin fleet was retired.'],
    ]);
    const hits = await search('zeppelin', [id]);
    expect(hits[0]).toMatchObject({ documentId: id, page: 2 });
  });

  it('reads a DOCX upload (multipart): headings become heading paths, list items and table rows kept', async () => {
    const response = await upload(
      { name: 'guide.docx', bytes: await makeDocx() },
      { namespace: 'docs' },
    );
    expect(response.statusCode, response.body).toBe(202);
    const id = response.json<{ id: string }>().id;
    const document = await completed(id);
    expect(document).toMatchObject({ mimeType: DOCX_MIME, title: 'guide.docx', namespace: 'docs' });
    const chunks = await chunksOf(id);
    expect(chunks.map((c) => [c.headingPath, c.page])).toEqual([
      [['Deployment guide'], null],
      [['Deployment guide', 'Backups'], null],
    ]);
    expect(chunks[1]!.text).toBe(
      '## Backups\n\n- Copy the data directory nightly.\n\n- Keep seven generations.\n\nport | 8080',
    );
  });

  it('reads an HTML page: title, headings, table rows; navigation, header, footer and scripts dropped', async () => {
    const html = `<!doctype html><html><head><title>Pricing page</title><script>var x = "tracker";</script></head>
      <body><header><a href="/">Home</a> Sitewide banner</header><nav><ul><li>Docs</li><li>Blog</li></ul></nav>
      <main><h1>Plans</h1><p>Every plan includes <b>backups</b>.</p>
      <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Hobby</td><td>$0</td></tr><tr><td>Team</td><td>$49</td></tr></table>
      <h2>Support</h2><pre>curl -s https://example.test
  --verbose</pre></main><aside>Related links</aside><footer>Copyright footer</footer></body></html>`;
    const id = await submitJson({ content: html });
    const document = await completed(id);
    expect(document.mimeType).toBe('text/html');
    expect(document.title).toBe('Pricing page');
    const chunks = await chunksOf(id);
    const text = chunks.map((c) => c.text).join('\n\n');
    expect(text).toBe(
      '# Plans\n\nEvery plan includes backups.\n\nPlan | Price\n\nHobby | $0\n\nTeam | $49\n\n## Support\n\ncurl -s https://example.test\n  --verbose',
    );
    expect(chunks.map((c) => c.headingPath)).toEqual([['Plans'], ['Plans', 'Support']]);
    for (const hidden of [
      'Home',
      'banner',
      'Docs',
      'Related',
      'Copyright',
      'tracker',
      'Pricing page',
    ])
      expect(text).not.toContain(hidden);
    expect((await search('Hobby', [id]))[0]?.text).toContain('Hobby | $0');
  });

  it('reads CommonMark with front matter: the YAML is not chunked, offsets point into the source', async () => {
    const source = `---\ntitle: Runbook\ntags: [ops]\n---\n# Runbook\n\nRestart the *worker* first.\n\n## Checks\n\n| probe | path |\n| --- | --- |\n| ready | /ready |\n\n\`\`\`sh\ncurl /health\n\`\`\`\n`;
    const id = await submitJson({ content: source, mimeType: 'text/markdown' });
    expect((await completed(id)).title).toBe('Runbook');
    // A title sent with the document wins over the one it names.
    const named = await submitJson({
      content: source.replace('Runbook', 'Playbook'),
      mimeType: 'text/markdown',
      title: 'Ops',
    });
    expect((await completed(named)).title).toBe('Ops');
    const chunks = await chunksOf(id);
    for (const chunk of chunks)
      expect(source.slice(chunk.startOffset, chunk.endOffset)).toBe(chunk.text);
    expect(chunks.map((c) => c.headingPath)).toEqual([['Runbook'], ['Runbook', 'Checks']]);
    expect(chunks.map((c) => c.text).join('')).not.toContain('tags:');
    expect(chunks[1]!.text).toContain('| ready | /ready |');
    expect(chunks[1]!.text).toContain('curl /health');
  });

  it('reads CSV and JSON as records', async () => {
    const csv = await submitJson({
      content: 'name,role\nAda,engineer\nGrace,admiral\n',
      mimeType: 'text/csv',
    });
    const json = await submitJson({ content: JSON.stringify([{ city: 'Oslo', pop: 709000 }]) });
    await completed(csv);
    expect((await stack.service.get(TENANT, json)).mimeType).toBe('application/json');
    await completed(json);
    expect((await chunksOf(csv)).map((c) => c.text)).toEqual([
      'name: Ada; role: engineer\n\nname: Grace; role: admiral',
    ]);
    expect((await chunksOf(json)).map((c) => c.text)).toEqual(['city: Oslo; pop: 709000']);
  });

  it('sniffs the type from the bytes, not the name or the declared type', async () => {
    const bytes = await makePdf([['Sniffed from bytes, named notes.txt.']]);
    const response = await upload({ name: 'notes.txt', bytes }, { mimeType: 'text/plain' });
    expect(response.statusCode, response.body).toBe(202);
    const document = await completed(response.json<{ id: string }>().id);
    expect(document.mimeType).toBe('application/pdf');
    const declaredPdf = await stack.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: { content: 'not a pdf', mimeType: 'application/pdf' },
    });
    expect(declaredPdf.statusCode).toBe(400);
    expect(declaredPdf.json<{ error: { message: string } }>().error.message).toMatch(
      /declared application\/pdf but is text/,
    );
    const binary = await stack.app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: { contentBase64: Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x90]).toString('base64') },
    });
    expect(binary.statusCode).toBe(400);
  });
});

describe('broken and hostile documents fail alone', () => {
  it('a truncated PDF, a scan without text, a zip bomb and deep markup each fail at chunk with a clear error; a good document beside them completes', async () => {
    const pdf = await makePdf([['A healthy page of text.']]);
    const truncated = await submitJson({
      contentBase64: Buffer.from(pdf.subarray(0, 200)).toString('base64'),
    });
    const scan = await submitJson({
      contentBase64: Buffer.from(await makePdf([[]])).toString('base64'),
    });
    // 200 MB of zeros declared in word/document.xml: tiny compressed, refused before inflating.
    const bomb = zipSync(
      {
        '[Content_Types].xml': new TextEncoder().encode('<Types/>'),
        'word/document.xml': new Uint8Array(200 * 1024 * 1024),
      },
      { level: 9 },
    );
    expect(bomb.byteLength).toBeLessThan(MAX_BYTES / 2);
    const bombId = await submitJson({ contentBase64: Buffer.from(bomb).toString('base64') });
    // The same bomb lying about its sizes (1,000 bytes declared in both headers): it is
    // inflated in steps and counted, and refused when the count passes the limit.
    const liar = Uint8Array.from(bomb);
    const view = new DataView(liar.buffer);
    for (let at = 0; at + 30 <= liar.byteLength; at += 1) {
      const signature = view.getUint32(at, true);
      if (signature === 0x04034b50) view.setUint32(at + 22, 1000, true);
      if (signature === 0x02014b50) view.setUint32(at + 24, 1000, true);
    }
    const liarId = await submitJson({ contentBase64: Buffer.from(liar).toString('base64') });
    const deep = await submitJson({
      // 100k open <div>s (the closing tags would pass the 1 MiB body limit of this test server).
      content: `<html><body>${'<div>'.repeat(100_000)}deep</body></html>`,
    });
    const good = await submitJson({ content: '# Healthy\n\nThis one is fine.' });

    expect(await failed(truncated)).toMatchObject({
      stage: 'chunk',
      error: expect.stringMatching(/PDF could not be read/),
    });
    expect(await failed(scan)).toMatchObject({
      stage: 'chunk',
      error: expect.stringMatching(/no text layer/),
    });
    expect(await failed(bombId)).toMatchObject({
      stage: 'chunk',
      error: expect.stringMatching(/zip bomb/),
    });
    expect(await failed(liarId)).toMatchObject({
      stage: 'chunk',
      error: expect.stringMatching(/expands to more than \d+ bytes.*zip bomb/),
    });
    expect(await failed(deep)).toMatchObject({
      stage: 'chunk',
      error: expect.stringMatching(/nests elements more than 256 deep/),
    });
    await completed(good);
    expect((await chunksOf(good)).map((c) => c.text)).toEqual(['# Healthy\n\nThis one is fine.']);
    for (const id of [truncated, scan, bombId, liarId, deep])
      expect(await chunksOf(id)).toEqual([]);
    expect((await search('healthy fine', [good]))[0]?.documentId).toBe(good);
  });

  it('deeply nested Markdown (100k-level blockquote, a list 600 levels deep) completes with every character chunked; markdown-it caps its own nesting', async () => {
    const quotes = `${'>'.repeat(100_000)} the bottom of the well`;
    const list = Array.from({ length: 600 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n');
    const ids = [await submitJson({ content: quotes, mimeType: 'text/markdown' })];
    ids.push(await submitJson({ content: list, mimeType: 'text/markdown' }));
    for (const [index, id] of ids.entries()) {
      await completed(id);
      const source = index === 0 ? quotes : list;
      const chunks = await chunksOf(id);
      // Every non-space character of the source is inside some chunk's range.
      const covered = new Uint8Array(source.length);
      for (const chunk of chunks) covered.fill(1, chunk.startOffset, chunk.endOffset);
      const missed = [...source].filter((c, i) => c.trim() !== '' && covered[i] === 0);
      expect(missed).toEqual([]);
    }
  });

  it('an upload past the size limit is refused with 413 and stores nothing', async () => {
    const before = (await stack.service.list({ tenantId: TENANT, limit: 500 })).items.length;
    const response = await upload({ name: 'big.html', bytes: Buffer.alloc(MAX_BYTES + 1, 'a') });
    expect(response.statusCode).toBe(413);
    expect(response.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'INPUT_TOO_LARGE',
      message: expect.stringMatching(/ENGRAM_MAX_DOCUMENT_BYTES/),
    });
    expect((await stack.service.list({ tenantId: TENANT, limit: 500 })).items.length).toBe(before);
  });

  it('a multipart request without a file part, or with another part name, is a 400', async () => {
    const boundary = 'xyz';
    const misnamed = await stack.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="a.md"\r\n\r\n# a\r\n--${boundary}--\r\n`,
    });
    expect(misnamed.statusCode).toBe(400);
    expect(misnamed.json<{ error: { message: string } }>().error.message).toMatch(/name it "file"/);
    const noFile = await stack.app.inject({
      method: 'POST',
      url: '/v1/documents',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nT\r\n--${boundary}--\r\n`,
    });
    expect(noFile.statusCode).toBe(400);
    expect(noFile.json<{ error: { message: string } }>().error.message).toMatch(
      /no part named "file"/,
    );
  });
});
