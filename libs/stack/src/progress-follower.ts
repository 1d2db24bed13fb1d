import { randomUUID } from 'crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { isTerminal } from '@upshift/domain';
import type { KafkaSecurity } from '@upshift/messaging';
import {
  isProgressEventType,
  parseEnvelope,
  ProgressEventSchema,
  Topics,
  type EventEnvelope,
  type ExecutionStatus,
  type ProgressEvent,
} from '@upshift/contracts';

/**
 * Follows `upgrade.progress` from the beginning, as a dashboard would, and checks that each
 * execution's `sequence` has no gap (docs/invariants.md, promise 3).
 */
export class ProgressFollower {
  readonly events: EventEnvelope<ProgressEvent>[] = [];
  readonly gaps: { executionId: string; expected: number; got: number }[] = [];
  /** Sequences delivered again with other content than the first time (a redelivery must be identical). */
  readonly conflicts: { executionId: string; sequence: number }[] = [];
  private readonly contentBySequence = new Map<string, string>();
  private readonly lastSequence = new Map<string, number>();
  private readonly listeners = new Set<(event: EventEnvelope<ProgressEvent>) => void>();
  private readonly consumer: Consumer;

  /** `security`: SASL/TLS for a secured broker, e.g. kafkaSecurityFromEnv(stack.kafkaEnv). */
  constructor(brokers: string[], security: KafkaSecurity = {}) {
    const kafka = new Kafka({
      clientId: 'upshift-progress-follower',
      brokers,
      logLevel: logLevel.NOTHING,
      ...security,
    });
    this.consumer = kafka.consumer({ groupId: `progress-follower-${randomUUID()}`, sessionTimeout: 10_000 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: Topics.PROGRESS, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const event = parseEnvelope(message.value, ProgressEventSchema, { type: isProgressEventType });
        const previous = this.lastSequence.get(event.executionid);
        const key = `${event.executionid}/${event.sequence}`;
        const content = JSON.stringify(event.data);
        if (previous !== undefined && event.sequence <= previous) {
          // A redelivery (a relay that died after publishing sends its rows again): the same event.
          if (this.contentBySequence.get(key) !== content)
            this.conflicts.push({ executionId: event.executionid, sequence: event.sequence });
          return;
        }
        this.contentBySequence.set(key, content);
        const expected = previous === undefined ? event.sequence : previous + 1;
        if (event.sequence !== expected)
          this.gaps.push({ executionId: event.executionid, expected, got: event.sequence });
        this.lastSequence.set(event.executionid, event.sequence);
        this.events.push(event);
        for (const listener of this.listeners) listener(event);
      },
    });
  }

  on(listener: (event: EventEnvelope<ProgressEvent>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the execution's terminal status once its ExecutionStatusChanged to one arrives (or has). */
  terminalStatus(executionId: string): Promise<ExecutionStatus> {
    const terminal = (event: EventEnvelope<ProgressEvent>): ExecutionStatus | null =>
      event.executionid === executionId &&
      event.data.kind === 'ExecutionStatusChanged' &&
      isTerminal(event.data.to)
        ? event.data.to
        : null;
    return new Promise((resolve) => {
      for (const event of this.eventsOf(executionId)) {
        const status = terminal(event);
        if (status !== null) return resolve(status);
      }
      const off = this.on((event) => {
        const status = terminal(event);
        if (status === null) return;
        off();
        resolve(status);
      });
    });
  }

  eventsOf(executionId: string): EventEnvelope<ProgressEvent>[] {
    return this.events.filter((e) => e.executionid === executionId);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
