import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Max, Min, validateSync } from 'class-validator';
import { masterKeyring, parseAgentAuthKey } from '@upshift/contracts';
import {
  validateFaultConfig,
  validateLatencyProfile,
  type FaultConfig,
  type FleetOptions,
  type LatencyProfile,
} from '@upshift/fleet';

/**
 * The CLI's configuration: environment variables, overridden by `--flag value` arguments
 * (`--instances 20` sets FLEET_INSTANCES). Validated at start-up; a bad value stops the process
 * with a message naming the variable.
 */
export class FleetSimConfig {
  @IsInt() @Min(0) @Max(100_000) FLEET_INSTANCES = 20;
  @IsInt() @Min(0) @Max(65_535) FLEET_PORT = 8090;
  @IsString() FLEET_HOST = '127.0.0.1';
  /**
   * The host name or address in the agent URLs the fleet registers and prints, when it differs from the
   * bound one: a container binds 0.0.0.0 and is reached by its service name. Default: FLEET_HOST
   * (127.0.0.1 when that is 0.0.0.0 or ::).
   */
  @IsOptional() @IsString() FLEET_ADVERTISED_HOST?: string;
  @IsString() FLEET_NAME_PREFIX = 'sim';
  @IsString() FLEET_INITIAL_VERSION = '1.0.0';
  @IsInt() FLEET_SEED = 1;
  @IsOptional() @IsUrl({ require_tld: false }) REGISTRY_URL?: string;
  @IsOptional() @IsString() FLEET_TENANT_ID?: string;
  @IsOptional() @IsString() FLEET_COMPONENT_ID?: string;
  @IsOptional() @IsString() FLEET_VERSION_ID?: string;
  /** JSON LatencyProfile, e.g. {"default":{"kind":"uniform","minMs":5,"maxMs":50}}. */
  @IsOptional() @IsString() FLEET_LATENCY?: string;
  /** JSON FaultConfig, e.g. {"upgradeFails":{"probability":0.05}}. */
  @IsOptional() @IsString() FLEET_FAULTS?: string;
  /**
   * Comma-separated ed25519 public keys (base64 raw or SPKI PEM) trusted for artifact signatures, besides
   * the registry's keys for FLEET_COMPONENT_ID, which a registering fleet always trusts (ADR 0073).
   */
  @IsOptional() @IsString() FLEET_TRUSTED_KEYS?: string;
  /**
   * The master key agent requests are signed with (ADR 0071): the simulator stands in for every
   * tenant's agents, so it derives each tenant's key as workers do. Required; from the environment
   * only, never a flag (a process's arguments are visible to every local user).
   */
  @IsOptional() @IsString() AGENT_AUTH_KEY?: string;
  /**
   * Bearer token (operator role for FLEET_TENANT_ID) with which a registering fleet calls the registry.
   * From the environment only, like AGENT_AUTH_KEY.
   */
  @IsOptional() @IsString() FLEET_REGISTRY_TOKEN?: string;
}

const FLAG_TO_VARIABLE: Record<string, keyof FleetSimConfig> = {
  instances: 'FLEET_INSTANCES',
  port: 'FLEET_PORT',
  host: 'FLEET_HOST',
  'advertised-host': 'FLEET_ADVERTISED_HOST',
  prefix: 'FLEET_NAME_PREFIX',
  version: 'FLEET_INITIAL_VERSION',
  seed: 'FLEET_SEED',
  registry: 'REGISTRY_URL',
  tenant: 'FLEET_TENANT_ID',
  component: 'FLEET_COMPONENT_ID',
  'version-id': 'FLEET_VERSION_ID',
  latency: 'FLEET_LATENCY',
  faults: 'FLEET_FAULTS',
  'trusted-keys': 'FLEET_TRUSTED_KEYS',
};
const NUMERIC: readonly string[] = ['FLEET_INSTANCES', 'FLEET_PORT', 'FLEET_SEED'];

export function loadFleetSimConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): FleetSimConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.values(FLAG_TO_VARIABLE)) if (env[key] !== undefined) raw[key] = env[key];
  if (env['AGENT_AUTH_KEY'] !== undefined) raw['AGENT_AUTH_KEY'] = env['AGENT_AUTH_KEY'];
  if (env['FLEET_REGISTRY_TOKEN'] !== undefined) raw['FLEET_REGISTRY_TOKEN'] = env['FLEET_REGISTRY_TOKEN'];
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i]?.replace(/^--/, '') ?? '';
    const variable = FLAG_TO_VARIABLE[flag];
    if (!variable)
      throw new Error(
        `unknown flag --${flag} (known: ${Object.keys(FLAG_TO_VARIABLE)
          .map((f) => `--${f}`)
          .join(' ')})`,
      );
    raw[variable] = argv[i + 1];
    i += 1;
  }
  for (const key of NUMERIC) if (typeof raw[key] === 'string') raw[key] = Number(raw[key]);
  const config = plainToInstance(FleetSimConfig, raw);
  const errors = validateSync(config);
  if (errors.length > 0) {
    const detail = errors
      .map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`)
      .join('; ');
    throw new Error(`invalid fleet-sim configuration: ${detail}`);
  }
  return config;
}

function parseJson<T>(
  name: string,
  text: string | undefined,
  validate: (v: unknown) => string | null,
): T | undefined {
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
  const problem = validate(value);
  if (problem) throw new Error(`${name}: ${problem}`);
  return value as T;
}

export function toFleetOptions(config: FleetSimConfig): FleetOptions {
  const registrationFields = [config.FLEET_TENANT_ID, config.FLEET_COMPONENT_ID, config.FLEET_VERSION_ID];
  const registering = config.REGISTRY_URL !== undefined && registrationFields.some((f) => f !== undefined);
  if (registering && registrationFields.some((f) => f === undefined)) {
    throw new Error(
      'to register the fleet, set all of FLEET_TENANT_ID, FLEET_COMPONENT_ID and FLEET_VERSION_ID',
    );
  }
  if (registering && !config.FLEET_REGISTRY_TOKEN) {
    throw new Error(
      'to register the fleet, set FLEET_REGISTRY_TOKEN (an operator token for FLEET_TENANT_ID)',
    );
  }
  return {
    instances: config.FLEET_INSTANCES,
    port: config.FLEET_PORT,
    host: config.FLEET_HOST,
    advertisedHost: config.FLEET_ADVERTISED_HOST,
    namePrefix: config.FLEET_NAME_PREFIX,
    initialVersion: config.FLEET_INITIAL_VERSION,
    seed: config.FLEET_SEED,
    latency: parseJson<LatencyProfile>('FLEET_LATENCY', config.FLEET_LATENCY, validateLatencyProfile),
    faults: parseJson<FaultConfig>('FLEET_FAULTS', config.FLEET_FAULTS, validateFaultConfig),
    trustedPublicKeys: config.FLEET_TRUSTED_KEYS?.split(',').filter((k) => k.trim() !== ''),
    agentKeys: masterKeyring(parseAgentAuthKey(config.AGENT_AUTH_KEY)),
    registration:
      registering &&
      config.REGISTRY_URL &&
      config.FLEET_TENANT_ID &&
      config.FLEET_COMPONENT_ID &&
      config.FLEET_VERSION_ID
        ? {
            registryUrl: config.REGISTRY_URL,
            token: config.FLEET_REGISTRY_TOKEN ?? '',
            tenantId: config.FLEET_TENANT_ID,
            componentId: config.FLEET_COMPONENT_ID,
            versionId: config.FLEET_VERSION_ID,
          }
        : undefined,
  };
}
