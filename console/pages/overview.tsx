// Overview: documents by status, memories by tier and sessions active, the last hour's telemetry,
// the last 24 hours' cost, dead letters and the /ready checks, refreshed every 5 s. Each card's
// call fails on its own, with its error where the card is.
import { api } from '../api';
import type {
  DeadLetterPage,
  DocumentStats,
  MemoryStats,
  MetricsSummary,
  Readiness,
} from '../api-types';
import { ErrorNotice } from '../components/error-notice';
import { usePolling } from '../use-polling';

const REFRESH_MS = 5_000;
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
  const { data, error } = usePolling(() => api<DocumentStats>('/v1/documents/stats'), REFRESH_MS);
  return (
    <section aria-labelledby="documents-heading" class="card">
      <h2 id="documents-heading">
        <a href="#/documents">Documents</a>
      </h2>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <dl class="figures">
          {Object.entries(data.statuses).map(([status, count]) => (
            <Figure key={status} label={status} value={String(count)} />
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
          <Figure label="sessions active" value={String(data.sessions.active)} />
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
        </dl>
      )}
    </section>
  );
}

function CostToday() {
  const { data, error } = usePolling(
    () => api<MetricsSummary>('/v1/metrics/summary?window=24h'),
    REFRESH_MS,
  );
  return (
    <section aria-labelledby="cost-heading" class="card">
      <h2 id="cost-heading">
        <a href="#/telemetry">Last 24 hours</a>
      </h2>
      <ErrorNotice error={error} />
      {data === undefined ? null : (
        <dl class="figures">
          <Figure label="cost (24 h)" value={`$${data.modelCalls.cost.toFixed(4)}`} />
          <Figure label="model calls (24 h)" value={String(data.modelCalls.count)} />
          <Figure label="tool calls (24 h)" value={String(data.tools.calls)} />
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
        <CostToday />
        <DeadLetters />
        <ReadyChecks />
      </div>
    </>
  );
}
