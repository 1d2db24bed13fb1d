import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min, validateSync } from 'class-validator';

/**
 * The orchestrator's environment, validated once at start-up: a typo in a variable fails the process
 * with the variable named, instead of surfacing later as a confusing connection error.
 */
export class OrchestratorConfig {
  @IsString()
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/upshift';

  @IsString()
  REDIS_URL = 'redis://127.0.0.1:6379';

  /** Comma-separated host:port list; the embedded broker of `npm run up` by default. */
  @IsString()
  KAFKA_BROKERS = '127.0.0.1:9092';

  @IsString()
  REGISTRY_URL = 'http://127.0.0.1:8085';

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

  /** Kafka client id; replicas may share it (the consumer group tells them apart). */
  @IsString()
  KAFKA_CLIENT_ID = 'upshift-orchestrator';

  /** Seconds added to healthCheckTimeoutSeconds before an unanswered health check counts as FAILED. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  HEALTH_DEADLINE_MARGIN_SECONDS = 30;

  /**
   * A DRAIN/UPGRADE/ROLLBACK command still unanswered after this many seconds is re-issued with a new
   * commandId (the old one is superseded: its late result is ignored).
   */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  COMMAND_REISSUE_AFTER_SECONDS = 300;

  /** Re-issues before an instance is marked FAILED for want of any answer. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  COMMAND_MAX_ATTEMPTS = 3;

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

/** Reads `env` (process.env by default) with `overrides` on top; throws listing every invalid variable. */
export function loadConfig(
  overrides: Partial<OrchestratorConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): OrchestratorConfig {
  const defaults = new OrchestratorConfig();
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(defaults)) {
    const fromEnv = env[key];
    if (fromEnv !== undefined && fromEnv !== '') raw[key] = fromEnv;
  }
  if (env['HOST'] !== undefined) raw['HOST'] = env['HOST'];
  const config = plainToInstance(OrchestratorConfig, { ...raw, ...overrides });
  const errors = validateSync(config, { whitelist: false });
  if (errors.length > 0) {
    // Values are left out on purpose: DATABASE_URL and REDIS_URL may carry passwords.
    const detail = errors
      .map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`)
      .join('; ');
    throw new Error(`Invalid orchestrator configuration: ${detail}. Fix these environment variables.`);
  }
  return config;
}
