// `npm run client:generate`: writes the TypeScript client's types from the server's schemas.
import { writeFileSync } from 'node:fs';
import { GENERATED_TYPES_PATH, generateClientTypes } from './client-types.js';

writeFileSync(GENERATED_TYPES_PATH, await generateClientTypes());
console.log(`Wrote ${GENERATED_TYPES_PATH}`);
