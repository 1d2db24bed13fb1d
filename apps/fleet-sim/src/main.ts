import 'reflect-metadata';
import pino from 'pino';
import { defineCli, runCli } from '@upshift/cli';
import { FleetSimConfig, loadFleetSimConfig, toFleetOptions } from './config';
import { startFleet } from '@upshift/fleet';

const logger = pino({ name: 'fleet-sim' });

const DEFAULTS = new FleetSimConfig();
/** Each flag overrides the variable named in its `env` (the configuration FleetSimConfig validates). */
const FLEET_SIM_CLI = defineCli({
  command: 'npm run start:fleet-sim --',
  summary:
    'A simulated fleet: N agents speaking the agent protocol at <base>/i/<name>, an admin API at\n' +
    '<base>/admin; registered in the registry when --registry, --tenant, --component and --version-id are given.',
  options: {
    instances: {
      type: 'integer',
      default: DEFAULTS.FLEET_INSTANCES,
      min: 0,
      max: 100_000,
      env: 'FLEET_INSTANCES',
      description: 'agents',
    },
    port: {
      type: 'integer',
      default: DEFAULTS.FLEET_PORT,
      min: 0,
      max: 65_535,
      env: 'FLEET_PORT',
      description: 'port',
    },
    host: { type: 'string', default: DEFAULTS.FLEET_HOST, env: 'FLEET_HOST', description: 'address to bind' },
    'advertised-host': {
      type: 'string',
      env: 'FLEET_ADVERTISED_HOST',
      description: 'host in the agent URLs it registers (default: the bound address)',
    },
    prefix: {
      type: 'string',
      default: DEFAULTS.FLEET_NAME_PREFIX,
      env: 'FLEET_NAME_PREFIX',
      description: 'instance name prefix',
    },
    version: {
      type: 'string',
      default: DEFAULTS.FLEET_INITIAL_VERSION,
      env: 'FLEET_INITIAL_VERSION',
      description: 'version every agent starts at',
    },
    seed: {
      type: 'integer',
      default: DEFAULTS.FLEET_SEED,
      env: 'FLEET_SEED',
      description: 'random seed for latency and faults',
    },
    registry: {
      type: 'string',
      placeholder: 'URL',
      env: 'REGISTRY_URL',
      description: 'registry to register in',
    },
    tenant: {
      type: 'string',
      placeholder: 'ID',
      env: 'FLEET_TENANT_ID',
      description: 'tenant to register for',
    },
    component: { type: 'string', placeholder: 'ID', env: 'FLEET_COMPONENT_ID', description: 'component id' },
    'version-id': {
      type: 'string',
      placeholder: 'ID',
      env: 'FLEET_VERSION_ID',
      description: "the version's id",
    },
    latency: { type: 'string', placeholder: 'JSON', env: 'FLEET_LATENCY', description: 'latency profile' },
    faults: { type: 'string', placeholder: 'JSON', env: 'FLEET_FAULTS', description: 'fault injection' },
    'trusted-keys': {
      type: 'string',
      placeholder: 'KEYS',
      env: 'FLEET_TRUSTED_KEYS',
      description: 'comma-separated public keys trusted for artifact signatures',
    },
  },
});

/** The flags as the variables FleetSimConfig reads (a flag wins over its variable). */
function flagsAsVariables(): NodeJS.ProcessEnv {
  const { values } = runCli(FLEET_SIM_CLI);
  const variables: NodeJS.ProcessEnv = {};
  for (const [name, option] of Object.entries(FLEET_SIM_CLI.options)) {
    const value = values[name as keyof typeof values];
    if (value !== undefined && option.env !== undefined) variables[option.env] = String(value);
  }
  return variables;
}

async function main(): Promise<void> {
  const config = loadFleetSimConfig({ ...process.env, ...flagsAsVariables() }, []);
  const fleet = await startFleet(toFleetOptions(config));
  logger.info(
    {
      baseUrl: fleet.baseUrl,
      instances: config.FLEET_INSTANCES,
      registered: config.REGISTRY_URL !== undefined,
    },
    'fleet started: agents at <baseUrl>/i/<name>, admin API at <baseUrl>/admin',
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, maxOutOfService: fleet.outOfServiceHistory().max }, 'stopping the fleet');
    fleet.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'fleet-sim failed to start');
  process.exit(1);
});
