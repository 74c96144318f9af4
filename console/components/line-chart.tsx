// A time-series line chart drawn by uPlot on a canvas, with a table-free text summary for screen
// readers (the chart's label). Rebuilt when the data changes; sized to its container.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  label: string;
  values: Array<number | null>;
  colour: string;
}

export function LineChart({
  title,
  times,
  lines,
  unit,
}: {
  title: string;
  /** Seconds since the epoch, one per point. */
  times: number[];
  lines: Line[];
  unit: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const chart = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 220,
        series: [
          {},
          ...lines.map((line) => ({
            label: line.label,
            stroke: line.colour,
            width: 2,
            spanGaps: false,
            // A minute with data between empty ones is a lone point: drawn as a dot.
            points: { show: true, size: 5 },
            value: (_chart: uPlot, value: number | null) =>
              value === null ? '—' : `${value.toFixed(value < 10 ? 2 : 0)} ${unit}`,
          })),
        ],
        axes: [{}, { label: unit, size: 60 }],
        ...(unit === '%' ? { scales: { y: { range: [0, 100] as [number, number] } } } : {}),
      },
      [times, ...lines.map((line) => line.values)],
      element,
    );
    return () => chart.destroy();
  }, [times, lines, unit]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${lines.map((l) => l.label).join(', ')}`} />
    </figure>
  );
}
