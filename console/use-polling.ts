// Runs `load` now, again whenever `deps` change, and every `intervalMs` after each answer while
// the component is shown (null: no repeat, read afresh after each answer). The last answer and
// the last error are kept side by side, so a failed refresh does not blank what was shown.
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  refresh: () => void;
}

export function usePolling<T>(
  load: () => Promise<T>,
  intervalMs: number | null,
  deps: unknown[] = [],
): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const latest = useRef({ load, intervalMs });
  latest.current = { load, intervalMs };
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const value = await latest.current.load();
        if (!live) return;
        setData(value);
        setError(null);
      } catch (failure) {
        if (live) setError(failure);
      }
      const interval = latest.current.intervalMs;
      if (live && interval !== null) timer = setTimeout(() => void run(), interval);
    };
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [tick, ...deps]);
  return { data, error, refresh: () => setTick((n) => n + 1) };
}
