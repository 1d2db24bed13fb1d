import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import {
  ConsumerGroups,
  EventSources,
  EventTypes,
  InstanceCommandResultSchema,
  parseEnvelope,
  Topics,
} from '@upshift/contracts';
import type { InstanceCommandResult } from '@upshift/contracts';
import { sendToDlq } from '@upshift/messaging';
import { mapLimit } from '../common/map-limit';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { ExecutionEngine } from './execution-engine';
import { ExecutionStore } from './execution.store';
import { KafkaClients } from './kafka-clients';

const GROUP_CONCURRENCY = 8;

/**
 * Consumes `upgrade.results` (group upshift-orchestrator) with `eachBatch`: the results of one fetch are
 * grouped by execution and each group is applied in ONE transaction, so a batch of N results costs one
 * lock and one outbox write per execution instead of N. Offsets are committed only after the
 * transactions commit (at-least-once); redelivered results no longer match a pending command and are
 * ignored. A message that cannot be parsed goes to the dead-letter topic and is skipped.
 */
@Injectable()
export class ResultsConsumer {
  private readonly logger = new Logger(ResultsConsumer.name);
  private consumer: Consumer | null = null;
  private ignored = 0;
  private applied = 0;

  constructor(
    @Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig,
    private readonly kafka: KafkaClients,
    private readonly store: ExecutionStore,
    private readonly engine: ExecutionEngine,
  ) {}

  get counters(): { applied: number; ignored: number } {
    return { applied: this.applied, ignored: this.ignored };
  }

  async start(): Promise<void> {
    const consumer = this.kafka.kafka.consumer({
      groupId: ConsumerGroups.ORCHESTRATOR,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 50,
      allowAutoTopicCreation: true,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.RESULTS, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  async stop(): Promise<void> {
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
    const groups = new Map<string, InstanceCommandResult[]>();
    for (const message of batch.messages) {
      const result = await this.parse(batch.topic, batch.partition, message, this.kafka.producer);
      if (result === null) continue;
      const list = groups.get(result.executionId) ?? [];
      list.push(result);
      groups.set(result.executionId, list);
    }
    // Different executions lock different rows: apply their groups side by side.
    await mapLimit([...groups], GROUP_CONCURRENCY, async ([executionId, results]) => {
      await this.applyGroup(executionId, results);
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

  private async parse(
    topic: string,
    partition: number,
    message: KafkaMessage,
    producer: Producer,
  ): Promise<InstanceCommandResult | null> {
    try {
      return parseEnvelope(message.value, InstanceCommandResultSchema, { type: EventTypes.RESULT }).data;
    } catch (error) {
      this.logger.warn(
        { err: error, topic, partition, offset: message.offset },
        'unparseable result sent to the DLQ',
      );
      await sendToDlq(producer, {
        originalTopic: topic,
        partition,
        offset: message.offset,
        consumerGroup: ConsumerGroups.ORCHESTRATOR,
        key: message.key,
        value: message.value,
        error,
        source: EventSources.ORCHESTRATOR,
      });
      return null;
    }
  }
}
