// `engram eval locomo FILE…`: the LoCoMo recall evaluation on a fresh embedded store in a temp
// dir (never the configured store), with the configured embedder and recall settings. Each
// conversation is its own user; prints evidence recall@k overall, per category and per
// conversation, recall latency, and with `--baseline bm25` a plain BM25-over-turns column.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadLocomoFile } from '../../eval/locomo-data.js';
import { formatLocomoReport, runLocomoEval } from '../../eval/locomo-eval.js';
import { createOneShotLogger, loadCommandConfig, openRuntime, type Env } from '../load.js';
import { expandPaths } from './ingest.js';

function parseKs(value: string): number[] {
  const ks = value.split(',').map((part) => Number(part.trim()));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1 || k > 100)) {
    throw new Error(`-k wants comma-separated integers from 1 to 100, got "${value}"`);
  }
  return ks;
}

export function registerEvalCommand(program: Command, env: Env): void {
  const evalCommand = program
    .command('eval')
    .description('Evaluate recall quality on public benchmarks');
  evalCommand
    .command('locomo')
    .description(
      'Evidence recall@k on LoCoMo conversations (only the turns are ingested; each conversation is its own user)',
    )
    .argument('<files...>', 'LoCoMo conversation files (conv-N.json) or globs')
    .option('--baseline <name>', 'add a baseline column measured in the same run: bm25')
    .option('-k, --k <list>', 'cut-offs, comma-separated', '5,10,25')
    .option('--json', 'print the report as JSON')
    .option('--tenant <id>', 'tenant to ingest under', 'default')
    .action(
      async (
        patterns: string[],
        options: { baseline?: string; k: string; json?: boolean; tenant: string },
        command: Command,
      ) => {
        if (options.baseline !== undefined && options.baseline !== 'bm25') {
          console.error(`engram: unknown baseline "${options.baseline}" (known: bm25)`);
          process.exitCode = 2;
          return;
        }
        const ks = parseKs(options.k);
        const files = (await expandPaths(patterns)).filter((file) => file.endsWith('.json'));
        if (files.length === 0) {
          console.error(`engram: no .json files match ${patterns.join(' ')}`);
          process.exitCode = 2;
          return;
        }
        const conversations = await Promise.all(files.map((file) => loadLocomoFile(file)));
        const configured = loadCommandConfig(command, env);
        const dir = mkdtempSync(join(tmpdir(), 'engram-eval-'));
        // A fresh embedded store: the evaluation never touches the configured database or Redis.
        const { databaseUrl: _db, redisUrl: _redis, ...rest } = configured;
        const config = { ...rest, dataDir: dir };
        const logger = createOneShotLogger(configured, env);
        const runtime = await openRuntime(config, logger);
        const bar =
          process.stderr.isTTY && options.json !== true
            ? new SingleBar(
                { format: '{phase} {conversation} [{bar}] {value}/{total}', hideCursor: true },
                Presets.shades_classic,
              )
            : undefined;
        let phaseKey = '';
        try {
          const report = await runLocomoEval(conversations, {
            memory: runtime.memory,
            recall: runtime.recall,
            tenantId: options.tenant,
            ks,
            ...(options.baseline === 'bm25' ? { baseline: 'bm25' as const } : {}),
            onProgress: (event) => {
              if (!bar) return;
              const key = `${event.phase}:${event.conversation}`;
              if (key !== phaseKey) {
                if (phaseKey !== '') bar.stop();
                phaseKey = key;
                bar.start(event.total, event.done, {
                  phase: event.phase,
                  conversation: event.conversation,
                });
              } else {
                bar.update(event.done);
              }
            },
          });
          bar?.stop();
          console.log(
            options.json === true ? JSON.stringify(report, null, 2) : formatLocomoReport(report),
          );
        } finally {
          bar?.stop();
          await runtime.close();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
}
