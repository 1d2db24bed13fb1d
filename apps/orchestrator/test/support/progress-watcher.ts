import { randomUUID } from 'crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { isProgressEventType, parseEnvelope, ProgressEventSchema, Topics } from '@upshift/contracts';
import type { EventEnvelope, ProgressEvent } from '@upshift/contracts';

/** A real consumer of upgrade.progress: collects every envelope, per execution, in arrival order. */
export class ProgressWatcher {
  readonly byExecution = new Map<string, EventEnvelope<ProgressEvent>[]>();
  private consumer: Consumer | null = null;
  readonly trace: string[] = [];

  constructor(private readonly kafka: Kafka) {}

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: `test-progress-${randomUUID()}`, maxWaitTimeInMs: 50 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: Topics.PROGRESS, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message, partition }) => {
        const envelope = parseEnvelope(message.value, ProgressEventSchema, { type: isProgressEventType });
        this.trace.push(
          `${envelope.executionid.slice(0, 8)} p${partition} o${message.offset} seq${envelope.sequence} ${envelope.data.kind} ${message.headers?.['upshift-outbox-id']?.toString() ?? ''}`,
        );
        const list = this.byExecution.get(envelope.executionid) ?? [];
        list.push(envelope);
        this.byExecution.set(envelope.executionid, list);
      },
    });
  }

  events(executionId: string): EventEnvelope<ProgressEvent>[] {
    return this.byExecution.get(executionId) ?? [];
  }

  kinds(executionId: string): string[] {
    return this.events(executionId).map((e) => e.data.kind);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
