import { hostname } from 'os';
import { plainToInstance } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { DEFAULT_AGENT_URL_ALLOW, IsAgentAuthKey, IsAgentUrlAllowList } from '@upshift/contracts';

/** The worker's configuration, read from the environment and validated at start-up. */
export class WorkerConfig {
  /** Comma-separated host:port list. */
  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port…]' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Commands executing at once in this worker. */
  @IsInt() @Min(1) @Max(10_000) WORKER_CONCURRENCY = 64;

  /** Identifies this worker in results, leases and logs. */
  @IsString() @MinLength(1) WORKER_ID = `worker-${hostname()}-${process.pid}`;

  /** Redis key prefix for leases and the result cache. */
  @IsString() @MinLength(1) WORKER_REDIS_PREFIX = 'upshift:worker';

  /** Instance lease lifetime; a crashed worker's instances are free again after this long. */
  @IsInt() @Min(500) WORKER_LEASE_TTL_MS = 15_000;

  /** Timeout of one agent call. */
  @IsInt() @Min(100) WORKER_AGENT_TIMEOUT_MS = 10_000;

  /** Master key agent requests are signed with, hex; each tenant's key is derived from it (ADR 0071). */
  @IsAgentAuthKey() AGENT_AUTH_KEY = '';

  /** CIDRs and host patterns agents may be called at (ADR 0072). */
  @IsAgentUrlAllowList() AGENT_URL_ALLOW = DEFAULT_AGENT_URL_ALLOW;

  /**
   * Attempts of one agent call on transient errors (503, timeouts, refused connections). Eight, with
   * full-jitter backoff from 200 ms capped at 5 s, ride out an agent that restarts for a few seconds;
   * five gave up within about a second, and failed an instance whose agent was merely restarting.
   */
  @IsInt() @Min(1) @Max(20) WORKER_RETRY_MAX_ATTEMPTS = 8;
  @IsInt() @Min(1) WORKER_RETRY_BASE_MS = 200;
  @IsInt() @Min(1) WORKER_RETRY_MAX_MS = 5_000;

  /** Kafka group session timeout: how fast the group notices a dead worker. */
  @IsInt() @Min(1000) WORKER_SESSION_TIMEOUT_MS = 30_000;

  /** On SIGTERM, how long in-flight commands may finish before being handed back. */
  @IsInt() @Min(0) WORKER_SHUTDOWN_GRACE_MS = 20_000;

  /**
   * Steps of a command that end within this many ms of each other share one report on `upgrade.results`;
   * a step is reported at most this late (ADR 0082). 0 reports each step on its own.
   */
  @IsInt() @Min(0) @Max(10_000) WORKER_REPORT_COALESCE_MS = 250;

  /** Port of the plain-HTTP `/health/live` and `/health/ready` probes; 0 picks a free one (tests, ADR 0079). */
  @IsInt() @Min(0) @Max(65535) WORKER_HEALTH_PORT = 8087;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';

  /**
   * When set, `GET /metrics` on WORKER_HEALTH_PORT wants `Authorization: Bearer <this>`; unset, it is
   * open like the probes (docs/adr/0086-metrics-endpoints.md).
   */
  @ValidateIf((config: WorkerConfig) => config.METRICS_TOKEN !== '')
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters long when set' })
  @Matches(/^\S+$/, { message: 'METRICS_TOKEN must not contain spaces' })
  METRICS_TOKEN = '';
}

const NUMERIC_KEYS: readonly (keyof WorkerConfig)[] = [
  'WORKER_CONCURRENCY',
  'WORKER_LEASE_TTL_MS',
  'WORKER_AGENT_TIMEOUT_MS',
  'WORKER_RETRY_MAX_ATTEMPTS',
  'WORKER_RETRY_BASE_MS',
  'WORKER_RETRY_MAX_MS',
  'WORKER_SESSION_TIMEOUT_MS',
  'WORKER_SHUTDOWN_GRACE_MS',
  'WORKER_REPORT_COALESCE_MS',
  'WORKER_HEALTH_PORT',
];

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(new WorkerConfig())) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    raw[key] = (NUMERIC_KEYS as readonly string[]).includes(key) ? Number(value) : value;
  }
  const config = plainToInstance(WorkerConfig, raw);
  const errors = validateSync(config);
  if (errors.length > 0) {
    const detail = errors
      .map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`)
      .join('; ');
    throw new Error(`invalid worker configuration (fix the environment variables): ${detail}`);
  }
  return config;
}
