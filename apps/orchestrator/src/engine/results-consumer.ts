import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import {
  ConsumerGroups,
  EventSources,
  EventTypes,
  InstanceCommandResultSchema,
  parseEnvelope,
  Topics,
} from '@upshift/contracts';
import type { EventEnvelope, InstanceCommandResult } from '@upshift/contracts';
import { sendToDlq } from '@upshift/messaging';
import { inSpan, SpanKind, traceCarrierOf } from '@upshift/tracing';
import type { TraceCarrier } from '@upshift/tracing';
import { mapLimit } from '../common/map-limit';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { ExecutionEngine } from './execution-engine';
import { ExecutionStore } from './execution.store';
import { KafkaClients } from './kafka-clients';

const GROUP_CONCURRENCY = 8;
/** Back-off before the n-th retry of a result that threw: 100, 200, 400 … ms. */
const RETRY_BASE_MS = 100;

/** What `/health/ready` reports about the consumer. */
export type ResultsConsumerState = 'stopped' | 'running' | 'crashed';

/** A parsed result and the message it came in. */
interface Received {
  result: InstanceCommandResult;
  message: KafkaMessage;
  /** The trace context the result's envelope carried (docs/adr/0091-opentelemetry-tracing.md). */
  trace: TraceCarrier;
}

/**
 * Consumes `upgrade.results` (group upshift-orchestrator) with `eachBatch`: the results of one fetch are
 * grouped by execution and each group is applied in ONE transaction, so a batch of N results costs one
 * lock and one outbox write per execution instead of N. Offsets are committed only after the
 * transactions commit (at-least-once); redelivered results no longer match a pending command and are
 * ignored. A message that cannot be parsed goes to the dead-letter topic and is skipped.
 *
 * A result that parses but throws while being applied is retried alone, up to RESULT_MAX_ATTEMPTS
 * times. If it still throws while Postgres answers, it is the result (or its execution's state) that is
 * wrong, not the infrastructure: it goes to the dead-letter topic with the error, its execution is halted
 * and the partition moves on (ADR 0078). If Postgres does not answer, the batch fails as before and
 * kafkajs retries it: an outage delays results, it never dead-letters them.
 */
@Injectable()
export class ResultsConsumer {
  private readonly logger = new Logger(ResultsConsumer.name);
  private consumer: Consumer | null = null;
  private ignored = 0;
  private applied = 0;
  private deadLettered = 0;
  private runState: ResultsConsumerState = 'stopped';
  private crashError: string | null = null;

  constructor(
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly kafka: KafkaClients,
    private readonly store: ExecutionStore,
    private readonly engine: ExecutionEngine,
  ) {}

  get counters(): { applied: number; ignored: number; deadLettered: number } {
    return { applied: this.applied, ignored: this.ignored, deadLettered: this.deadLettered };
  }

  /** Running (joined or joining its group), stopped, or crashed and not (yet) back in its group (and why). */
  get state(): { state: ResultsConsumerState; error: string | null } {
    return { state: this.runState, error: this.crashError };
  }

  async start(): Promise<void> {
    const consumer = this.kafka.kafka.consumer({
      groupId: ConsumerGroups.ORCHESTRATOR,
      sessionTimeout: this.config.RESULTS_SESSION_TIMEOUT_MS,
      heartbeatInterval: Math.min(3_000, Math.floor(this.config.RESULTS_SESSION_TIMEOUT_MS / 3)),
      maxWaitTimeInMs: 50,
      allowAutoTopicCreation: true,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.crashError = error.message;
      // Not ready until it has joined its group again: kafkajs restarts a crashed consumer unless the
      // error is not retriable, and then it stays down.
      this.runState = 'crashed';
      this.logger.error({ err: error, restart }, 'results consumer crashed');
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.runState = 'running';
      this.crashError = null;
    });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.RESULTS, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.runState = 'running';
  }

  async stop(): Promise<void> {
    this.runState = 'stopped';
    await this.consumer?.disconnect();
    this.consumer = null;
  }

