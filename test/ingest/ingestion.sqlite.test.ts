// Ingestion end to end on the embedded store (SQLite file).
import { describeIngestion } from './ingestion-suite.js';

describeIngestion('sqlite');
