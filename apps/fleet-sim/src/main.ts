import 'reflect-metadata';
import pino from 'pino';
import { loadFleetSimConfig, toFleetOptions } from './config';
import { startFleet } from './fleet/fleet';

const logger = pino({ name: 'fleet-sim' });

async function main(): Promise<void> {
  const config = loadFleetSimConfig(process.env, process.argv.slice(2));
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
