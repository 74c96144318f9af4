// `engram ingest PATH|GLOB…`: ingests files into the local store (the data dir, or
// ENGRAM_DATABASE_URL) through the same runtime and services as `engram serve`, running the
// pipeline in this process with a progress bar, then prints a summary table. A running server on
// the same store is fine: both claim work from the same durable queue.
import { readFile, stat } from 'node:fs/promises';
import { extname, relative, resolve } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { glob } from 'tinyglobby';
import { errorMessage } from '../../domain/errors.js';
import { versionSettled } from '../../domain/version-settled.js';
import {
  BINARY_MIME_TYPES,
  DOCX_MIME,
  type DocumentMimeType,
  type DocumentRecord,
} from '../../ports/document-store.js';
import { createOneShotLogger, loadCommandConfig, openRuntime, type Env } from '../load.js';
import { printTable } from './documents.js';

const MIME_BY_EXTENSION: Record<string, DocumentMimeType> = {
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.mdx': 'text/markdown',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.rst': 'text/plain',
  '.csv': 'text/csv',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.docx': DOCX_MIME,
};

interface FileOutcome {
  path: string;
  documentId?: string;
  /** The version its content went to. */
  version?: number;
  note: string;
  document?: DocumentRecord;
  error?: string;
}

export async function expandPaths(patterns: string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of patterns) {
    const info = await stat(pattern).catch(() => undefined);
    if (info?.isDirectory() === true) {
      for (const file of await glob(
        '**/*.{md,markdown,mdx,html,htm,txt,text,rst,csv,json,pdf,docx}',
        {
          cwd: pattern,
          absolute: true,
        },
      )) {
        files.add(file);
      }
    } else if (info?.isFile() === true) {
      files.add(resolve(pattern));
    } else {
      for (const file of await glob(pattern, { absolute: true, onlyFiles: true })) files.add(file);
    }
  }
  return [...files].sort();
}

export function registerIngestCommand(program: Command, env: Env): void {
  program
    .command('ingest')
    .description(
      'Ingest files (PDF, DOCX, HTML, Markdown, text, CSV, JSON) into the local store and wait until each is processed',
    )
    .argument(
      '<paths...>',
      'files, directories or globs (quote globs so the shell leaves them alone)',
    )
    .option('-n, --namespace <name>', 'namespace for the documents', 'default')
    .option(
      '--no-wait',
      'store and queue the documents, then exit (a running `engram serve` processes them)',
    )
    .option('--tenant <id>', 'tenant the documents belong to', 'default')
    .option('--json', 'print the summary as JSON')
    .action(
      async (
        patterns: string[],
        options: { namespace: string; wait: boolean; json?: boolean; tenant: string },
        command: Command,
      ) => {
        const config = loadCommandConfig(command, env);
        // Progress bar and table on the terminal; logs only when asked for.
        const logger = createOneShotLogger(config, env);
        const files = await expandPaths(patterns);
        if (files.length === 0) {
          console.error(`engram: no files match ${patterns.join(' ')}`);
          process.exitCode = 2;
          return;
        }
        const runtime = await openRuntime(config, logger);
        try {
          if (options.wait) runtime.startBackground();
          const outcomes: FileOutcome[] = [];
          for (const path of files) {
            const shown = relative(process.cwd(), path) || path;
            // The extension is only a hint for text; PDF and DOCX are recognised from their bytes.
            const declared = MIME_BY_EXTENSION[extname(path).toLowerCase()] ?? 'text/plain';
            try {
              const bytes = await readFile(path);
              // Keyed by its absolute path: a changed file is a new version of the same document.
              const { document, created, changed } = await runtime.ingest.submit(options.tenant, {
                bytes,
                mimeType: BINARY_MIME_TYPES.has(declared) ? undefined : declared,
                title: shown,
                namespace: options.namespace,
                metadata: { path: shown },
                key: path,
              });
              const version = (document.nextVersion ?? document).version;
              outcomes.push({
                path: shown,
                documentId: document.id,
                version,
                note: created ? 'new' : changed ? `version ${version}` : 'unchanged',
                document,
              });
            } catch (error) {
              outcomes.push({ path: shown, note: 'rejected', error: errorMessage(error) });
            }
          }
          if (options.wait) await waitWithProgress(runtime.ingest, options.tenant, outcomes);
          report(outcomes, options.json === true);
          if (
            outcomes.some(
              (outcome) =>
                outcome.error !== undefined ||
                outcome.document?.status === 'failed' ||
                outcome.document?.nextVersion?.status === 'failed',
            )
          ) {
            process.exitCode = 1;
          }
        } finally {
          await runtime.close();
        }
      },
    );
}

async function waitWithProgress(
  ingest: { get(tenantId: string, id: string): Promise<DocumentRecord> },
  tenantId: string,
  outcomes: FileOutcome[],
): Promise<void> {
  const tracked = outcomes.filter((outcome) => outcome.documentId !== undefined);
  const bar = new SingleBar(
    {
      format:
        'ingesting [{bar}] {value}/{total} documents | {chunks} chunks | {eta_formatted} left',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(tracked.length, 0, { chunks: 0 });
  const done = (outcome: FileOutcome) =>
    outcome.document !== undefined && versionSettled(outcome.document, outcome.version ?? 1);
  for (;;) {
    for (const outcome of tracked) {
      if (!done(outcome)) outcome.document = await ingest.get(tenantId, outcome.documentId!);
    }
    const finished = tracked.filter(done);
    bar.update(finished.length, {
      chunks: finished.reduce((sum, o) => sum + (o.document?.chunkCount ?? 0), 0),
    });
    if (finished.length === tracked.length) break;
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  bar.stop();
}

/** Chunks the graph extractor could not read: the document completed without their facts. */
function leftOut(o: FileOutcome): string | undefined {
  const failed = o.document?.failedChunks ?? 0;
  if (failed === 0) return undefined;
  return `graph extractor left out ${failed} chunk${failed === 1 ? '' : 's'}: ${o.document?.extractionFailure ?? ''}`;
}

function report(outcomes: FileOutcome[], json: boolean): void {
  if (json) {
    console.log(
      JSON.stringify(
        outcomes.map((o) => ({
          path: o.path,
          id: o.documentId,
          note: o.note,
          version: o.document?.version,
          status: o.document?.status,
          chunks: o.document?.chunkCount,
          failedChunks: o.document?.failedChunks,
          error: o.error ?? o.document?.nextVersion?.error ?? o.document?.error,
        })),
        null,
        2,
      ),
    );
    return;
  }
  printTable(
    ['file', 'document', 'status', 'chunks', 'entities', 'relations', 'ms', 'note'],
    outcomes.map((o) => [
      o.path,
      o.documentId ?? '',
      o.document?.status ?? 'rejected',
      String(o.document?.chunkCount ?? ''),
      String(o.document?.entityCount ?? ''),
      String(o.document?.relationCount ?? ''),
      o.document?.timings.total === undefined ? '' : String(o.document.timings.total),
      o.error ?? o.document?.error ?? leftOut(o) ?? o.note,
    ]),
  );
  const completed = outcomes.filter((o) => o.document?.status === 'completed').length;
  const chunks = outcomes.reduce((sum, o) => sum + (o.document?.chunkCount ?? 0), 0);
  console.log(`\n${completed} of ${outcomes.length} documents completed, ${chunks} chunks.`);
}
