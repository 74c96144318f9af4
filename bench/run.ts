// `npm run bench [-- SUITE…] [--quick]`: runs suites, prints a table, writes JSON to bench-results/.
// Without SUITE, every suite but the long ones (the soak: `npm run bench -- soak`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantile, selectSuites, type BenchSuite, type Measurement } from './harness.js';
import { suites } from './suites/index.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const wanted = args.filter((arg) => !arg.startsWith('--'));
  const unknown = wanted.filter((name) => !suites.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    console.error(
      `Unknown suite(s): ${unknown.join(', ')}. Known: ${suites.map((s) => s.name).join(', ')}`,
    );
    process.exit(2);
  }
  const selected: BenchSuite[] = selectSuites(suites, wanted);
  const report: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    quick,
    suites: {},
  };
  const finalLines: string[] = [];
  for (const suite of selected) {
    console.log(`\n## ${suite.name}: ${suite.description}`);
    const started = Date.now();
    const measurements = await suite.run({
      quick,
      log: (message) => console.log(`  ${message}`),
      finalLine: (line) => finalLines.push(line),
    });
    printTable(measurements);
    (report.suites as Record<string, unknown>)[suite.name] = {
      seconds: (Date.now() - started) / 1000,
      measurements: measurements.map(summarise),
    };
  }
  mkdirSync('bench-results', { recursive: true });
  const file = join(
    'bench-results',
    `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`\nSaved ${file}`);
  if (finalLines.length > 0) console.log(`\n${finalLines.join('\n')}`);
}

function summarise(m: Measurement) {
  const p50 = m.samples === undefined ? undefined : quantile(m.samples, 0.5);
  const p95 = m.samples === undefined ? undefined : quantile(m.samples, 0.95);
  const headline = p50 ?? m.value;
  return {
    name: m.name,
    unit: m.unit,
    runs: m.samples?.length,
    p50,
    p95,
    value: m.value,
    baseline: m.baseline,
    ratioToBaseline:
      m.baseline !== undefined && headline !== undefined ? m.baseline.value / headline : undefined,
    note: m.note,
  };
}

function printTable(measurements: Measurement[]): void {
  const rows = measurements
    .map(summarise)
    .map((s) => [
      s.name,
      s.unit,
      s.runs === undefined ? '' : String(s.runs),
      format(s.p50 ?? s.value),
      format(s.p95),
      s.baseline === undefined ? '' : `${s.baseline.name}: ${format(s.baseline.value)}`,
      s.ratioToBaseline === undefined ? '' : `${s.ratioToBaseline.toFixed(2)}×`,
      s.note ?? '',
    ]);
  const header = [
    'measurement',
    'unit',
    'runs',
    'median/value',
    'p95',
    'baseline',
    'baseline÷this',
    'note',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

function format(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
