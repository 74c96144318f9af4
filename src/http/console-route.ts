// The console: the page at `/` and its bundle under /console/, built by `npm run build` into
// dist/console. The page carries the few settings the console needs before its first call (the
// upload limits, whether an API key is needed) in a <meta> tag; everything else it asks the
// public API for, with the key the person gives it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../domain/errors.js';

/** <root>/dist/console, from src/http (tests) and dist/http (the built server) alike. */
export const CONSOLE_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'console',
);

export interface ConsoleSettings {
  /** ENGRAM_MAX_DOCUMENT_BYTES: a larger upload is refused before it is sent. */
  maxDocumentBytes: number;
  /** API keys are configured: the console asks for one. */
  authRequired: boolean;
}

const SETTINGS_MARKER = '<!--engram-settings-->';

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function consoleRoutes(settings: ConsoleSettings, dir = CONSOLE_DIR): FastifyPluginAsync {
  return async (app) => {
    const indexFile = join(dir, 'index.html');
    const page = existsSync(indexFile)
      ? readFileSync(indexFile, 'utf8').replace(
          SETTINGS_MARKER,
          `<meta name="engram-settings" content="${escapeAttribute(JSON.stringify(settings))}">`,
        )
      : undefined;

    app.get('/', { schema: { hide: true } }, async (_request, reply) => {
      if (page === undefined) {
        throw new AppError(
          'NOT_FOUND',
          'The console is not built: run `npm run build`, then restart the server.',
        );
      }
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
        )
        .send(page);
    });

    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/console/',
      index: false,
      // The bundle's names do not change between builds: revalidate rather than cache blindly.
      cacheControl: true,
      maxAge: 0,
    });
  };
}
