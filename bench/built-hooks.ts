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
  const url = new URL(resolved.url);
  const path = `${url.protocol}//${url.pathname}`;
  if (!path.startsWith(SOURCE) || !path.endsWith('.ts')) return resolved;
  const built = new URL(`${BUILD}${path.slice(SOURCE.length, -'.ts'.length)}.js`);
  if (!existsSync(fileURLToPath(built)))
    throw new Error(
      `${fileURLToPath(resolved.url)} has no build in ${fileURLToPath(BUILD)} (tests and files ` +
        'tsconfig.build.json leaves out have none; otherwise run npm run build)',
    );
  built.search = url.search;
  return { url: built.href, format: 'module' };
}