  private async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const groups = new Map<string, Received[]>();
    for (const message of batch.messages) {
      const envelope = await this.parse(batch.topic, batch.partition, message);
      if (envelope === null) continue;
      const result = envelope.data;
      const list = groups.get(result.executionId) ?? [];
      list.push({ result, message, trace: traceCarrierOf(envelope) });
      groups.set(result.executionId, list);
    }
    // Different executions lock different rows: apply their groups side by side.
    await mapLimit([...groups], GROUP_CONCURRENCY, async ([executionId, received]) => {
      // One transaction applies the group: its span continues the first result's trace, linked to the others'.
      await inSpan(
        `${batch.topic} process`,
        {
          kind: SpanKind.CONSUMER,
          parent: received[0]?.trace,
          links: received.slice(1).map((r) => r.trace),
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.batch.message_count': received.length,
            'upshift.execution.id': executionId,
          },
        },
        () => this.applyOrPark(batch.topic, batch.partition, executionId, received),
      );
    });
    await heartbeat();
    const last = batch.messages[batch.messages.length - 1];
    if (last === undefined) return;
    resolveOffset(last.offset);
    // With autoCommit off, a bare commitOffsetsIfNecessary() never commits (kafkajs only commits there
    // when an autoCommitInterval/Threshold is configured): the group's offsets stayed at nothing and a
    // restart or rebalance replayed the whole topic. Commit what this batch resolved, explicitly.
    await commitOffsetsIfNecessary({
      topics: [
        {
          topic: batch.topic,
          partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }],
        },
      ],
    });
  }

  /** Applies every result of one execution in one transaction (exported for the bench's accounting). */
  async applyGroup(executionId: string, results: InstanceCommandResult[]): Promise<void> {
    const outcome = await this.store.withLocked(executionId, (tx) => {
      const verdicts = results.map((r) => ({ r, verdict: this.engine.applyResult(tx, r) }));
      if (verdicts.some((v) => v.verdict === 'applied')) this.engine.advance(tx);
      return verdicts;
    });
    if (outcome === null) {
      this.ignored += results.length;
      this.logger.warn({ executionId, count: results.length }, 'results for an unknown execution ignored');
      return;
    }
    for (const { r, verdict } of outcome) {
      if (verdict === 'applied') {
        this.applied += 1;
        continue;
      }
      this.ignored += 1;
      this.logger.log(
        { executionId, instanceId: r.instanceId, commandId: r.commandId, type: r.type, verdict },
        'result ignored (duplicate, late or superseded)',
      );
    }
  }

  /**
   * Applies one execution's results in one transaction; if that throws, each result alone, with retries,
   * so that only the one that cannot be applied is parked.
   */
  private async applyOrPark(
    topic: string,
    partition: number,
    executionId: string,
    received: Received[],
  ): Promise<void> {
    let firstError: unknown;
    try {
      await this.applyGroup(
        executionId,
        received.map((r) => r.result),
      );
      return;
    } catch (error) {
      firstError = error;
    }
    // An outage is not the results' fault: fail the batch at once, so kafkajs retries it once Postgres
    // is back (retrying each result first would outlast the group session).
    if (!(await this.databaseAnswers())) throw firstError;
    const alone = received.length === 1;
    for (const entry of received) {
      await this.retryOrPark(topic, partition, executionId, entry, alone ? firstError : undefined);
    }
  }

  private async retryOrPark(
    topic: string,
    partition: number,
    executionId: string,
    entry: Received,
    firstError: unknown,
  ): Promise<void> {
    let attempts = firstError === undefined ? 0 : 1;
    let lastError = firstError;
    while (attempts < this.config.RESULT_MAX_ATTEMPTS) {
      if (attempts > 0) await sleep(RETRY_BASE_MS * 2 ** (attempts - 1));
      try {
        await this.applyGroup(executionId, [entry.result]);
        return;
      } catch (error) {
        attempts += 1;
        lastError = error;
        this.logger.warn(
          { err: error, executionId, commandId: entry.result.commandId, attempts },
          'applying a result failed',
        );
        if (!(await this.databaseAnswers())) throw error;
      }
    }
    await this.park(topic, partition, entry, lastError, attempts);
  }

  private async databaseAnswers(): Promise<boolean> {
    try {
      await this.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** To the dead-letter topic with the error, then halt its execution (ADR 0044's halt path). */
  private async park(
    topic: string,
    partition: number,
    { result, message }: Received,
    error: unknown,
    attempts: number,
  ): Promise<void> {
    await this.deadLetter(topic, partition, message, error);
    this.deadLettered += 1;
    const detail = error instanceof Error ? error.message : String(error);
    this.logger.error(
      { err: error, executionId: result.executionId, commandId: result.commandId, offset: message.offset },
      `a result could not be applied after ${attempts} attempt(s); sent to the DLQ, halting its execution`,
    );
    const reason =
      `the ${result.type} result of command ${result.commandId} (instance ${result.instanceId}) could not ` +
      `be applied after ${attempts} attempt(s) and was sent to ${Topics.DLQ}: ${detail}`;
    try {
      await this.store.withLocked(result.executionId, (tx) => this.engine.haltUnappliable(tx, reason));
    } catch (haltError) {
      // The execution's own state may be what throws; the dead letter and this log are what is left.
      this.logger.error(
        { err: haltError, executionId: result.executionId },
        'could not halt the execution of an unappliable result',
      );
    }
  }

  private async parse(
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<EventEnvelope<InstanceCommandResult> | null> {
    try {
      return parseEnvelope(message.value, InstanceCommandResultSchema, { type: EventTypes.RESULT });
    } catch (error) {
      this.logger.warn(
        { err: error, topic, partition, offset: message.offset },
        'unparseable result sent to the DLQ',
      );
      await this.deadLetter(topic, partition, message, error);
      return null;
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: unknown,
  ): Promise<void> {
    await sendToDlq(this.kafka.producer, {
      originalTopic: topic,
      partition,
      offset: message.offset,
      consumerGroup: ConsumerGroups.ORCHESTRATOR,
      key: message.key,
      value: message.value,
      error,
      source: EventSources.ORCHESTRATOR,
    });
  }
}
