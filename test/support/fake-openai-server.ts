// Test support: a real HTTP server on 127.0.0.1 (random port) speaking the OpenAI wire format,
// standing in for a paid model API in the provider tests. Each request goes to a handler
// that returns a reply, `hang` (never answer) or `drop` (close the socket mid-request).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** True once the client gave up on it (closed the connection) before an answer was sent. */
  abandoned: boolean;
}

export type FakeReply =
  | { status?: number; json?: unknown; text?: string; headers?: Record<string, string> }
  | 'hang'
  | 'drop';

export interface FakeOpenAiServer {
  /** Base URL ending in /v1, as users configure it. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeOpenAiServer(
  handler: (request: RecordedRequest, index: number) => FakeReply | Promise<FakeReply>,
): Promise<FakeOpenAiServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // keep the raw text
      }
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        abandoned: false,
      };
      res.on('close', () => {
        if (!res.writableEnded) recorded.abandoned = true;
      });
      requests.push(recorded);
      void Promise.resolve(handler(recorded, requests.length - 1)).then((reply) => {
        if (reply === 'hang') return;
        if (reply === 'drop') {
          req.socket.destroy();
          return;
        }
        const payload = reply.text ?? JSON.stringify(reply.json ?? {});
        res.writeHead(reply.status ?? 200, {
          'content-type': 'application/json',
          ...reply.headers,
        });
        res.end(payload);
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A deterministic, deliberately unnormalised 4-d "embedding" of a text. */
export function fakeEmbedding(text: string): number[] {
  let sum = 0;
  for (const ch of text) sum += ch.codePointAt(0)!;
  return [text.length + 1, sum % 97, 3, (sum % 7) + 1];
}

export function embeddingsReply(texts: string[], options: { reverse?: boolean } = {}): FakeReply {
  const data = texts.map((text, index) => ({
    object: 'embedding',
    index,
    embedding: fakeEmbedding(text),
  }));
  if (options.reverse) data.reverse();
  return {
    json: {
      object: 'list',
      data,
      model: 'fake',
      usage: { prompt_tokens: texts.length * 3, total_tokens: texts.length * 3 },
    },
  };
}

export function chatReply(
  content: string,
  usage = { prompt_tokens: 20, completion_tokens: 5 },
): FakeReply {
  return {
    json: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'fake',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}
