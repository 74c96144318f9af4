// Test support: an OpenAI-compatible embeddings endpoint (real HTTP on 127.0.0.1, random port)
// answering with the test hashing embedder's vectors, so engram child processes
// (ENGRAM_EMBEDDER=openai) embed instantly instead of each loading the local model.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHashingEmbedder } from '../memory/hashing-embedder.js';

export const HASHING_DIMENSION = 64;

export interface EmbeddingServer {
  /** Base URL ending in /v1, for ENGRAM_EMBEDDER_URL. */
  url: string;
  /** ENGRAM_* settings that point an engram process at this server. */
  env: Record<string, string>;
  /** Holds every answer this long from now on (0: answer at once), to keep requests in flight. */
  setDelayMs(ms: number): void;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startHashingEmbeddingServer(): Promise<EmbeddingServer> {
  const embedder = createHashingEmbedder(HASHING_DIMENSION);
  const sockets = new Set<Socket>();
  let delayMs = 0;
  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    try {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const body = JSON.parse(await readBody(request)) as { input?: unknown };
      const input = Array.isArray(body.input) ? body.input.map(String) : [String(body.input)];
      const vectors = await embedder.embed(input);
      const data = vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: Array.from(vector),
      }));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          object: 'list',
          data,
          model: 'hashing',
          usage: { prompt_tokens: input.length, total_tokens: input.length },
        }),
      );
    } catch (error) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: String(error) } }));
    }
  };
  const server = createServer((request, response) => void answer(request, response));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/v1`;
  return {
    url,
    env: {
      ENGRAM_EMBEDDER: 'openai',
      ENGRAM_EMBEDDER_URL: url,
      ENGRAM_EMBEDDER_MODEL: 'hashing',
      ENGRAM_EMBEDDER_DIMENSIONS: String(HASHING_DIMENSION),
    },
    setDelayMs: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
