// Abort helpers shared by the providers: the error a cancelled call rejects with.

/** The signal's reason when it is an Error (AbortSignal.timeout() gives a TimeoutError), else an AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(
    typeof reason === 'string' ? reason : 'The operation was aborted',
    'AbortError',
  );
}
