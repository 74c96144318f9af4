// A local HTTP server that answers with a script of statuses in Engram's error body (429, 503
// with Retry-After) before a success, or never answers: for the clients' retry, timeout and
// abort tests, which cannot make a real server overload on cue.
import { createServer, type Server } from 'node:http';

export interface ScriptedAnswer {
  status: number;
  retryAfter?: string;
  /** Hold the request without answering. */
  hang?: boolean;
}

export interface ErrorSpeakingServer {
  baseUrl: string;
  /** Request ids (x-request-id) in arrival order. */
  requests: string[];
  close(): Promise<void>;
}

const CODE_OF: Record<number, string> = { 429: 'RATE_LIMITED', 503: 'UNAVAILABLE' };

export async function startErrorSpeakingServer(
  script: ScriptedAnswer[],
): Promise<ErrorSpeakingServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const requestId = String(request.headers['x-request-id'] ?? 'none');
    requests.push(requestId);
    const answer = script[requests.length - 1] ?? { status: 200 };
    if (answer.hang === true) return;
    request.resume();
    const body =
      answer.status < 400
        ? { accepted: 1, rejected: [] }
        : {
            error: {
              code: CODE_OF[answer.status] ?? 'INTERNAL',
              message: `Scripted ${answer.status}.`,
              requestId,
            },
          };
    response.writeHead(answer.status, {
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }),
    });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
