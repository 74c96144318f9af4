// One load process of the soak: says 'ready' once loaded, then runs clients [first, first + count) against the server and sends
// their samples and errors to the parent over IPC when the soak ends. Started by soak.ts with the
// parent's own Node flags (so tsx loads this file), one process per ENGRAM_SOAK_PROCESSES.
import { runClient, tenantKeys } from './soak-load.js';
import type { Sample } from './soak-report.js';

export interface LoadAssignment {
  baseUrl: string;
  first: number;
  count: number;
  tenants: number;
  intervalMs: number;
  startedAt: number;
  endsAt: number;
}

export interface LoadResult {
  samples: Sample[];
  errors: Array<[string, number]>;
}

async function main(assignment: LoadAssignment): Promise<void> {
  const keys = tenantKeys(assignment.tenants);
  const samples: Sample[] = [];
  const errors = new Map<string, number>();
  await Promise.all(
    Array.from({ length: assignment.count }, (_, offset) =>
      runClient({
        index: assignment.first + offset,
        baseUrl: assignment.baseUrl,
        keys,
        intervalMs: assignment.intervalMs,
        startedAt: assignment.startedAt,
        endsAt: assignment.endsAt,
        samples,
        errors,
      }),
    ),
  );
  const result: LoadResult = { samples, errors: [...errors] };
  process.send!(result, () => process.disconnect());
}

process.once('message', (assignment: LoadAssignment) => {
  main(assignment).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
// Loaded: the parent sends the assignments once every load process is, so all start together.
process.send!('ready');
