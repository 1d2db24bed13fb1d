import { randomUUID } from 'crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import {
  CommandOutcome,
  EventTypes,
  InstanceCommandSchema,
  parseEnvelope,
  resultMessage,
  Topics,
} from '@upshift/contracts';
import type { InstanceCommand, InstanceCommandResult } from '@upshift/contracts';

/** What the test worker does with one command: answer (now), or drop it (never answer). */
export type WorkerReply = { outcome: CommandOutcome; reason?: string } | 'drop';
export type WorkerBehaviour = (command: InstanceCommand) => WorkerReply;

export const succeedAll: WorkerBehaviour = () => ({ outcome: CommandOutcome.SUCCEEDED });

/**
 * The test acting as the worker, over real Kafka: a kafkajs consumer on upgrade.commands that answers
 * each command on upgrade.results as a worker would. It also records every command, and can send any
 * result again (duplicates) or late.
 */
export class TestWorker {
  readonly commands: InstanceCommand[] = [];
  readonly results: InstanceCommandResult[] = [];
  behaviour: WorkerBehaviour = succeedAll;
  /** Per-execution behaviour, taking precedence over `behaviour`. */
  readonly behaviours = new Map<string, WorkerBehaviour>();
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;

  constructor(private readonly kafka: Kafka) {}

  async start(): Promise<void> {
    this.producer = this.kafka.producer({ allowAutoTopicCreation: true });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({ groupId: `test-workers-${randomUUID()}`, maxWaitTimeInMs: 50 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: Topics.COMMANDS, fromBeginning: true });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const replies: InstanceCommandResult[] = [];
        for (const message of batch.messages) {
          const command = parseEnvelope(message.value, InstanceCommandSchema, {
            type: EventTypes.COMMAND,
          }).data;
          this.commands.push(command);
          const reply = (this.behaviours.get(command.executionId) ?? this.behaviour)(command);
          if (reply === 'drop') continue;
          replies.push(this.resultFor(command, reply.outcome, reply.reason ?? null));
        }
        await this.send(replies);
      },
    });
  }

  resultFor(command: InstanceCommand, outcome: CommandOutcome, reason: string | null): InstanceCommandResult {
    const now = new Date().toISOString();
    return {
      commandId: command.commandId,
      executionId: command.executionId,
      tenantId: command.tenantId,
      instanceId: command.instanceId,
      type: command.type,
      outcome,
      reason: outcome === CommandOutcome.FAILED ? (reason ?? 'injected failure') : null,
      observedVersion: command.targetVersion.version,
      startedAt: now,
      finishedAt: now,
      durationMs: 0,
      workerId: 'test-worker',
    };
  }

  /** Publishes results (also used by tests to send duplicates and late answers). */
  async send(results: InstanceCommandResult[]): Promise<void> {
    if (results.length === 0 || this.producer === null) return;
    this.results.push(...results);
    await this.producer.send({
      topic: Topics.RESULTS,
      messages: results.map((r) => {
        const m = resultMessage(r);
        return { key: m.key, value: JSON.stringify(m.value) };
      }),
    });
  }

  async sendRaw(key: string, value: string): Promise<void> {
    await this.producer?.send({ topic: Topics.RESULTS, messages: [{ key, value }] });
  }

  commandsFor(executionId: string): InstanceCommand[] {
    return this.commands.filter((c) => c.executionId === executionId);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
