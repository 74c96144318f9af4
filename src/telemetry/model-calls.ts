// recordModelCall: Engram's own embedding and LLM calls become model_call events in its own
// telemetry, so users see what memory costs them — each in the telemetry of the tenant the call
// ran for (the tenant scope of the request, job or background step that made it; `tenantId`
// outside every scope). Calls are buffered and appended in batches, one per tenant (every
// flushMs or maxBuffered calls); recording never throws and never blocks the model call.
import { newId } from '../domain/ids.js';
import { currentTenant } from '../domain/tenant-scope.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { ModelCall, ModelCallRecorder } from '../ports/embedder.js';
import type { TelemetryEventInput } from './events.js';
import type { TelemetryService } from './service.js';

export interface ModelCallRecorderOptions {
  service: TelemetryService;
  clock: Clock;
  logger: Logger;
  /** The tenant of calls made outside any tenant scope (default `default`). */
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
  const fallbackTenant = options.tenantId ?? 'default';
  const ids = {
    agentId: options.agentId ?? 'engram',
    sessionId: options.sessionId ?? `engram-${process.pid}`,
  };
  const maxBuffered = options.maxBuffered ?? 500;
  let buffer: Array<{ tenantId: string; event: TelemetryEventInput }> = [];
  let flushing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => void flush(), options.flushMs ?? 1000);
  timer.unref();

  function flush(): Promise<void> {
    if (buffer.length === 0) return flushing;
    const batch = buffer;
    buffer = [];
    const byTenant = new Map<string, TelemetryEventInput[]>();
    for (const { tenantId, event } of batch) {
      const events = byTenant.get(tenantId) ?? [];
      events.push(event);
      byTenant.set(tenantId, events);
    }
    flushing = flushing.then(async () => {
      for (const [tenantId, events] of byTenant) {
        try {
          await options.service.ingest(tenantId, events);
        } catch (error) {
          options.logger.warn(
            { err: error, calls: events.length, tenant: tenantId },
            'could not record model calls in telemetry',
          );
        }
      }
    });
    return flushing;
  }

  return {
    record(call) {
      try {
        buffer.push({
          tenantId: currentTenant() ?? fallbackTenant,
          event: modelCallEvent(call, ids, options.clock.now()),
        });
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
