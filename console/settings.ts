// The settings the server put in the page (src/http/console-route.ts): read once.
export interface ConsoleSettings {
  maxDocumentBytes: number;
  authRequired: boolean;
}

function readSettings(): ConsoleSettings {
  const content = document.querySelector('meta[name="engram-settings"]')?.getAttribute('content');
  if (content === null || content === undefined) {
    throw new Error('The page has no engram-settings: it was not served by an Engram server.');
  }
  return JSON.parse(content) as ConsoleSettings;
}

export const settings = readSettings();
