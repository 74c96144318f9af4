// `engram eval graph FILE…`: the configured extractor scored on gold sentences (graph-eval.ts).
// `engram eval locomo FILE…` and `engram eval beam DIR…`: the recall evaluations on a fresh
// embedded store in a temp dir (never the configured store), with the configured embedder and
// recall settings. Each conversation is its own user; each prints evidence recall@k overall, per
// category (LoCoMo) or ability (BEAM) and per conversation, recall latency, and with
// `--baseline bm25` a plain BM25 column measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadBeamConversation } from '../../eval/beam-data.js';
import { formatBeamReport, runBeamEval } from '../../eval/beam-eval.js';
import { loadGraphSentences } from '../../eval/graph-data.js';
import { formatGraphReport, runGraphEval } from '../../eval/graph-eval.js';
import { loadLocomoFile } from '../../eval/locomo-data.js';
import { formatLocomoReport, runLocomoEval } from '../../eval/locomo-eval.js';
import type { MemoryService } from '../../memory/memory-service.js';
import type { RecallService } from '../../memory/recall/recall-service.js';
import { createOneShotLogger, loadCommandConfig, openRuntime, type Env } from '../load.js';
import { expandPaths } from './ingest.js';

interface EvalOptions {
  baseline?: string;
  k: string;
  json?: boolean;
  tenant: string;
}

type ProgressEvent = { phase: string; conversation: string; done: number; total: number };

function parseKs(value: string): number[] {
  const ks = value.split(',').map((part) => Number(part.trim()));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1 || k > 100)) {
    throw new Error(`-k wants comma-separated integers from 1 to 100, got "${value}"`);
  }
  return ks;
}

/** A progress bar on a terminal (one bar per phase and conversation); nothing otherwise. */
function progressBar(enabled: boolean): { update: (e: ProgressEvent) => void; stop: () => void } {
  const bar = enabled
    ? new SingleBar(
        { format: '{phase} {conversation} [{bar}] {value}/{total}', hideCursor: true },
        Presets.shades_classic,
      )
    : undefined;
  let phaseKey = '';
  return {
    update(event) {
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
    stop: () => bar?.stop(),
  };
}

/**
 * Runs one evaluation on a fresh embedded runtime and prints its report (JSON with --json).
 * Returns false (exit code 2 set) when the options are wrong.
 */
async function runEvaluation<R>(
  command: Command,
  env: Env,
  options: EvalOptions,
  run: (input: {
    memory: MemoryService;
    recall: RecallService;
    tenantId: string;
    ks: number[];
    baseline?: 'bm25';
    onProgress: (event: ProgressEvent) => void;
  }) => Promise<R>,
  format: (report: R) => string,
): Promise<void> {
  if (options.baseline !== undefined && options.baseline !== 'bm25') {
    console.error(`engram: unknown baseline "${options.baseline}" (known: bm25)`);
    process.exitCode = 2;
    return;
  }
  const ks = parseKs(options.k);
  const configured = loadCommandConfig(command, env);
  const dir = mkdtempSync(join(tmpdir(), 'engram-eval-'));
  // A fresh embedded store: the evaluation never touches the configured database or Redis.
  const { databaseUrl: _db, redisUrl: _redis, ...rest } = configured;
  const logger = createOneShotLogger(configured, env);
  const runtime = await openRuntime({ ...rest, dataDir: dir }, logger);
  const bar = progressBar(process.stderr.isTTY && options.json !== true);
  try {
    const report = await run({
      memory: runtime.memory,
      recall: runtime.recall,
      tenantId: options.tenant,
      ks,
      ...(options.baseline === 'bm25' ? { baseline: 'bm25' as const } : {}),
      onProgress: bar.update,
    });
    bar.stop();
    console.log(options.json === true ? JSON.stringify(report, null, 2) : format(report));
  } finally {
    bar.stop();
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function commonOptions(command: Command): Command {
  return command
    .option('--baseline <name>', 'add a baseline column measured in the same run: bm25')
    .option('-k, --k <list>', 'cut-offs, comma-separated', '5,10,25')
    .option('--json', 'print the report as JSON')
    .option('--tenant <id>', 'tenant to ingest under', 'default');
}

export function registerEvalCommand(program: Command, env: Env): void {
  const evalCommand = program
    .command('eval')
    .description('Evaluate recall quality on public benchmarks');
  commonOptions(
    evalCommand
      .command('locomo')
      .description(
        'Evidence recall@k on LoCoMo conversations (only the turns are ingested; each conversation is its own user)',
      )
      .argument('<files...>', 'LoCoMo conversation files (conv-N.json) or globs'),
  ).action(async (patterns: string[], options: EvalOptions, command: Command) => {
    const files = (await expandPaths(patterns)).filter((file) => file.endsWith('.json'));
    if (files.length === 0) {
      console.error(`engram: no .json files match ${patterns.join(' ')}`);
      process.exitCode = 2;
      return;
    }
    const conversations = await Promise.all(files.map((file) => loadLocomoFile(file)));
    await runEvaluation(
      command,
      env,
      options,
      (input) => runLocomoEval(conversations, input),
      formatLocomoReport,
    );
  });
  commonOptions(
    evalCommand
      .command('beam')
      .description(
        'Evidence recall@k on BEAM conversations (user and assistant messages, one session per batch; each conversation is its own user), knowledge-update order and abstention AUROC',
      )
      .argument(
        '<dirs...>',
        'BEAM conversation folders (each with chat.json and probing_questions/)',
      ),
  ).action(async (dirs: string[], options: EvalOptions, command: Command) => {
    const conversations = await Promise.all(dirs.map((dir) => loadBeamConversation(dir)));
    await runEvaluation(
      command,
      env,
      options,
      (input) => runBeamEval(conversations, input),
      formatBeamReport,
    );
  });
  evalCommand
    .command('graph')
    .description(
      'Entity and relation precision/recall/F1 of the configured extractor on sentences in the SpERT JSON layout (CoNLL04)',
    )
    .argument(
      '<files...>',
      'SpERT JSON files (a list of sentences with tokens, entities, relations)',
    )
    .option('--json', 'print the report as JSON')
    .action(async (files: string[], options: { json?: boolean }, command: Command) => {
      const sentences = (await Promise.all(files.map((file) => loadGraphSentences(file)))).flat();
      const configured = loadCommandConfig(command, env);
      const dir = mkdtempSync(join(tmpdir(), 'engram-eval-'));
      // A fresh embedded store: only the configured extractor (and its chat model) is used.
      const { databaseUrl: _db, redisUrl: _redis, ...rest } = configured;
      const runtime = await openRuntime(
        { ...rest, dataDir: dir },
        createOneShotLogger(configured, env),
      );
      try {
        const report = await runGraphEval(sentences, runtime.extractor);
        console.log(
          options.json === true ? JSON.stringify(report, null, 2) : formatGraphReport(report),
        );
      } finally {
        await runtime.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
