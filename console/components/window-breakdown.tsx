// One window's summary (GET /v1/metrics/summary) as a person reads it: acceptance, tools per
// minute and the productivity score as figures; calls, tokens and cost by model; events, calls and
// cost by agent; calls and success rate by tool. Each table's last column has a bar scaled to its
// largest row, so the heaviest model, agent or failing tool shows at a glance.
import type { ComponentChildren } from 'preact';
import type { MetricsSummary } from '../api-types';

function share(value: number, max: number): string {
  return `${max > 0 ? Math.max(0, (value / max) * 100) : 0}%`;
}

function Bar({ value, max, text }: { value: number; max: number; text: string }) {
  return (
    <span class="bar-cell">
      <span class="bar" aria-hidden="true">
        <span class="fill" style={{ width: share(value, max) }} />
      </span>
      <span class="value">{text}</span>
    </span>
  );
}

function usd(cost: number): string {
  return `$${cost.toFixed(cost >= 1 ? 2 : 4)}`;
}

function rate(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)} %`;
}

function Table({
  caption,
  headings,
  empty,
  children,
}: {
  caption: string;
  headings: string[];
  empty: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class="table-scroll">
      <table class="documents breakdown">
        <caption>{caption}</caption>
        <thead>
          <tr>
            {headings.map((heading) => (
              <th scope="col" key={heading}>
                {heading}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {empty ? (
            <tr>
              <td colSpan={headings.length}>None in this window.</td>
            </tr>
          ) : (
            children
          )}
        </tbody>
      </table>
    </div>
  );
}

export function WindowBreakdown({ summary }: { summary: MetricsSummary }) {
  const { modelCalls, byAgent, tools, sessions, suggestions } = summary;
  const modelCost = Math.max(0, ...modelCalls.byModel.map((row) => row.cost));
  const agentCost = Math.max(0, ...byAgent.map((row) => row.cost));
  return (
    <section aria-labelledby="breakdown-heading" class="breakdown-section">
      <h2 id="breakdown-heading">By model, agent and tool</h2>
      <dl class="figures">
        <div class="figure">
          <dt>model cost</dt>
          <dd>{usd(modelCalls.cost)}</dd>
        </div>
        <div class="figure">
          <dt>acceptance rate</dt>
          <dd>{rate(suggestions.acceptanceRate)}</dd>
        </div>
        <div class="figure">
          <dt>tool success rate</dt>
          <dd>{rate(tools.successRate)}</dd>
        </div>
        <div class="figure">
          <dt>tools per minute</dt>
          <dd>{sessions.toolsPerMinute === null ? '—' : sessions.toolsPerMinute.toFixed(2)}</dd>
        </div>
        <div class="figure">
          <dt>productivity score</dt>
          <dd>{summary.productivityScore === null ? '—' : summary.productivityScore.toFixed(0)}</dd>
        </div>
      </dl>
      <div class="breakdowns">
        <Table
          caption="Calls, tokens and cost by model"
          headings={['Model', 'Calls', 'Errors', 'Input tokens', 'Output tokens', 'Cost']}
          empty={modelCalls.byModel.length === 0}
        >
          {modelCalls.byModel.map((row) => (
            <tr key={row.model}>
              <th scope="row">{row.model}</th>
              <td>{row.count}</td>
              <td>{row.errors}</td>
              <td>{row.inputTokens}</td>
              <td>{row.outputTokens}</td>
              <td>
                <Bar value={row.cost} max={modelCost} text={usd(row.cost)} />
              </td>
            </tr>
          ))}
        </Table>
        <Table
          caption="Events, calls and cost by agent"
          headings={['Agent', 'Events', 'Model calls', 'Tool calls', 'Cost']}
          empty={byAgent.length === 0}
        >
          {byAgent.map((row) => (
            <tr key={row.agentId}>
              <th scope="row">{row.agentId}</th>
              <td>{row.events}</td>
              <td>{row.count}</td>
              <td>{row.toolCalls}</td>
              <td>
                <Bar value={row.cost} max={agentCost} text={usd(row.cost)} />
              </td>
            </tr>
          ))}
        </Table>
        <Table
          caption="Calls and success rate by tool"
          headings={['Tool', 'Calls', 'Successes', 'p95 duration', 'Success rate']}
          empty={tools.byTool.length === 0}
        >
          {tools.byTool.map((row) => (
            <tr key={row.tool}>
              <th scope="row">{row.tool}</th>
              <td>{row.calls}</td>
              <td>{row.successes}</td>
              <td>{row.durationMs.p95 === null ? '—' : `${row.durationMs.p95.toFixed(0)} ms`}</td>
              <td>
                <Bar value={row.successRate ?? 0} max={1} text={rate(row.successRate)} />
              </td>
            </tr>
          ))}
        </Table>
      </div>
    </section>
  );
}
