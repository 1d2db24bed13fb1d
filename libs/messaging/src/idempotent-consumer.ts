import { InvalidMessageError, parseEnvelope } from '@upshift/contracts';
import type { EventEnvelope, ParseEnvelopeOptions } from '@upshift/contracts';
import type { Static, TSchema } from '@sinclair/typebox';
import type { Consumer, ConsumerConfig, EachMessagePayload, Kafka, Producer } from 'kafkajs';
import { sendToDlq } from './dead-letter';
import { markProcessed } from './idempotency';
import { createOrderedProducer } from './kafka';
import { defaultLogger } from './logger';
import type { Logger } from './logger';
import type { SqlExecutor } from './sql';

/**
 * Thrown by a handler for a message that can never succeed (it refers to something that does not
 * exist, breaks a rule…): the message goes to the dead-letter topic at once instead of being retried.
 */
export class PermanentMessageError extends Error {
  override readonly name = 'PermanentMessageError';
}

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
}

export interface IdempotentConsumerOptions<S extends TSchema, M extends SqlExecutor> {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /** Schema of `data`; the envelope attributes are always checked. */
  dataSchema: S;
  acceptType?: ParseEnvelopeOptions['type'];
  /** Service schema holding `processed_messages`. */
  schema: string;
  /** Runs `work` in one database transaction, e.g. `(work) => dataSource.transaction(work)`. */
  transaction: <T>(work: (manager: M) => Promise<T>) => Promise<T>;
  /** Applies one message; runs inside the transaction that records its id as processed. */
  handle: (envelope: EventEnvelope<Static<S>>, manager: M, context: MessageContext) => Promise<void>;
  /** CloudEvents source used on dead letters. */
  source: string;
  logger?: Logger;
  /** Attempts for transient failures before the consumer gives up on the batch (kafkajs retries it). */
  maxAttempts?: number;
  fromBeginning?: boolean;
  consumerConfig?: Partial<ConsumerConfig>;
  partitionsConsumedConcurrently?: number;
}

export interface IdempotentConsumerMetrics {
  processed: number;
  duplicates: number;
  deadLettered: number;
  retries: number;
}

/**
 * A Kafka consumer that applies each message at most once to the database: the envelope id goes into
 * `processed_messages` in the same transaction as the handler's changes, so a redelivered message is
 * recognised and skipped. Unparseable messages and `PermanentMessageError`s go to `upgrade.dlq`;
 * other errors are retried, and if they persist the partition stops (nothing is skipped silently).
 */
export class IdempotentConsumer<S extends TSchema, M extends SqlExecutor> {
  private consumer: Consumer | null = null;
  private dlqProducer: Producer | null = null;
  private readonly logger: Logger;
  private readonly stats: IdempotentConsumerMetrics = {
    processed: 0,
    duplicates: 0,
    deadLettered: 0,
    retries: 0,
  };

  constructor(private readonly options: IdempotentConsumerOptions<S, M>) {
    this.logger = (options.logger ?? defaultLogger('idempotent-consumer')).child({
      component: 'idempotent-consumer',
      groupId: options.groupId,
    });
  }

  metrics(): IdempotentConsumerMetrics {
    return { ...this.stats };
  }

  async start(): Promise<void> {
    if (this.consumer) return;
    const { kafka, groupId, topics } = this.options;
    this.dlqProducer = createOrderedProducer(kafka);
    await this.dlqProducer.connect();
    const consumer = kafka.consumer({ groupId, ...this.options.consumerConfig });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: this.options.fromBeginning ?? false });
    await consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachMessage: (payload) => this.onMessage(payload),
    });
    this.consumer = consumer;
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (consumer) await consumer.disconnect();
    const producer = this.dlqProducer;
    this.dlqProducer = null;
    if (producer) await producer.disconnect();
  }

  private async onMessage({ topic, partition, message }: EachMessagePayload): Promise<void> {
    const context: MessageContext = { topic, partition, offset: message.offset };
    let envelope: EventEnvelope<Static<S>>;
    try {
      envelope = parseEnvelope(message.value, this.options.dataSchema, { type: this.options.acceptType });
    } catch (error) {
      await this.deadLetter(error, context, message.key, message.value);
      return;
    }
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const fresh = await this.options.transaction(async (manager) => {
          if (!(await markProcessed(manager, this.options.schema, envelope.id))) return false;
          await this.options.handle(envelope, manager, context);
          return true;
        });
        if (fresh) this.stats.processed += 1;
        else this.stats.duplicates += 1;
        return;
      } catch (error) {
        if (error instanceof PermanentMessageError) {
          await this.deadLetter(error, context, message.key, message.value);
          return;
        }
        if (attempt >= maxAttempts) throw error;
        this.stats.retries += 1;
        const delayMs = Math.min(100 * 2 ** (attempt - 1), 2_000);
        this.logger.warn(
          { err: error, ...context, id: envelope.id, attempt, delayMs },
          'message failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  private async deadLetter(
    error: unknown,
    context: MessageContext,
    key: Buffer | null,
    value: Buffer | null,
  ): Promise<void> {
    if (!this.dlqProducer) throw new Error('IdempotentConsumer is stopped');
    await sendToDlq(this.dlqProducer, {
      originalTopic: context.topic,
      partition: context.partition,
      offset: context.offset,
      consumerGroup: this.options.groupId,
      key,
      value,
      error,
      source: this.options.source,
    });
    this.stats.deadLettered += 1;
    this.logger.warn(
      {
        event: 'consumer.dead-lettered',
        ...context,
        error: error instanceof Error ? error.message : String(error),
        problems: error instanceof InvalidMessageError ? error.problems : undefined,
      },
      'message sent to the dead-letter topic',
    );
  }
}
