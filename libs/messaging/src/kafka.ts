import { Kafka, Partitioners, logLevel as KafkaLogLevel } from 'kafkajs';
import type { KafkaConfig, LogEntry, Producer, ProducerConfig } from 'kafkajs';
import type { KafkaSecurity } from './kafka-security';
import { defaultLogger } from './logger';
import type { Logger } from './logger';

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';

/** Broker list from KAFKA_BROKERS (comma separated), defaulting to the local embedded broker. */
export function kafkaBrokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return parseBrokers(env['KAFKA_BROKERS'] ?? DEFAULT_KAFKA_BROKERS);
}

export function parseBrokers(list: string): string[] {
  const brokers = list
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is empty: set it to host:port[,host:port…]');
  return brokers;
}

export interface CreateKafkaOptions {
  clientId: string;
  /** Defaults to KAFKA_BROKERS, then 127.0.0.1:9092. */
  brokers?: string[];
  /** kafkajs' own log lines go to this pino logger (child `{ component: 'kafkajs' }`). */
  logger?: Logger;
  /** kafkajs log level; WARN by default, because its INFO lines narrate every join and connect. */
  logLevel?: KafkaLogLevel;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retry?: KafkaConfig['retry'];
  /**
   * SASL and TLS, from kafkaSecurityFromEnv() in a service. Never read from the environment here:
   * whoever builds the client decides, so tests and tools get PLAINTEXT unless they ask.
   */
  security?: KafkaSecurity;
}

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** Bridges kafkajs' log entries into structured pino lines (message text, namespace, fields). */
export function pinoLogCreator(logger: Logger) {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      kafkaLogger[PINO_LEVEL[level] ?? 'info']({ namespace, ...fields }, message);
    };
}

export function createKafka(options: CreateKafkaOptions): Kafka {
  const logger = options.logger ?? defaultLogger(options.clientId);
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers ?? kafkaBrokersFromEnv(),
    logLevel: options.logLevel ?? KafkaLogLevel.WARN,
    logCreator: pinoLogCreator(logger),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: options.retry ?? { initialRetryTime: 100, retries: 8 },
    ...options.security,
  });
}

/**
 * A producer whose writes are ordered per partition and not duplicated by its own retries:
 * idempotent (which implies acks=all) with one request in flight, and the Java-compatible
 * murmur2 partitioner so that a key lands on the same partition from any client.
 */
export function createOrderedProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
    ...config,
  });
}
