// Reports each call to an OpenAI-compatible server to the ModelCallRecorder, so Engram's own
// model cost shows in its telemetry. A recorder that throws never fails the call.
import type { Logger } from '../domain/logger.js';
import type { ModelCall, ModelCallRecorder } from '../ports/embedder.js';

export type RecordOpenAiCall = (call: Omit<ModelCall, 'kind' | 'provider' | 'model'>) => void;

export function openAiCallRecorder(
  kind: ModelCall['kind'],
  options: { model: string; logger: Logger; recordCall?: ModelCallRecorder | undefined },
): RecordOpenAiCall {
  return (call) => {
    if (options.recordCall === undefined) return;
    try {
      options.recordCall({ kind, provider: 'openai', model: options.model, ...call });
    } catch (error) {
      options.logger.warn({ err: error }, 'model call recorder threw; ignored');
    }
  };
}
