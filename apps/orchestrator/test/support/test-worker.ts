import { randomUUID } from 'crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import {
  COMMAND_STEPS,
  CommandOutcome,
  EventTypes,
  InstanceCommandSchema,
  InstanceCommandType,
  InstanceStep,
  parseEnvelope,
  resultMessage,
  Topics,
} from '@upshift/contracts';
import type { InstanceCommand, InstanceCommandResult, InstanceStepReport } from '@upshift/contracts';

/** One step as the test worker reports it. */
export interface StepOutcome {
  step: InstanceStep;
  outcome: CommandOutcome;
  reason?: string;
}

/**
 * What the test worker does with one command: drop it (never answer: a worker that died with it, a lost
 * message), or carry it through the steps of its type (COMMAND_STEPS) and report them.
 */
export type WorkerReply =
  | 'drop'
  | {
      outcome: CommandOutcome;
      reason?: string;
      /** FAILED: the step that fails (default UPGRADE of an UPGRADE, the ROLLBACK step); earlier ones succeed. */
      failAt?: InstanceStep;
      /** Report the steps up to this one only, then fall silent (a worker stuck in the middle of an attempt). */
      upTo?: InstanceStep;
      /** One report per step, instead of one report folding them all (as a fast worker does). */
      stepByStep?: boolean;
    };
export type WorkerBehaviour = (command: InstanceCommand) => WorkerReply;

export const succeedAll: WorkerBehaviour = () => ({ outcome: CommandOutcome.SUCCEEDED });

/** The steps `reply` makes of `command`, in order. */
export function stepsFor(command: InstanceCommand, reply: Exclude<WorkerReply, 'drop'>): StepOutcome[] {
  const all = COMMAND_STEPS[command.type];
  const failing =
    reply.outcome === CommandOutcome.FAILED
      ? (reply.failAt ??
        (command.type === InstanceCommandType.UPGRADE ? InstanceStep.UPGRADE : InstanceStep.ROLLBACK))
      : null;
  const steps: StepOutcome[] = [];
  for (const step of all) {
    if (step === failing) {
      steps.push({ step, outcome: CommandOutcome.FAILED, reason: reply.reason ?? 'injected failure' });
      break;
    }
    steps.push({ step, outcome: CommandOutcome.SUCCEEDED });
    if (step === reply.upTo) break;
  }
  return steps;
}

/**
 * The test acting as the worker, over real Kafka: a kafkajs consumer on upgrade.commands that answers
 * each command on upgrade.results with step reports, as a worker would. It also records every command,
 * and can send any report again (duplicates) or late, step by step, or only in part.
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
          replies.push(...this.reportsFor(command, reply));
        }
        await this.send(replies);
      },
    });
  }

  /** The reports `reply` makes of `command`: one folding every step, or one per step. */
  reportsFor(command: InstanceCommand, reply: Exclude<WorkerReply, 'drop'>): InstanceCommandResult[] {
    const steps = stepsFor(command, reply);
    const final = this.isFinal(command, steps);
    if (reply.stepByStep !== true) return [this.report(command, steps, final)];
    return steps.map((step, index) => this.report(command, [step], final && index === steps.length - 1));
  }

  /** One report on `command` listing `steps`. */
  report(command: InstanceCommand, steps: StepOutcome[], final: boolean): InstanceCommandResult {
    const now = new Date().toISOString();
    return {
      commandId: command.commandId,
      executionId: command.executionId,
      tenantId: command.tenantId,
      instanceId: command.instanceId,
      type: command.type,
      fencingToken: command.fencingToken,
      steps: steps.map((s): InstanceStepReport => ({
        step: s.step,
        outcome: s.outcome,
        reason: s.outcome === CommandOutcome.FAILED ? (s.reason ?? 'injected failure') : null,
        observedVersion:
          command.type === InstanceCommandType.ROLLBACK
            ? command.previousVersion.version
            : command.targetVersion.version,
        startedAt: now,
        finishedAt: now,
      })),
      final,
      workerId: 'test-worker',
    };
  }

  /** The whole answer to `command` in one report: every step succeeded, or the default step failed. */
  resultFor(command: InstanceCommand, outcome: CommandOutcome, reason: string | null): InstanceCommandResult {
    const steps = stepsFor(command, { outcome, reason: reason ?? undefined });
    return this.report(command, steps, true);
  }

  private isFinal(command: InstanceCommand, steps: StepOutcome[]): boolean {
    const last = steps[steps.length - 1];
    const all = COMMAND_STEPS[command.type];
    return (
      last !== undefined && (last.outcome === CommandOutcome.FAILED || last.step === all[all.length - 1])
    );
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
