import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ApiSecurityConfig, loadServiceConfig } from '@upshift/http';
import { DEFAULT_AGENT_URL_ALLOW, IsAgentAuthKey, IsAgentUrlAllowList } from '@upshift/contracts';

/**
 * The orchestrator's environment, validated once at start-up: a typo in a variable fails the process
 * with the variable named, instead of surfacing later as a confusing connection error.
 */
export class OrchestratorConfig extends ApiSecurityConfig {
  @IsString()
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/upshift';

  @IsString()
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Comma-separated host:port list; the embedded broker of `npm run up` by default. */
  @IsString()
  KAFKA_BROKERS = '127.0.0.1:9092';

  @IsString()
  REGISTRY_URL = 'http://127.0.0.1:8085';

  /**
   * The bearer token the orchestrator presents to the registry (e.g. from an OIDC client-credentials
   * flow). Unset: it mints its own with AUTH_JWT_SECRET; with only AUTH_JWKS_URL it must be set.
   */
  @IsString()
  REGISTRY_TOKEN = '';

  /** 0 picks a free port (tests). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8084;

  @IsOptional()
  @IsString()
  HOST?: string;

  /** BullMQ key prefix: tests pass their own so that parallel runs never share timers. */
  @IsString()
  QUEUE_PREFIX = 'upshift';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * The dashboard's built files (`npm run build:dashboard`), served at `/`; relative to the working
   * directory. Missing files give a page saying how to build them, not a failure (ADR 0089).
   */
  @IsString()
  DASHBOARD_DIR = 'dist/dashboard';

  /** Kafka client id; replicas may share it (the consumer group tells them apart). */
  @IsString()
  KAFKA_CLIENT_ID = 'upshift-orchestrator';

  /** Seconds added to healthCheckTimeoutSeconds in a command's deadline (COMMAND_STEPS_ALLOWANCE_SECONDS). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  HEALTH_DEADLINE_MARGIN_SECONDS = 30;

  /**
   * Seconds a command's deadline allows, beyond healthCheckTimeoutSeconds + HEALTH_DEADLINE_MARGIN_SECONDS,
   * for the steps before the health check (drain, artifact download and upgrade). One deadline per
   * dispatched group (ADR 0081): a command never answered by then is issued again, one answered only
   * in part fails.
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  COMMAND_STEPS_ALLOWANCE_SECONDS = 120;

  /** Re-issues before an instance is marked FAILED for want of any answer. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  COMMAND_MAX_ATTEMPTS = 3;

  /**
   * Runs of a timer job (ADR 0043) before BullMQ gives up on it; the recovery sweep re-arms it later
   * (ADR 0077). Tests lower it to reach the failed state quickly.
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  TIMER_JOB_ATTEMPTS = 10;

  /**
   * Tries of one result that parses but throws while being applied, while Postgres answers, before it is
   * sent to upgrade.dlq and its execution halted (ADR 0078).
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(100)
  RESULT_MAX_ATTEMPTS = 5;

  /**
   * The results consumer's Kafka session timeout: when a replica dies, its share of upgrade.results
   * moves to the survivors only after this, so it bounds the takeover time (README, "Chaos"). Kafka's
   * own floor is 6 s; lower than about 10 s, a busy event loop that misses heartbeats rebalances.
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(6_000)
  @Max(300_000)
  RESULTS_SESSION_TIMEOUT_MS = 10_000;

  /** Readiness fails once the oldest unpublished outbox row is older than this (ADR 0078). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  OUTBOX_MAX_AGE_SECONDS = 60;

  /** How often the canary monitor looks for executions whose next check is due. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(50)
  CANARY_MONITOR_TICK_MS = 1000;

  /** Timeout of one call to an instance agent (validation checks, canary monitor). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(100)
  AGENT_TIMEOUT_MS = 5000;

  /** Master key agent requests are signed with, hex; each tenant's key is derived from it (ADR 0071). */
  @IsAgentAuthKey()
  AGENT_AUTH_KEY = '';

  /** CIDRs and host patterns agents may be called at (ADR 0072). */
  @IsAgentUrlAllowList()
  AGENT_URL_ALLOW = DEFAULT_AGENT_URL_ALLOW;

  /** Run migrations at start-up (under an advisory lock, so replicas may start together). */
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  @IsBoolean()
  MIGRATIONS_RUN = true;

  /** Forward /api/v1/registry/* paths the orchestrator does not serve to REGISTRY_URL. */
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  @IsBoolean()
  REGISTRY_PROXY_ENABLED = true;

  /** Start the Kafka results consumer, relay and timers (false only for tooling such as migrate). */
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  @IsBoolean()
  ENGINE_ENABLED = true;
}

export const ORCHESTRATOR_CONFIG = Symbol('ORCHESTRATOR_CONFIG');

/**
 * Reads `env` (process.env by default) with `overrides` on top; throws InvalidConfigError listing every
 * invalid variable by name (never its value: DATABASE_URL and REDIS_URL may carry passwords).
 */
export function loadConfig(
  overrides: Partial<OrchestratorConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): OrchestratorConfig {
  return loadServiceConfig(OrchestratorConfig, 'orchestrator', env, overrides, {
    optionalKeys: ['HOST'],
    crossCheck: (config) =>
      config.REGISTRY_TOKEN === '' && config.AUTH_JWT_SECRET === '' && config.AUTH_JWKS_URL !== ''
        ? ['REGISTRY_TOKEN: REGISTRY_TOKEN must be set when tokens are verified with AUTH_JWKS_URL only']
        : [],
  });
}
