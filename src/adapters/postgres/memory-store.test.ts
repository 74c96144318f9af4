// Runs the MemoryStore contract against the PostgreSQL adapter in a fresh schema.
import { openPostgresMemoryBackend } from '../../../test/memory/backends.js';
import { describeMemoryStore } from '../../../test/memory/memory-store.contract.js';

describeMemoryStore('postgres', openPostgresMemoryBackend);
