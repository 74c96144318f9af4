import { clusteredVectors, fillChunks, openBenchStore } from './suites/synthetic-store.js';
const bench = await openBenchStore('lab');
await fillChunks(bench.store, Number(process.env.N ?? 100000), { log: () => {}, vectors: clusteredVectors(1) });
const q = clusteredVectors(2)();
for (let r = 0; r < 3; r++) {
  const again = await bench.openAgain();
  const t = performance.now();
  await again.store.searchVector({ tenantId: 'default', vector: q, limit: 10 });
  console.log('first query after reopen', (performance.now() - t).toFixed(0), 'ms');
  await again.close();
}
await bench.close();
