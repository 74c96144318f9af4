// recordModelCall: Engram's own embedding and LLM calls become model_call events in its own
// telemetry, so users see what memory costs them. Calls are buffered and appended in batches
// (every flushMs or maxBuffered calls); recording never throws and never blocks the model call.
import { newId } from '../domain/ids.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { ModelCall, ModelCallRecorder } from '../ports/embedder.js';
import type { TelemetryEventInput } from './events.js';
import type { TelemetryService } from './service.js';

export interface ModelCallRecorderOptions {
  service: TelemetryService;
  clock: Clock;
  logger: Logger;
  tenantId?: string;
  /** The agent the calls are attributed to. */
  agentId?: string;
  sessionId?: string;
  flushMs?: number;
  maxBuffered?: number;
}

export interface BufferedModelCallRecorder {
  readonly record: ModelCallRecorder;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function modelCallEvent(
  call: ModelCall,
  ids: { agentId: string; sessionId: string },
  ts: number,
): TelemetryEventInput {
  return {
    type: 'model_call',
    eventId: newId('mcall', ts),
    ts,
    agentId: ids.agentId,
    sessionId: ids.sessionId,
    model: `${call.provider}:${call.model}`.slice(0, 200),
    kind: call.kind,
    latencyMs: Math.max(0, call.latencyMs),
    inputTokens: Math.max(0, Math.round(call.inputTokens ?? 0)),
    outputTokens: Math.max(0, Math.round(call.outputTokens ?? 0)),
    success: call.success,
  };
}

export function createModelCallRecorder(
  options: ModelCallRecorderOptions,
): BufferedModelCallRecorder {
  const tenantId = options.tenantId ?? 'default';
  const ids = {
    agentId: options.agentId ?? 'engram',
    sessionId: options.sessionId ?? `engram-${process.pid}`,
  };
  const maxBuffered = options.maxBuffered ?? 500;
  let buffer: TelemetryEventInput[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => void flush(), options.flushMs ?? 1000);
  timer.unref();

  function flush(): Promise<void> {
    if (buffer.length === 0) return flushing;
    const batch = buffer;
    buffer = [];
    flushing = flushing.then(async () => {
      try {
        await options.service.ingest(tenantId, batch);
      } catch (error) {
        options.logger.warn(
          { err: error, calls: batch.length },
          'could not record model calls in telemetry',
        );
      }
    });
    return flushing;
  }

  return {
    record(call) {
      try {
        buffer.push(modelCallEvent(call, ids, options.clock.now()));
        if (buffer.length >= maxBuffered) void flush();
      } catch (error) {
        options.logger.debug({ err: error }, 'model call not recorded');
      }
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
