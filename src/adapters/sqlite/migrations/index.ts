// Every migration of the embedded store, collected from one file per capability.
import type { Migration } from '../../migration.js';
import { foundationMigrations } from './foundation.js';
import { graphMigrations } from './graph.js';
import { ingestMigrations } from './ingest.js';
import { memoryMigrations } from './memory.js';
import { telemetryMigrations } from './telemetry.js';

export const sqliteMigrations: Migration[] = [
  ...foundationMigrations,
  ...ingestMigrations,
  ...graphMigrations,
  ...memoryMigrations,
  ...telemetryMigrations,
];
