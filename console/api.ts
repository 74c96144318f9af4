// The console's only way to the server: fetch on the public API, with the person's API key as a
// bearer token. Every failure becomes an ApiError carrying the server's message and request id.
import { serverAnswered, serverDidNotAnswer } from './reachability';

const KEY_STORAGE = 'engram.apiKey';
const TIMEOUT_MS = 15_000;

export class ApiError extends Error {
  constructor(
    readonly status: number | null,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

type KeyListener = (reason: string | null) => void;
const keyListeners = new Set<KeyListener>();

export function storedApiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function setApiKey(key: string | null, reason: string | null = null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
  for (const listener of keyListeners) listener(reason);
}

/** Called when the key is set or dropped (a 401 drops it, with the server's reason). */
export function onApiKeyChange(listener: KeyListener): () => void {
  keyListeners.add(listener);
  return () => keyListeners.delete(listener);
}

interface ErrorBody {
  error?: { code?: string; message?: string; requestId?: string };
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Sent as JSON, or as multipart/form-data when it is FormData. */
  body?: unknown;
  /** Statuses other than 2xx whose JSON body is an answer, not an error (/ready's 503). */
  accept?: number[];
}

export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = storedApiKey();
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | FormData | undefined;
  if (options.body instanceof FormData) {
    body = options.body; // fetch sets the multipart content type with its boundary
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    serverDidNotAnswer();
    throw new ApiError(null, 'UNREACHABLE', 'The server did not answer.', null);
  }
  serverAnswered();
  const requestId = response.headers.get('x-request-id');
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): reported below with the status.
  }
  if (response.ok || options.accept?.includes(response.status) === true) return parsed as T;
  const error = (parsed as ErrorBody | undefined)?.error;
  const failure = new ApiError(
    response.status,
    error?.code ?? `HTTP_${response.status}`,
    error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
    error?.requestId ?? requestId,
  );
  if (response.status === 401 && key !== null) setApiKey(null, failure.message);
  throw failure;
}
