// One JSON POST to an OpenAI-compatible server, with every failure turned into a classified
// AppError: retryable for 429, 5xx and network errors, permanent otherwise. Messages quote a
// short piece of the server's answer (it usually says what is wrong) with the API key removed.
import { AppError, errorMessage } from '../domain/errors.js';

export interface PostJsonRequest {
  url: string;
  body: unknown;
  apiKey?: string | undefined;
  /** Setting that holds the key, named in the hint of a 401/403. */
  apiKeySetting: string;
  /** What is being called, for messages. */
  target: string;
  signal: AbortSignal;
}

const SNIPPET_CHARS = 300;

export async function postJson(request: PostJsonRequest): Promise<unknown> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  };
  if (request.apiKey !== undefined) headers['authorization'] = `Bearer ${request.apiKey}`;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(request.body),
      signal: request.signal,
    });
  } catch (error) {
    throw new AppError(
      'PROVIDER_FAILED',
      `could not reach ${request.target}: ${redact(networkReason(error), request.apiKey)}`,
      {
        cause: error,
        retryable: true,
        details: { reason: 'network' },
      },
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new AppError(
      'PROVIDER_FAILED',
      `${request.target} broke off its answer: ${redact(networkReason(error), request.apiKey)}`,
      {
        cause: error,
        retryable: true,
        details: { reason: 'network', status: response.status },
      },
    );
  }
  if (!response.ok) {
    const status = response.status;
    const transient = status === 429 || status >= 500;
    const snippet = redact(text.slice(0, SNIPPET_CHARS), request.apiKey).trim();
    const hint =
      status === 401 || status === 403
        ? ` — check ${request.apiKeySetting}`
        : status === 404
          ? ' — check the URL (it should end in /v1 for most servers) and the model name'
          : '';
    const details: Record<string, unknown> = { reason: 'http_status', status };
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (retryAfterMs !== undefined) details['retryAfterMs'] = retryAfterMs;
    throw new AppError(
      'PROVIDER_FAILED',
      `${request.target} answered HTTP ${status}${hint}${snippet ? `: ${snippet}` : ''}`,
      {
        retryable: transient,
        details,
      },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AppError(
      'PROVIDER_FAILED',
      `${request.target} answered HTTP ${response.status} with something that is not JSON: ${redact(text.slice(0, 120), request.apiKey)}`,
      { cause: error, details: { reason: 'bad_response', status: response.status } },
    );
  }
}

/** The URL without user info, query or trailing slash: safe to print. */
export function printableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(invalid URL)';
  }
}

export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** Removes every occurrence of the secret; the one place a key could leak is an echoing server. */
export function redact(text: string, secret: string | undefined): string {
  if (secret === undefined || secret.length === 0) return text;
  return text.split(secret).join('[redacted]');
}

function networkReason(error: unknown): string {
  // undici puts the useful part (ECONNREFUSED, ECONNRESET) in cause.
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  return cause === undefined
    ? errorMessage(error)
    : `${errorMessage(error)} (${errorMessage(cause)})`;
}

function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
