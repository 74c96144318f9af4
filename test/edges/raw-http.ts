// A request written byte for byte on a TCP socket, so the request target reaches the server
// exactly as an attacker spells it (encoded, doubled slashes, dot segments, absolute form);
// HTTP clients and inject() would normalise those before sending.
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  body: string;
}

export function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined) {
    lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  }
  const wire = `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${method} ${target}`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (status === null) {
        reject(new Error(`no HTTP answer to ${method} ${target}: ${JSON.stringify(text)}`));
        return;
      }
      const at = text.indexOf('\r\n\r\n');
      resolve({ status: Number(status[1]), body: at < 0 ? '' : text.slice(at + 4) });
    });
    socket.write(wire);
  });
}
