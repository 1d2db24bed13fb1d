import { Inject, Injectable, Logger } from '@nestjs/common';
import { Partitioners } from 'kafkajs';
import type { Admin, Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import type { Logger as PinoLogger } from 'pino';
import { createKafka, describeKafkaSecurity, kafkaSecurityFromEnv } from '@upshift/messaging';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';

/** The service's Kafka client, a producer for dead letters, and an admin client for readiness. */
@Injectable()
export class KafkaClients {
  private readonly logger = new Logger(KafkaClients.name);
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;
  private connected = false;

  /** The pino logger handed to the messaging helpers (kafkajs bridge, outbox relay). */
  readonly pino: PinoLogger;

  constructor(@Inject(ORCHESTRATOR_CONFIG) config: OrchestratorConfig) {
    this.pino = pino({ name: 'orchestrator', level: config.LOG_LEVEL });
    // KAFKA_SASL_MECHANISM, KAFKA_SSL, …: a mistake there throws here and stops start-up.
    const security = kafkaSecurityFromEnv(process.env);
    this.logger.log(`Kafka security: ${JSON.stringify(describeKafkaSecurity(security))}`);
    this.kafka = createKafka({
      security,
      clientId: config.KAFKA_CLIENT_ID,
      logger: this.pino,
      brokers: config.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    });
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner, // Java-compatible murmur2, as everywhere
    });
    this.admin = this.kafka.admin();
  }

  async connect(): Promise<void> {
    await Promise.all([this.producer.connect(), this.admin.connect()]);
    this.connected = true;
  }

  /** Readiness: the cluster answers a metadata request. */
  async ping(): Promise<{ brokers: number }> {
    if (!this.connected) throw new Error('Kafka clients are not connected yet');
    const cluster = await this.admin.describeCluster();
    return { brokers: cluster.brokers.length };
  }

  async disconnect(): Promise<void> {
    this.connected = false;
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
    this.logger.log('Kafka clients disconnected');
  }
}
