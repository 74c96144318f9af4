// Module resolution hooks registered by built.ts: a module that resolves into src/ (through
// tsx, as a .ts file) loads from its compiled twin in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SOURCE = new URL('../src/', import.meta.url).href;
const BUILD = new URL('../dist/', import.meta.url).href;

interface Resolved {
  url: string;
  format?: string | null;
}

export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: (specifier: string, context: unknown) => Promise<Resolved>,
): Promise<Resolved> {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith(SOURCE) || !resolved.url.endsWith('.ts')) return resolved;
  const built = `${BUILD}${resolved.url.slice(SOURCE.length, -'.ts'.length)}.js`;
  if (!existsSync(fileURLToPath(built)))
    throw new Error(`${fileURLToPath(built)} is missing: run npm run build`);
  return { url: built, format: 'module' };
}
