// Whether the server answers. Any answer (even an error) means it does; a request that gets no
// answer marks it down, and from then on /health is probed until it answers again.
const PROBE_INTERVAL_MS = 2_000;

type Listener = (down: boolean) => void;
const listeners = new Set<Listener>();
let down = false;
let probe: ReturnType<typeof setTimeout> | undefined;

function set(value: boolean): void {
  if (value === down) return;
  down = value;
  for (const listener of listeners) listener(down);
}

function scheduleProbe(): void {
  if (probe !== undefined) return;
  probe = setTimeout(() => {
    probe = undefined;
    fetch('/health', { signal: AbortSignal.timeout(PROBE_INTERVAL_MS) }).then(
      () => set(false),
      () => scheduleProbe(),
    );
  }, PROBE_INTERVAL_MS);
}

export function serverAnswered(): void {
  set(false);
}

export function serverDidNotAnswer(): void {
  set(true);
  scheduleProbe();
}

export function onReachability(listener: Listener): () => void {
  listeners.add(listener);
  listener(down);
  return () => listeners.delete(listener);
}
