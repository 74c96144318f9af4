// esbuild bundles imported CSS into main.css; TypeScript only needs to know the import is allowed.
declare module '*.css';
