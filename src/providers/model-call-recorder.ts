// Reports each model call (embedding or chat, any provider) to the ModelCallRecorder, so
// Engram's own model cost shows in its telemetry. A recorder that throws never fails the call.
import { AppError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import type { ModelCall, ModelCallRecorder } from '../ports/embedder.js';

export type RecordModelCall = (call: Omit<ModelCall, 'kind' | 'provider' | 'model'>) => void;

export function modelCallRecorder(
  kind: ModelCall['kind'],
  provider: ModelCall['provider'],
  options: { model: string; logger: Logger; recordCall?: ModelCallRecorder | undefined },
): RecordModelCall {
  return (call) => {
    if (options.recordCall === undefined) return;
    try {
      options.recordCall({ kind, provider, model: options.model, ...call });
    } catch (error) {
      options.logger.warn({ err: error }, 'model call recorder threw; ignored');
    }
  };
}

/**
 * Runs one model call over `items` texts or messages and records it: its latency, and success
 * with the tokens `usage` reads from the result, or the failure's short reason (then rethrows).
 */
export async function recordedCall<T>(
  record: RecordModelCall,
  items: number,
  run: () => Promise<T>,
  usage: (result: T) => Pick<ModelCall, 'inputTokens'> = () => ({}),
): Promise<T> {
  const started = performance.now();
  try {
    const result = await run();
    record({ latencyMs: performance.now() - started, items, success: true, ...usage(result) });
    return result;
  } catch (error) {
    record({
      latencyMs: performance.now() - started,
      items,
      success: false,
      error: shortReason(error),
    });
    throw error;
  }
}

/** A failed call's reason for the recorder, at most 300 characters. */
export function shortReason(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.message}`.slice(0, 300);
  if (error instanceof Error)
    return error.name === 'AbortError' ? 'aborted' : error.message.slice(0, 300);
  return 'unknown error';
}
