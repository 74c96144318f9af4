// The TypeScript client when the server is busy, slow or the caller gives up: retries on 429 and
// 503 after Retry-After, a timeout per attempt, the caller's AbortSignal.
import { afterEach, describe, expect, it } from 'vitest';
import { Engram, EngramError } from '../../src/client/index.js';
import { startErrorSpeakingServer, type ErrorSpeakingServer } from './error-speaking-server.js';

const EVENT = { type: 'session_start', eventId: 'e', ts: 0, sessionId: 's', agentId: 'a' } as const;

describe('TypeScript client transport', () => {
  let server: ErrorSpeakingServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('retries a 429 after the Retry-After the server names, under the same request id', async () => {
    server = await startErrorSpeakingServer([{ status: 429, retryAfter: '1' }]);
    const engram = new Engram({ baseUrl: server.baseUrl });
    const started = Date.now();
    await expect(engram.events.send([EVENT])).resolves.toEqual({ accepted: 1, rejected: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]).toBe(server.requests[0]);
  });

  it('retries 503s with backoff and gives up after maxRetries with the server error', async () => {
    server = await startErrorSpeakingServer([
      { status: 503 },
      { status: 503 },
      { status: 503, retryAfter: '0' },
    ]);
    const engram = new Engram({ baseUrl: server.baseUrl, maxRetries: 2, retryBaseDelayMs: 10 });
    const error = await engram.events.send([EVENT]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngramError);
    expect(error).toMatchObject({
      code: 'UNAVAILABLE',
      status: 503,
      requestId: server.requests[0],
    });
    expect(server.requests).toHaveLength(3);
  });

  it('does not wait for a Retry-After longer than maxRetryDelayMs', async () => {
    server = await startErrorSpeakingServer([{ status: 429, retryAfter: '60' }]);
    const engram = new Engram({ baseUrl: server.baseUrl, maxRetryDelayMs: 1_000 });
    await expect(engram.events.send([EVENT])).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(server.requests).toHaveLength(1);
  });

  it('times out an attempt that gets no answer', async () => {
    server = await startErrorSpeakingServer([{ status: 200, hang: true }]);
    const engram = new Engram({ baseUrl: server.baseUrl, timeoutMs: 200 });
    const error = await engram.events.send([EVENT]).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'CLIENT_TIMEOUT',
      status: 0,
      requestId: server.requests[0],
    });
  });

  it("stops when the caller's signal aborts, while waiting for an answer or to retry", async () => {
    server = await startErrorSpeakingServer([{ status: 200, hang: true }]);
    const engram = new Engram({ baseUrl: server.baseUrl });
    const waiting = new AbortController();
    setTimeout(() => waiting.abort(), 100);
    await expect(engram.events.send([EVENT], { signal: waiting.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    await server.close();

    server = await startErrorSpeakingServer([{ status: 503, retryAfter: '30' }]);
    const retrying = new Engram({ baseUrl: server.baseUrl });
    const backingOff = new AbortController();
    setTimeout(() => backingOff.abort(), 100);
    await expect(
      retrying.events.send([EVENT], { signal: backingOff.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(1);
  });
});
