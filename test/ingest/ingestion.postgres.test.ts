// Ingestion end to end on PostgreSQL (pgvector), one fresh schema.
import { describeIngestion } from './ingestion-suite.js';

describeIngestion('postgres');
