// `engram documents`: list, inspect, retry and delete documents in the local store (the data
// dir, or ENGRAM_DATABASE_URL), through the same runtime and services as `engram serve`.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { DocumentRecord, DocumentStatus } from '../../ports/document-store.js';
import { withRuntime, type Env } from '../load.js';

export function printTable(header: string[], rows: string[][]): void {
  const clip = (cell: string) =>
    (cell.length > 60 ? `${cell.slice(0, 57)}...` : cell).replace(/\s+/g, ' ');
  const cells = rows.map((row) => row.map(clip));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

function describeState(document: DocumentRecord): string {
  if (document.status === 'processing') return `processing (${document.stage ?? '?'})`;
  if (document.status === 'failed') return `failed (${document.stage ?? '?'})`;
  return document.status;
}

export function registerDocumentsCommand(program: Command, env: Env): void {
  const documents = program.command('documents').description('List and inspect ingested documents');
  const tenantOption = () =>
    new Option('--tenant <id>', 'tenant the documents belong to').default('default');

  documents
    .command('list', { isDefault: true })
    .description('Documents, newest first')
    .addOption(
      new Option('--status <status>', 'only this status').choices([
        'pending',
        'processing',
        'completed',
        'failed',
      ]),
    )
    .option('-n, --namespace <name>', 'only this namespace')
    .option('--limit <n>', 'documents per page', (value) => Number.parseInt(value, 10), 50)
    .option('--cursor <cursor>', 'the next page, from a previous listing')
    .addOption(tenantOption())
    .option('--json', 'print JSON')
    .action(
      async (
        options: {
          status?: DocumentStatus;
          namespace?: string;
          limit: number;
          cursor?: string;
          tenant: string;
          json?: boolean;
        },
        command: Command,
      ) =>
        withRuntime(command, env, async (runtime) => {
          const page = await runtime.ingest.list({
            tenantId: options.tenant,
            limit: options.limit,
            ...(options.status === undefined ? {} : { status: options.status }),
            ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
            ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
          });
          if (options.json === true) {
            console.log(JSON.stringify(page, null, 2));
            return;
          }
          printTable(
            [
              'id',
              'title',
              'namespace',
              'status',
              'chunks',
              'entities',
              'attempts',
              'created',
              'error',
            ],
            page.items.map((d) => [
              d.id,
              d.title ?? '',
              d.namespace,
              describeState(d),
              String(d.chunkCount),
              String(d.entityCount),
              String(d.attempts),
              new Date(d.createdAt).toISOString(),
              d.error ?? '',
            ]),
          );
          if (page.nextCursor !== null)
            console.log(`\nmore: engram documents list --cursor ${page.nextCursor}`);
        }),
    );

  documents
    .command('show')
    .description(
      'One document: status, stage, attempts, error, counts, timings (and its chunks with --chunks)',
    )
    .argument('<id>')
    .option('--chunks', 'also print its chunks')
    .addOption(tenantOption())
    .action(async (id: string, options: { chunks?: boolean; tenant: string }, command: Command) =>
      withRuntime(command, env, async (runtime) => {
        const document = await runtime.ingest.get(options.tenant, id);
        const chunks =
          options.chunks === true ? await runtime.ingest.listChunks(options.tenant, id) : undefined;
        console.log(
          JSON.stringify({ ...document, ...(chunks === undefined ? {} : { chunks }) }, null, 2),
        );
      }),
    );

  documents
    .command('retry')
    .description(
      'Queue a failed document again (a running `engram serve` or `engram worker` processes it)',
    )
    .argument('<id>')
    .addOption(tenantOption())
    .action(async (id: string, options: { tenant: string }, command: Command) =>
      withRuntime(command, env, async (runtime) => {
        const document = await runtime.ingest.retry(options.tenant, id);
        console.log(`${document.id}: ${describeState(document)}`);
      }),
    );

  documents
    .command('delete')
    .description('Delete a document with its chunks, vectors and graph mentions')
    .argument('<id>')
    .addOption(tenantOption())
    .action(async (id: string, options: { tenant: string }, command: Command) =>
      withRuntime(command, env, async (runtime) => {
        const removed = await runtime.ingest.delete(options.tenant, id);
        console.log(`${id}: deleted (${removed.chunks} chunks, ${removed.vectors} vectors)`);
      }),
    );
}
