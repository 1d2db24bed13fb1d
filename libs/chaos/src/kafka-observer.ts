import { randomUUID } from 'crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import {
  DeadLetterSchema,
  isProgressEventType,
  parseEnvelope,
  ProgressEventSchema,
  Topics,
  type EventEnvelope,
  type ProgressEvent,
} from '@upshift/contracts';
import type { DeadLetterRecord, ProgressRecord } from './checks';

/** A progress event as it arrived, with the record the checks read. */
export interface ObservedProgress {
  record: ProgressRecord;
  event: EventEnvelope<ProgressEvent>;
  receivedAt: number;
}

/**
 * Reads `upgrade.progress` and `upgrade.dlq` from the beginning, as a dashboard and an operator would,
 * and keeps every message as it arrived: unlike ProgressFollower (libs/stack), it drops no
 * redelivery, so that a sequence that comes back with other content is seen. It rides out the broker's
 * restarts (kafkajs reconnects and restarts the consumer).
 */
export class KafkaObserver {
  readonly progress: ObservedProgress[] = [];
  readonly deadLetters: DeadLetterRecord[] = [];
  /** Messages on upgrade.progress that did not parse: a violation of their own (shown as dead letters). */
  readonly unreadable: DeadLetterRecord[] = [];
  private readonly listeners = new Set<(observed: ObservedProgress) => void>();
  private readonly consumer: Consumer;

  constructor(brokers: string[]) {
    const kafka = new Kafka({
      clientId: 'upshift-chaos-observer',
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 250, maxRetryTime: 2_000, retries: 1_000 },
    });
    this.consumer = kafka.consumer({
      groupId: `chaos-observer-${randomUUID()}`,
      sessionTimeout: 10_000,
      maxWaitTimeInMs: 200,
      retry: { initialRetryTime: 250, maxRetryTime: 2_000, retries: 1_000 },
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [Topics.PROGRESS, Topics.DLQ], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === Topics.DLQ) return this.onDeadLetter(message.value);
        this.onProgress(message.value, message.key?.toString() ?? null);
      },
    });
  }

  private onDeadLetter(value: Buffer | null): void {
    try {
      const letter = parseEnvelope(value, DeadLetterSchema).data;
      this.deadLetters.push({
        originalTopic: letter.originalTopic,
        key: letter.key,
        error: `${letter.error.name}: ${letter.error.message}`,
      });
    } catch (error) {
      this.deadLetters.push({
        originalTopic: '?',
        key: null,
        error: `unreadable dead letter: ${String(error)}`,
      });
    }
  }

  private onProgress(value: Buffer | null, key: string | null): void {
    let event: EventEnvelope<ProgressEvent>;
    try {
      event = parseEnvelope(value, ProgressEventSchema, { type: isProgressEventType });
    } catch (error) {
      this.unreadable.push({ originalTopic: Topics.PROGRESS, key, error: String(error) });
      return;
    }
    const observed: ObservedProgress = {
      record: {
        executionId: event.executionid,
        sequence: event.sequence,
        kind: event.data.kind,
        content: JSON.stringify([event.type, event.data]),
        time: event.time,
      },
      event,
      receivedAt: Date.now(),
    };
    this.progress.push(observed);
    for (const listener of this.listeners) listener(observed);
  }

  on(listener: (observed: ObservedProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  recordsOf(executionIds: ReadonlySet<string>): ProgressRecord[] {
    return this.progress.filter((p) => executionIds.has(p.record.executionId)).map((p) => p.record);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}
