// A small HTTP client for the fault-injection tests: JSON in and out over real sockets, and a
// network failure (reset, refused) reported as a result instead of thrown, so a test can count it.
import { ACME } from '../support/runtime.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type Outcome = Answer | { error: string };

export async function request(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = ACME,
): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Like request, but a network failure becomes { error } (with its cause's code). */
export async function attempt(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = ACME,
): Promise<Outcome> {
  try {
    return await request(baseUrl, method, path, body, headers);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { error: `${String(error)} (${cause?.code ?? cause?.message ?? 'no cause'})` };
  }
}

export function isAnswer(outcome: Outcome): outcome is Answer {
  return !('error' in outcome);
}
