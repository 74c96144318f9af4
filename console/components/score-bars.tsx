// A hit's score breakdown as small bars: each term's bar is scaled to the largest value of that
// term among the hits shown, and its number is written beside it.
export interface ScoreTerm {
  name: string;
  value: number;
  /** The largest value of this term among the hits shown. */
  max: number;
}

export function ScoreBars({ terms, label }: { terms: ScoreTerm[]; label: string }) {
  return (
    <dl class="score-bars" aria-label={label}>
      {terms.map((term) => (
        <div class="score-term" key={term.name}>
          <dt>{term.name}</dt>
          <dd>
            <span class="bar" aria-hidden="true">
              <span
                class="fill"
                style={{
                  width: `${term.max > 0 ? Math.max(0, (term.value / term.max) * 100) : 0}%`,
                }}
              />
            </span>
            <span class="value">{formatScore(term.value)}</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}

function formatScore(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

/** The max of each named term over rows of named values. */
export function termMaxima(rows: Array<Record<string, number>>): Record<string, number> {
  const maxima: Record<string, number> = {};
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      maxima[name] = Math.max(maxima[name] ?? 0, value);
    }
  }
  return maxima;
}
