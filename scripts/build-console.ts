// Builds the console (console/) into dist/console: one ES module bundle and one stylesheet by
// esbuild, and the page the server fills in (src/http/console-route.ts).
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/console';
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: { main: 'console/main.tsx' },
  outdir,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
copyFileSync('console/index.html', `${outdir}/index.html`);
console.log(`[build-console] ${outdir}: main.js, main.css, index.html`);
