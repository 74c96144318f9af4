// Every migration of the PostgreSQL store, collected from one file per capability.
import type { Migration } from '../../migration.js';
import { foundationMigrations } from './foundation.js';

export const postgresMigrations: Migration[] = [...foundationMigrations];
