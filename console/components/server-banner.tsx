// A banner while the server does not answer; it goes away by itself when it answers again.
import { useEffect, useState } from 'preact/hooks';
import { onReachability } from '../reachability';

export function ServerBanner() {
  const [down, setDown] = useState(false);
  useEffect(() => onReachability(setDown), []);
  if (!down) return null;
  return (
    <div class="banner" role="alert">
      The Engram server is not answering. Retrying every few seconds…
    </div>
  );
}
