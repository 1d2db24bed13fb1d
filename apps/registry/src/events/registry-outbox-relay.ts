import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createKafka, describeKafkaSecurity, kafkaSecurityFromEnv, OutboxRelay } from '@upshift/messaging';
import pino, { type DestinationStream } from 'pino';
import { kafkaBrokerList, RegistryConfig } from '../config';
import { REGISTRY_SCHEMA } from '../database/registry-data-source';

/**
 * Runs libs/messaging's OutboxRelay for the registry schema for as long as the app runs. Every
 * replica runs one; the relay's advisory lock lets only one publish at a time. Kafka being down
 * does not stop the registry from serving: the relay retries and rows wait in the outbox.
 */
@Injectable()
export class RegistryOutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly relay: OutboxRelay;
  private readonly enabled: boolean;

  /** `logDestination`: where the app's own logs go (RegistryAppModule.forRoot), so that the relay's join them. */
  constructor(config: RegistryConfig, logDestination: DestinationStream = process.stdout) {
    const logger = pino({ name: config.SERVICE_NAME, level: config.LOG_LEVEL }, logDestination);
    // KAFKA_SASL_MECHANISM, KAFKA_SSL, …: a mistake there throws here and stops start-up, even though a
    // Kafka that is merely down does not.
    const security = kafkaSecurityFromEnv(process.env);
    logger.info({ kafkaSecurity: describeKafkaSecurity(security) }, 'Kafka security');
    this.enabled = config.OUTBOX_RELAY_ENABLED;
    this.relay = new OutboxRelay({
      schema: REGISTRY_SCHEMA,
      connection: {
        connectionString: config.DATABASE_URL,
        application_name: 'upshift-registry-outbox-relay',
      },
      kafka: createKafka({
        clientId: config.SERVICE_NAME,
        brokers: kafkaBrokerList(config),
        logger,
        security,
      }),
      logger,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.enabled) await this.relay.start();
  }

  /** After the HTTP server stopped taking requests: the last committed events still go out if Kafka answers. */
  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}
