import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ApiSecurityConfig, InvalidConfigError, loadServiceConfig } from '@upshift/http';
import { DEFAULT_AGENT_URL_ALLOW, IsAgentUrlAllowList } from '@upshift/contracts';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/upshift';

/**
 * The registry's settings, read once from the environment at start-up and validated: a service that
 * starts with a typo in DATABASE_URL fails before it listens, naming the variable.
 */
export class RegistryConfig extends ApiSecurityConfig {
  /** HTTP port; 0 picks a free port (tests). */
  @Transform(({ value }) => (value === undefined || value === '' ? 8085 : Number(value)))
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8085;

  @Transform(({ value }) => (value === undefined || value === '' ? DEFAULT_DATABASE_URL : String(value)))
  @Matches(/^postgres(ql)?:\/\/[^/]+\/[^/?]+/, {
    message: `DATABASE_URL must be a postgres:// URL that names a database, e.g. ${DEFAULT_DATABASE_URL}`,
  })
  DATABASE_URL = DEFAULT_DATABASE_URL;

  /** Comma-separated host:port list of Kafka brokers for registry.events. */
  @Transform(({ value }) => (value === undefined || value === '' ? '127.0.0.1:9092' : String(value)))
  @Matches(/^[^,\s:]+:\d+(,[^,\s:]+:\d+)*$/, {
    message: 'KAFKA_BROKERS must be a comma-separated list of host:port, e.g. 127.0.0.1:9092',
  })
  KAFKA_BROKERS = '127.0.0.1:9092';

  @Transform(({ value }) => (value === undefined || value === '' ? 'info' : String(value)))
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * Whether this process relays the outbox to Kafka. Several replicas may all say yes: one relay per
   * schema is active at a time (libs/messaging takes an advisory lock).
   */
  @Transform(({ value }) => parseBoolean(value, true))
  @IsBoolean({ message: 'OUTBOX_RELAY_ENABLED must be true or false' })
  OUTBOX_RELAY_ENABLED = true;

  /** Name that identifies this service in logs and as the CloudEvents `source`. */
  @Transform(({ value }) => (value === undefined || value === '' ? 'upshift-registry' : String(value)))
  @IsString()
  SERVICE_NAME = 'upshift-registry';

  /** CIDRs and host patterns an instance's agentUrl may point at (ADR 0072). */
  @Transform(({ value }) => (value === undefined || value === '' ? DEFAULT_AGENT_URL_ALLOW : String(value)))
  @IsAgentUrlAllowList()
  AGENT_URL_ALLOW = DEFAULT_AGENT_URL_ALLOW;
}

function parseBoolean(value: unknown, fallback: boolean): unknown {
  if (value === undefined || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  const text = String(value).toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  return value;
}

export type RegistryConfigOverrides = Partial<Record<keyof RegistryConfig, string | number | boolean>>;

export { InvalidConfigError };

export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');

/**
 * Builds the configuration from the environment, with `overrides` taking precedence (tests and the
 * local-stack script pass their own ports and databases). Throws InvalidConfigError listing every
 * invalid variable.
 */
export function loadRegistryConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: RegistryConfigOverrides = {},
): RegistryConfig {
  return loadServiceConfig(RegistryConfig, 'registry', env, overrides);
}

export function kafkaBrokerList(config: RegistryConfig): string[] {
  return config.KAFKA_BROKERS.split(',').map((broker) => broker.trim());
}
