// Asks for an API key when the server has keys configured; the key is kept for this tab only
// (sessionStorage) and sent as a bearer token.
import { useState } from 'preact/hooks';
import { setApiKey } from '../api';

export function KeyForm({ reason }: { reason: string | null }) {
  const [key, setKey] = useState('');
  return (
    <form
      class="key-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (key.trim() !== '') setApiKey(key.trim());
      }}
    >
      <h1>Engram console</h1>
      <p>This server needs an API key. The console acts as that key's tenant.</p>
      {reason === null ? null : (
        <div class="error" role="alert">
          {reason}
        </div>
      )}
      <label for="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autocomplete="off"
        value={key}
        onInput={(event) => setKey(event.currentTarget.value)}
      />
      <button type="submit">Open the console</button>
    </form>
  );
}
