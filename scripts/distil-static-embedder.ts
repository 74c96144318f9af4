// Writes the static embedder's asset (assets/static-embedder/) from Universal Sentence Encoder
// lite. Run once when the model or the recipe (src/providers/static-embedder-distil.ts) changes:
//   npx tsx scripts/distil-static-embedder.ts
// The test of the static embedder fails while the shipped asset differs from what this writes.
import { writeFileSync } from 'node:fs';
import { encodeStaticEmbedderAsset } from '../src/providers/static-embedder-asset.js';
import { distilStaticEmbedder } from '../src/providers/static-embedder-distil.js';
import { STATIC_EMBEDDER_ASSET } from '../src/providers/static-embedder.js';
import { loadUseLite } from '../src/providers/use-lite-model.js';

const { header, vectors } = await distilStaticEmbedder(await loadUseLite());
writeFileSync(STATIC_EMBEDDER_ASSET, encodeStaticEmbedderAsset(header, vectors));
console.log(
  `wrote ${STATIC_EMBEDDER_ASSET} (${header.vocabulary.length} pieces × ${header.dimension})`,
);
