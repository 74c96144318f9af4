// `engram context`: warm the token cache for a namespace, build a context from the command line,
// and show the token cache's stats — through the same runtime and services as `engram serve`.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Runtime } from '../../runtime.js';
import { withRuntime, type Env } from '../load.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Chunk texts of the completed documents of a namespace, page by page. */
async function namespaceTexts(
  runtime: Runtime,
  tenantId: string,
  namespace: string,
): Promise<string[]> {
  const texts: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await runtime.ingest.list({
      tenantId,
      namespace,
      status: 'completed',
      limit: 200,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const document of page.items) {
      for (const chunk of await runtime.ingest.listChunks(tenantId, document.id))
        texts.push(chunk.text);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return texts;
}

export function registerContextCommand(program: Command, env: Env): void {
  const context = program.command('context').description('Token-exact context and its token cache');

  context
    .command('warm')
    .description(
      'Pre-fill the token cache with the chunks of a namespace (and --file paragraphs), with retries',
    )
    .argument('<namespace>')
    .option(
      '--tokenizer <name>',
      'tokenizer to warm for (repeatable; default o200k_base)',
      collect,
      [],
    )
    .option(
      '--file <path>',
      'also warm the blank-line-separated paragraphs of this file (repeatable)',
      collect,
      [],
    )
    .option('--separator <text>', 'the separator contexts will use', '\n\n')
    .option('--tenant <id>', 'tenant the namespace belongs to', 'default')
    .option('--json', 'print JSON')
    .action(
      async (
        namespace: string,
        options: {
          tokenizer: string[];
          file: string[];
          separator: string;
          tenant: string;
          json?: boolean;
        },
        command: Command,
      ) =>
        withRuntime(command, env, async (runtime) => {
          const texts = await namespaceTexts(runtime, options.tenant, namespace);
          for (const file of options.file) {
            texts.push(
              ...readFileSync(file, 'utf8')
                .split(/\n\s*\n/)
                .filter((paragraph) => paragraph.trim() !== ''),
            );
          }
          const backend = (await runtime.tokenIds.stats()).backend;
          if (backend === 'memory' && options.json !== true) {
            console.error(
              "engram: note: the token cache is in process (no ENGRAM_REDIS_URL), so this warms only this command's own cache.",
            );
          }
          const tokenizers = options.tokenizer.length > 0 ? options.tokenizer : ['o200k_base'];
          const started = performance.now();
          const result = await runtime.context.warm({
            tenantId: options.tenant,
            namespace,
            tokenizers,
            texts,
            separator: options.separator,
          });
          const seconds = (performance.now() - started) / 1000;
          if (options.json === true) {
            console.log(
              JSON.stringify({ namespace, tokenizers, backend, seconds, ...result }, null, 2),
            );
            return;
          }
          console.log(
            `warmed ${namespace} for ${tokenizers.join(', ')}: ${result.texts} texts → ${result.entries} entries ` +
              `(${result.tokenized} tokenized, ${result.alreadyCached} already cached, ${result.attempts} attempts) ` +
              `in ${seconds.toFixed(1)} s [${backend}]`,
          );
        }),
    );

  context
    .command('build')
    .description('Recall for a query and pack it into a token budget; prints text and token IDs')
    .argument('<query>')
    .requiredOption(
      '--tokenizer <name>',
      'o200k_base, cl100k_base, or a name from ENGRAM_TOKENIZERS',
    )
    .option('--max-tokens <n>', 'token budget', (value) => Number.parseInt(value, 10), 2000)
    .option('--namespace <name>', 'cache namespace (TTL)')
    .option('--session <id>', 'only this session’s memories')
    .option('--user <id>', 'only this user’s memories')
    .option('--separator <text>', 'between items', '\n\n')
    .option('--tenant <id>', 'tenant', 'default')
    .option('--json', 'print the full JSON response')
    .action(
      async (
        query: string,
        options: {
          tokenizer: string;
          maxTokens: number;
          namespace?: string;
          session?: string;
          user?: string;
          separator: string;
          tenant: string;
          json?: boolean;
        },
        command: Command,
      ) =>
        withRuntime(command, env, async (runtime) => {
          const built = await runtime.context.build({
            tenantId: options.tenant,
            query,
            tokenizer: options.tokenizer,
            maxTokens: options.maxTokens,
            separator: options.separator,
            namespace: options.namespace,
            sessionId: options.session,
            userId: options.user,
          });
          if (options.json === true) {
            console.log(JSON.stringify(built, null, 2));
            return;
          }
          console.log(built.text);
          console.error(
            `\n${built.tokenCount} tokens (${built.tokenizer.id}), ${built.items.length} items` +
              `${built.truncated ? ', truncated' : ''}; cache ${built.cache.hits} hits / ${built.cache.misses} misses; ` +
              `recall ${built.timings.recallMs} ms, pack ${built.timings.packMs} ms`,
          );
        }),
    );

  context
    .command('stats')
    .description('Token cache: hits, misses, bytes, evictions, breaker state')
    .action(async (_options: unknown, command: Command) =>
      withRuntime(command, env, async (runtime) => {
        console.log(JSON.stringify(await runtime.tokenIds.stats(), null, 2));
      }),
    );
}
