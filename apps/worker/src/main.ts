import 'reflect-metadata';
import pino from 'pino';
import { startTracing } from '@upshift/tracing';
import { loadWorkerConfig } from './config';
import { startWorker } from './worker';

const logger = pino({ name: 'worker' });

async function main(): Promise<void> {
  // First: off unless OTEL_* asks for it (docs/adr/0091-opentelemetry-tracing.md).
  const tracing = startTracing('upshift-worker');
  const config = loadWorkerConfig();
  const worker = await startWorker(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new commands; finishing or handing back in-flight ones');
    worker.stop().then(
      () => tracing.shutdown().finally(() => process.exit(0)),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  logger.error({ err: error instanceof Error ? error.message : error }, 'worker failed to start');
  process.exit(1);
});
