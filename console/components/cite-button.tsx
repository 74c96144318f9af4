// Cites one memory (POST /v1/memories/cited), as an agent does when it used it: its salience
// rises, and the new salience is shown beside the button.
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Cited } from '../api-types';
import { ErrorNotice } from './error-notice';

export function CiteButton({ id, onCited }: { id: string; onCited?: () => void }) {
  const [salience, setSalience] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const cite = async () => {
    setError(null);
    try {
      const answer = await api<Cited>('/v1/memories/cited', {
        method: 'POST',
        body: { ids: [id] },
      });
      const updated = answer.updated.find((entry) => entry.id === id);
      setSalience(updated?.salience ?? null);
      if (updated === undefined) setError(new Error(`Memory ${id} is no longer stored.`));
      else onCited?.();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <span class="cite">
      <button
        type="button"
        class="small"
        aria-label={`Cite memory ${id}`}
        onClick={() => void cite()}
      >
        Cite
      </button>
      {salience === null ? null : <span role="status"> cited: salience {salience.toFixed(3)}</span>}
      <ErrorNotice error={error} />
    </span>
  );
}
