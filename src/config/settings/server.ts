// Settings of the process itself: network, storage locations, logging, limits, shutdown.
import { z } from 'zod';
import { API_KEY_MIN_CHARS, parseApiKeys } from '../api-keys.js';
import { integer, number, secret, validWith } from '../rules.js';

export const serverSettings = {
  host: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  port: integer(1, 65_535).default(8420),
  dataDir: z.string().min(1, 'must not be empty').default('./.engram'),
  databaseUrl: z
    .string()
    .regex(
      /^postgres(ql)?:\/\//,
      'must start with postgres:// (leave unset for the embedded SQLite store)',
    )
    .optional(),
  /** PostgreSQL schema holding Engram's tables (one database can hold several deployments). */
  databaseSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier (letters, digits, _)')
    .default('engram'),
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  redisKeyPrefix: z.string().min(1).max(64).default('engram:'),
  redisCommandTimeoutMs: integer(10, 60_000).default(500),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** "key:tenant,key2:tenant2". Unset: no authentication, every request is tenant "default". */
  apiKeys: secret().optional().superRefine(validWith(parseApiKeys)),
  /**
   * Bearer token that opens /metrics (every tenant's figures). Unset: /metrics is open without
   * API keys and closed with them.
   */
  metricsToken: secret()
    .min(API_KEY_MIN_CHARS, `must be at least ${API_KEY_MIN_CHARS} characters`)
    .optional(),
  /** Distinct values one label of a telemetry gauge may take at /metrics; the rest are "__other__". */
  metricsMaxLabelValues: integer(1, 10_000).default(50),
  bodyLimitBytes: integer(1024, 256 * 1024 * 1024).default(10 * 1024 * 1024),
  requestTimeoutMs: integer(100, 600_000).default(30_000),
  rateLimitPerMinute: integer(0, 10_000_000).default(6000),
  /**
   * How long the rate limiter waits for Redis before counting the request in process (an event
   * loop held by other work counts too: a reply read late is a reply timed out).
   */
  rateLimitRedisTimeoutMs: integer(5, 10_000).default(250),
  shutdownTimeoutMs: integer(100, 120_000).default(10_000),
  pgPoolMax: integer(1, 200).default(10),
  pgConnectTimeoutMs: integer(100, 120_000).default(5_000),
  pgStatementTimeoutMs: integer(100, 3_600_000).default(30_000),
  heartbeatStaleMs: integer(1_000, 3_600_000).default(60_000),
  jobLeaseMs: integer(1_000, 3_600_000).default(60_000),
  jobMaxAttempts: integer(1, 100).default(5),
  jobBackoffBaseMs: integer(1, 3_600_000).default(1_000),
  jobBackoffMaxMs: integer(1, 86_400_000).default(60_000),
  /** How often each worker looks for documents whose job died or vanished, and prunes old jobs. */
  jobSweepIntervalMs: integer(100, 3_600_000).default(60_000),
  /** Completed and dead jobs are deleted this long after they finished. */
  jobRetentionMs: integer(60_000, 31_536_000_000).default(7 * 86_400_000),
  workerConcurrency: integer(1, 64).default(2),
  workerPollMs: number(10, 60_000).default(250),
};
