// Settings of agent telemetry: stream bounds, deliveries before dead-lettering, dedup window.
import { integer } from '../rules.js';

export const telemetrySettings = {
  telemetryMaxDeliveries: integer(1, 100).default(3),
  telemetryBatchMaxEvents: integer(1, 100_000).default(1000),
  telemetryDedupTtlSeconds: integer(60, 31_536_000).default(7 * 24 * 3600),
  telemetryStreamMaxLen: integer(1000, 1_000_000_000).default(1_000_000),
  telemetryClaimIdleMs: integer(100, 3_600_000).default(30_000),
};
