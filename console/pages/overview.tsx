// Overview: documents by status, memories by tier, the last hour's telemetry, dead letters and the /ready checks,
// refreshed every 5 s. Each figure's call fails on its own, with its error where the figure is.
import { api } from '../api';
import type {
  DeadLetterPage,
  DocumentList,
  MemoryStats,
  MetricsSummary,
  Readiness,
} from '../api-types';
import { ErrorNotice } from '../components/error-notice';
import { usePolling } from '../use-polling';

const REFRESH_MS = 5_000;
/** Documents counted per status: one page; beyond it the counts say "at least". */
const DOCUMENT_SAMPLE = 500;
const DEAD_LETTER_SAMPLE = 1000;

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div class="figure">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)} %`;
}

function ms(value: number | null): string {
  return value === null ? '—' : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

function DocumentsByStatus() {
  const { data, error } = usePolling(
    () => api<DocumentList>(`/v1/documents?limit=${DOCUMENT_SAMPLE}`),
    REFRESH_MS,
  );
  const counts = { pending: 0, processing: 0, completed: 0, failed: 0 };
  for (const document of data?.documents ?? []) counts[document.status] += 1;
  const more = data?.nextCursor != null ? '+' : '';
  return (
    <section aria-labelledby="documents-heading" class="card">
      <h2 id="documents-heading">
        <a href="#/documents">Documents</a>
      </h2>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <dl class="figures">
          {Object.entries(counts).map(([status, count]) => (
            <Figure key={status} label={status} value={`${count}${more}`} />
          ))}
        </dl>
      )}
    </section>
  );
}

function MemoryByTier() {
  const { data, error } = usePolling(() => api<MemoryStats>('/v1/memories/stats'), REFRESH_MS);
  return (
    <section aria-labelledby="memory-heading" class="card">
      <h2 id="memory-heading">
        <a href="#/sessions">Memories</a>
      </h2>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <dl class="figures">
          <Figure label="working" value={String(data.tiers.working)} />
          <Figure label="episodic" value={String(data.tiers.episodic)} />
          <Figure label="semantic" value={String(data.tiers.semantic)} />
        </dl>
      )}
    </section>
  );
}

function Telemetry() {
  const { data, error } = usePolling(
    () => api<MetricsSummary>('/v1/metrics/summary?window=1h'),
    REFRESH_MS,
  );
  return (
    <section aria-labelledby="telemetry-heading" class="card">
      <h2 id="telemetry-heading">Last hour</h2>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <dl class="figures">
          <Figure label="events" value={String(data.events)} />
          <Figure label="p95 model latency" value={ms(data.modelCalls.latencyMs.p95)} />
          <Figure label="acceptance rate" value={percent(data.suggestions.acceptanceRate)} />
          <Figure label="sessions started" value={String(data.sessions.started)} />
          <Figure label="sessions ended" value={String(data.sessions.ended)} />
          <Figure label="model cost" value={data.modelCalls.cost.toFixed(4)} />
        </dl>
      )}
    </section>
  );
}

function DeadLetters() {
  const { data, error } = usePolling(
    () => api<DeadLetterPage>(`/v1/telemetry/dlq?limit=${DEAD_LETTER_SAMPLE}`),
    REFRESH_MS,
  );
  return (
    <section aria-labelledby="dlq-heading" class="card">
      <h2 id="dlq-heading">Dead letters</h2>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <dl class="figures">
          <Figure
            label="events that failed"
            value={`${data.deadLetters.length}${data.nextCursor === null ? '' : '+'}`}
          />
        </dl>
      )}
    </section>
  );
}

function ReadyChecks() {
  const { data, error } = usePolling(() => api<Readiness>('/ready', { accept: [503] }), REFRESH_MS);
  return (
    <section aria-labelledby="ready-heading" class="card">
      <h2 id="ready-heading">Background jobs and storage</h2>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <>
          <p class={data.status === 'ready' ? 'ok' : 'bad'}>Server {data.status}</p>
          <ul class="checks">
            {data.checks.map((check) => (
              <li key={check.name} class={check.ok ? 'ok' : 'bad'}>
                {check.ok ? '✓' : '✗'} {check.name}
                {check.error === undefined ? null : `: ${check.error}`}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

export function OverviewPage() {
  return (
    <>
      <h1>Overview</h1>
      <div class="grid">
        <DocumentsByStatus />
        <MemoryByTier />
        <Telemetry />
        <DeadLetters />
        <ReadyChecks />
      </div>
    </>
  );
}
