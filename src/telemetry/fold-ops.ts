// Turns a validated event into the numeric operations the metric store applies, and reads
// folded fields back into counters and sketches. The field names are the one vocabulary shared
// by every store (SQL rows, Redis hash fields), so stores stay dumb and identical in meaning.
import type { EventFold, FoldOp } from '../ports/metric-store.js';
import type { TelemetryEvent } from './events.js';
import { QuantileSketch } from './sketch.js';

export const MINUTE_MS = 60_000;

/**
 * Per-model fields of a bucket: `m.<figure>:<model>` (calls, errors, input / output / cache
 * tokens, cost), so the breakdown by model needs no new dimension in any store.
 */
export const MODEL_FIGURES = ['n', 'err', 'in', 'out', 'cr', 'cw', 'cost'] as const;
export type ModelFigure = (typeof MODEL_FIGURES)[number];
const MODEL_FIELD = /^m\.([a-z]+):(.+)$/s;
/** Field names are at most 200 characters: the model part is cut to fit. */
const MODEL_IN_FIELD = 190;

export function modelField(figure: ModelFigure, model: string): string {
  return `m.${figure}:${model.slice(0, MODEL_IN_FIELD)}`;
}

/** The figure and model of a per-model field, or undefined for any other field. */
export function parseModelField(field: string): { figure: ModelFigure; model: string } | undefined {
  const match = MODEL_FIELD.exec(field);
  if (match === null || !(MODEL_FIGURES as readonly string[]).includes(match[1]!)) return undefined;
  return { figure: match[1] as ModelFigure, model: match[2]! };
}

/** Sketch prefixes: model-call latency, suggestion latency, tool-call duration. */
export type SketchName = 'mc.l' | 'sg.l' | 'tc.d';

export function minuteOf(ts: number): number {
  return Math.floor(ts / MINUTE_MS);
}

function add(field: string, value: number): FoldOp {
  return { field, kind: 'add', value };
}

function sketchOps(sketch: QuantileSketch, prefix: SketchName, value: number): FoldOp[] {
  const ops: FoldOp[] = [
    add(`${prefix}.s`, value),
    { field: `${prefix}.lo`, kind: 'min', value },
    { field: `${prefix}.hi`, kind: 'max', value },
  ];
  if (value === 0) ops.push(add(`${prefix}.z`, 1));
  else ops.push(add(`${prefix}.${value > 0 ? 'p' : 'n'}${sketch.keyOf(value)}`, 1));
  return ops;
}

export function foldOf(tenantId: string, event: TelemetryEvent, sketch: QuantileSketch): EventFold {
  const ops: FoldOp[] = [add('ev', 1)];
  // Session state (start, end, tool count, last activity for pruning) is touched only by the
  // events that change it; model calls and suggestions leave it alone (most events, least work).
  const sessionOps: FoldOp[] = [];
  const last: FoldOp = { field: 'last', kind: 'max', value: event.ts };
  let tool = '';
  let endedMinute: number | undefined;
  switch (event.type) {
    case 'model_call': {
      const cacheRead = event.cacheReadTokens ?? 0;
      const cacheWrite = event.cacheWriteTokens ?? 0;
      ops.push(
        add('mc.n', 1),
        add('mc.in', event.inputTokens),
        add('mc.out', event.outputTokens),
        add(modelField('n', event.model), 1),
        add(modelField('in', event.model), event.inputTokens),
        add(modelField('out', event.model), event.outputTokens),
      );
      if (cacheRead > 0)
        ops.push(add('mc.cr', cacheRead), add(modelField('cr', event.model), cacheRead));
      if (cacheWrite > 0)
        ops.push(add('mc.cw', cacheWrite), add(modelField('cw', event.model), cacheWrite));
      if (event.cost !== undefined)
        ops.push(add('mc.cost', event.cost), add(modelField('cost', event.model), event.cost));
      if (event.success === false)
        ops.push(add('mc.err', 1), add(modelField('err', event.model), 1));
      ops.push(...sketchOps(sketch, 'mc.l', event.latencyMs));
      break;
    }
    case 'suggestion':
      ops.push(add(`sg.${event.action}`, 1));
      if (event.latencyMs !== undefined) ops.push(...sketchOps(sketch, 'sg.l', event.latencyMs));
      break;
    case 'tool_call':
      tool = event.tool;
      ops.push(add('tc.n', 1), add('tc.ok', event.success ? 1 : 0));
      ops.push(...sketchOps(sketch, 'tc.d', event.durationMs));
      sessionOps.push(add('tools', 1), last);
      break;
    case 'session_start':
      ops.push(add('ss.n', 1));
      sessionOps.push({ field: 'start', kind: 'min', value: event.ts }, last);
      break;
    case 'session_end':
      ops.push(add('se.n', 1));
      sessionOps.push({ field: 'end', kind: 'max', value: event.ts }, last);
      endedMinute = minuteOf(event.ts);
      break;
  }
  const session: EventFold['session'] = { sessionId: event.sessionId, ops: sessionOps };
  if (endedMinute !== undefined) session.endedMinute = endedMinute;
  return {
    tenantId,
    eventId: event.eventId,
    agentId: event.agentId,
    tool,
    minute: minuteOf(event.ts),
    ops,
    session,
  };
}

/** Adds a bucket's folded sketch fields to `into`. */
export function addSketchFields(
  into: QuantileSketch,
  prefix: SketchName,
  fields: Record<string, number>,
): void {
  const part = new QuantileSketch(into.alpha);
  const start = `${prefix}.`;
  for (const [field, n] of Object.entries(fields)) {
    if (!field.startsWith(start)) continue;
    const rest = field.slice(start.length);
    if (rest === 'z') part.addZeros(n);
    else if (rest.startsWith('p')) part.addBucket(1, Number(rest.slice(1)), n);
    else if (rest.startsWith('n')) part.addBucket(-1, Number(rest.slice(1)), n);
  }
  if (part.count === 0) return;
  part.setAggregates(
    fields[`${prefix}.s`] ?? 0,
    fields[`${prefix}.lo`] ?? 0,
    fields[`${prefix}.hi`] ?? 0,
  );
  into.merge(part);
}
