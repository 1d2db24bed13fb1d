import { setMaxListeners } from 'events';
import {
  COMMAND_STEPS,
  CommandOutcome,
  ConsumerGroups,
  EventSources,
  EventTypes,
  InstanceCommandSchema,
  parseEnvelope,
  resultMessage,
  Topics,
  type EventEnvelope,
  type InstanceCommand,
  type InstanceCommandResult,
} from '@upshift/contracts';
import { sendToDlq } from '@upshift/messaging';
import { inSpan, SpanKind } from '@upshift/tracing';
import { E_TIMEOUT, Semaphore, withTimeout, type SemaphoreInterface } from 'async-mutex';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { CallAbortedError } from '../agent/agent-driver';
import type { CommandExecutor } from '../commands/command-executor';
import type { ResultCache } from '../commands/result-cache';
import { stepReport, StepReporter } from '../commands/step-reporter';
import type { InstanceLeases } from '../lease/instance-lease';
import { retry } from '../retry/retry';
import { sleep } from '../retry/sleep';
import type { BatchingPublisher } from './batching-publisher';
import { PartitionOffsetTracker } from './offset-tracker';

/** A batch waiting for admission wakes up this often to heartbeat and to notice a rebalance or a stop. */
const ADMISSION_WAKE_MS = 1000;

export interface CommandConsumerOptions {
  workerId: string;
  /** Commands executing at once in this worker. */
  concurrency: number;
  /** Commands admitted (queued or running) at once; fetching pauses above it. */
  maxAdmitted: number;
  sessionTimeoutMs: number;
  /** How long stop() lets in-flight commands finish before abandoning them (their leases are released). */
  shutdownGraceMs: number;
  /** Steps that end within this window share one report (WORKER_REPORT_COALESCE_MS, ADR 0082). */
  reportCoalesceMs: number;
  groupId?: string;
  topic?: string;
}

export interface CommandConsumerDeps {
  kafka: Kafka;
  publisher: BatchingPublisher;
  /** Dead letters go straight out through it (rare; no batching needed). */
  producer: Producer;
  executor: CommandExecutor;
  leases: InstanceLeases;
  results: ResultCache;
  logger: Logger;
}

/** Counters for tests and logs. */
export interface ConsumerStats {
  executed: number;
  replayed: number;
  deadLettered: number;
  abandoned: number;
  /** Commands stopped because their instance lease was lost or could not be renewed (ADR 0079). */
  leaseLost: number;
  /** Commands refused because their fencing token was older than the newest seen (ADR 0082). */
  staleRefused: number;
  /** Reports published on `upgrade.results` for executed commands (several per command when it is slow). */
  reports: number;
}

/** Whether the consumer takes commands: what the worker's readiness reports. */
export type ConsumerState = 'starting' | 'running' | 'crashed' | 'stopped';

/**
 * Consumes `upgrade.commands` as group `upshift-workers` and runs commands as a pipeline: commands
 * for different instances run in parallel (up to `concurrency`), commands for one instance run in
 * order (the key is the instanceId, so they share a partition; here they share a chain), and offsets
 * are committed only up to the lowest unfinished command of each partition: a command counts as
 * finished once its final report is published (ADR 0051), its earlier step reports before that.
 */
export class CommandConsumer {
  readonly stats: ConsumerStats = {
    executed: 0,
    replayed: 0,
    deadLettered: 0,
    abandoned: 0,
    leaseLost: 0,
    staleRefused: 0,
    reports: 0,
  };
  private runState: ConsumerState = 'starting';
  private readonly consumer: Consumer;
  private readonly topic: string;
  private readonly chains = new Map<string, Promise<void>>();
  private trackers = new Map<number, PartitionOffsetTracker>();
  private generation = 0;
  /** Room for `maxAdmitted` commands, queued or running: fetching pauses while it is full. */
  private readonly admitted: Semaphore;
  /**
   * The same room, waited for at most ADMISSION_WAKE_MS at a time. A wait that timed out stays queued in
   * the semaphore and hands the room it later gets straight on, so no wake-up is lost (ADR 0062).
   */
  private readonly admission: SemaphoreInterface;
  /** `concurrency` commands talk to agents at once; the other admitted ones wait here in order. */
  private readonly slots: Semaphore;
  private readonly abort = new AbortController();
  private commitTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly deps: CommandConsumerDeps,
    private readonly options: CommandConsumerOptions,
  ) {
    this.topic = options.topic ?? Topics.COMMANDS;
    this.admitted = new Semaphore(options.maxAdmitted);
    this.admission = withTimeout(this.admitted, ADMISSION_WAKE_MS);
    this.slots = new Semaphore(options.concurrency);
    // Every in-flight agent call listens on this one signal: thousands of listeners are expected.
    setMaxListeners(0, this.abort.signal);
    this.consumer = deps.kafka.consumer({
      groupId: options.groupId ?? ConsumerGroups.WORKERS,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(options.sessionTimeoutMs / 10)),
      rebalanceTimeout: Math.max(options.sessionTimeoutMs, 10_000),
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      // Not ready until it has joined its group again: kafkajs restarts a crashed consumer unless the
      // error is not retriable, and then it stays down.
      this.runState = 'crashed';
      this.deps.logger.error(
        { err: event.payload.error, restart: event.payload.restart },
        'consumer crashed',
      );
    });
    this.consumer.on(this.consumer.events.STOP, () => {
      this.runState = 'stopped';
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.runState = 'running';
      // A new generation: offsets tracked so far may belong to partitions now owned by another worker,
      // and kafkajs refetches from the committed offsets. Start tracking afresh.
      this.generation += 1;
      this.trackers = new Map();
      this.deps.logger.info(
        { assignment: event.payload.memberAssignment, generation: this.generation },
        'joined the worker group',
      );
    });
  }

  /** Running: connected, and in (or joining) the worker group. */
  get state(): ConsumerState {
    return this.runState;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.commitTimer = setInterval(() => void this.commit(), 200);
    this.commitTimer.unref();
    if (this.runState === 'starting') this.runState = 'running';
  }

  /**
   * Graceful stop: fetch nothing new, let in-flight commands finish for up to `shutdownGraceMs`, then
   * abandon the rest (their leases are released and their offsets stay uncommitted, so another
   * worker runs them), commit, disconnect.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.runState = 'stopped';
    this.consumer.pause([{ topic: this.topic }]);
    const idle = this.whenIdle();
    const graceTimer = new AbortController();
    const graceOver = sleep(this.options.shutdownGraceMs, graceTimer.signal).then(() => 'timeout' as const);
    const first = await Promise.race([idle.then(() => 'idle' as const), graceOver]);
    graceTimer.abort();
    if (first === 'timeout') {
      this.deps.logger.warn(
        { inFlight: this.inFlight },
        'grace period over: abandoning in-flight commands to other workers',
      );
      this.abort.abort();
      await idle;
    }
    if (this.commitTimer) clearInterval(this.commitTimer);
    await this.commit();
    await this.consumer.disconnect();
  }

  /** Commands admitted and not settled yet. */
  private get inFlight(): number {
    return this.options.maxAdmitted - this.admitted.getValue();
  }

  private async whenIdle(): Promise<void> {
    while (this.inFlight > 0) await sleep(20);
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const generation = this.generation;
    const wanted = () => isRunning() && !isStale() && !this.stopping;
    for (const message of batch.messages) {
      if (!wanted()) break;
      const release = await this.waitForAdmission(heartbeat, wanted);
      if (release === null) return;
      this.admit(batch.partition, message, generation, release);
      resolveOffset(message.offset);
    }
    await heartbeat().catch(() => undefined);
  }

  /**
   * Waits for room among the admitted commands (backpressure), heartbeating at every wake-up so that a
   * long wait does not cost the group membership. Returns the room's releaser, or null when the batch is
   * no longer wanted (rebalance, stop).
   */
  private async waitForAdmission(
    heartbeat: () => Promise<void>,
    wanted: () => boolean,
  ): Promise<SemaphoreInterface.Releaser | null> {
    for (;;) {
      try {
        const [, release] = await this.admission.acquire();
        return release;
      } catch (error) {
        if (error !== E_TIMEOUT) throw error;
      }
      await heartbeat().catch(() => undefined);
      if (!wanted()) return null;
    }
  }

  private admit(
    partition: number,
    message: KafkaMessage,
    generation: number,
    release: SemaphoreInterface.Releaser,
  ): void {
    const offset = Number(message.offset);
    let tracker = this.trackers.get(partition);
    if (!tracker) {
      tracker = new PartitionOffsetTracker();
      this.trackers.set(partition, tracker);
    }
    tracker.add(offset);

    let command: InstanceCommand | null = null;
    let envelope: EventEnvelope<InstanceCommand> | null = null;
    let chainKey = message.key?.toString() ?? `partition-${partition}`;
    try {
      envelope = parseEnvelope(message.value, InstanceCommandSchema, { type: EventTypes.COMMAND });
      command = envelope.data;
      chainKey = command.instanceId;
    } catch (error) {
      command = null;
      const work = this.deadLetter(partition, message, error);
      this.settle(work, partition, offset, generation, release);
      return;
    }
    const parsed = command;
    // Per-instance order: a command waits for the previous command of the same instance.
    const previous = this.chains.get(chainKey) ?? Promise.resolve();
    // The command's handling continues the trace its envelope carries (docs/adr/0091-opentelemetry-tracing.md).
    const work = previous.then(() =>
      inSpan(
        `${this.topic} process`,
        {
          kind: SpanKind.CONSUMER,
          parent: envelope,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'upshift.command.id': parsed.commandId,
            'upshift.command.type': parsed.type,
            'upshift.instance.id': parsed.instanceId,
          },
        },
        () => this.process(parsed, partition, message),
      ),
    );
    const tail = work.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(chainKey, tail);
    void tail.then(() => {
      if (this.chains.get(chainKey) === tail) this.chains.delete(chainKey);
    });
    this.settle(work, partition, offset, generation, release);
  }

  private settle(
    work: Promise<'done' | 'abandoned'>,
    partition: number,
    offset: number,
    generation: number,
    release: SemaphoreInterface.Releaser,
  ): void {
    work
      .then(
        (state) => {
          if (state === 'done' && generation === this.generation)
            this.trackers.get(partition)?.complete(offset);
          if (state === 'abandoned') this.stats.abandoned += 1;
        },
        (error: unknown) => {
          this.deps.logger.error({ err: error, partition, offset }, 'command processing failed unexpectedly');
        },
      )
      .finally(release);
  }

  private async process(
    command: InstanceCommand,
    partition: number,
    message: KafkaMessage,
  ): Promise<'done' | 'abandoned'> {
    const log = this.deps.logger.child({
      commandId: command.commandId,
      executionId: command.executionId,
      instanceId: command.instanceId,
      type: command.type,
      attempt: command.attempt,
    });
    // Aborted on shutdown (all commands) or when this command's instance lease is lost (this one).
    const work = new AbortController();
    let leaseLost = false;
    const onShutdown = () => work.abort();
    this.abort.signal.addEventListener('abort', onShutdown, { once: true });
    const signal = work.signal;
    let reporter: StepReporter | null = null;
    try {
      // One round trip per try: the command's stored result if it already ran (here or on another
      // worker, maybe while we waited), else the fencing check and the instance's lease (ADR 0082).
      const gate = await this.infra(() =>
        this.deps.leases.acquire(command.instanceId, {
          signal,
          storedKey: this.deps.results.key(command.commandId),
          fencingToken: command.fencingToken,
          onWait: (holder) => log.info({ holder }, 'instance leased by another command; waiting'),
        }),
      );
      if (gate === null) return 'abandoned';
      if ('stored' in gate) return await this.replay(this.deps.results.parse(gate.stored), log);
      if ('staleBehind' in gate) return await this.refuseStale(command, gate.staleBehind, log);
      const lease = gate;
      let released = false;
      try {
        lease.keepAlive(
          (loss) => {
            // Another worker may take the instance now: stop calling its agent. No final report is
            // published; the orchestrator re-issues the command (ADR 0079).
            log.warn(
              { reason: loss.reason, err: loss.reason === 'unrenewable' ? loss.error : undefined },
              'instance lease lost or not renewable; stopping work on the instance',
            );
            leaseLost = true;
            work.abort();
          },
          (error) => log.warn({ err: error }, 'could not renew the instance lease; retrying'),
        );
        const steps = new StepReporter(
          command,
          this.options.workerId,
          this.options.reportCoalesceMs,
          (report) => this.infra(() => this.deps.publisher.publish(resultMessage(report))),
        );
        reporter = steps;
        const run = await this.slots.runExclusive(() =>
          this.deps.executor.execute(command, (step, last) => steps.stepEnded(step, last), signal),
        );
        // The agent work is over: store a definitive final report with every step (a redelivery replays
        // it) and free the instance in one round trip, then send the final report.
        const complete = steps.complete();
        const definitive = run.definitive ? this.deps.results.entry(complete) : undefined;
        await this.infra(() => lease.release(definitive));
        released = true;
        await steps.finish();
        this.stats.executed += 1;
        this.stats.reports += steps.reportCount;
        const last = run.steps[run.steps.length - 1];
        log.info(
          {
            outcome: last?.outcome,
            step: last?.step,
            reason: last?.reason,
            observedVersion: last?.observedVersion,
            steps: run.steps.length,
            reports: steps.reportCount,
            durationMs: Date.parse(last?.finishedAt ?? '') - Date.parse(run.steps[0]?.startedAt ?? ''),
          },
          'command executed',
        );
        return 'done';
      } finally {
        if (!released) {
          await lease
            .release()
            .catch((error: unknown) =>
              log.warn({ err: error }, 'could not release the lease; it expires by itself'),
            );
        }
      }
    } catch (error) {
      reporter?.cancel();
      if (leaseLost && !this.abort.signal.aborted) {
        // Done here: its offset may be committed, as the orchestrator re-issues what is never answered.
        this.stats.leaseLost += 1;
        log.warn('command stopped: its instance lease was lost');
        return 'done';
      }
      if (error instanceof CallAbortedError || signal.aborted) {
        log.warn('command abandoned on shutdown; another worker will run it');
        return 'abandoned';
      }
      // Not a property of the agent (those become FAILED steps): a bug or a message we cannot handle.
      await this.deadLetter(partition, message, error);
      return 'done';
    } finally {
      this.abort.signal.removeEventListener('abort', onShutdown);
    }
  }

  private async replay(result: InstanceCommandResult, log: Logger): Promise<'done'> {
    await this.infra(() => this.deps.publisher.publish(resultMessage(result)));
    this.stats.replayed += 1;
    const last = result.steps[result.steps.length - 1];
    log.info(
      { outcome: last?.outcome, step: last?.step, steps: result.steps.length },
      'command seen before: re-reported its final report',
    );
    return 'done';
  }

  /**
   * A newer command for the instance was seen (ADR 0082): nothing is done to the instance. A final report
   * with the command's first step FAILED says so on `upgrade.results`, where the orchestrator, which no
   * longer waits for this command, ignores it. Not cached: a redelivery is refused the same way.
   */
  private async refuseStale(command: InstanceCommand, newest: number, log: Logger): Promise<'done'> {
    const reason = `stale fencing token ${command.fencingToken} < ${newest}`;
    log.warn(
      { fencingToken: command.fencingToken, newestFencingToken: newest },
      'command refused: a newer command for the instance was seen; no agent call',
    );
    const at = new Date().toISOString();
    const [first] = COMMAND_STEPS[command.type];
    if (first === undefined) throw new Error(`no steps for command type ${command.type}`);
    const report = stepReport(
      command,
      this.options.workerId,
      [
        {
          step: first,
          outcome: CommandOutcome.FAILED,
          reason,
          observedVersion: null,
          startedAt: at,
          finishedAt: at,
        },
      ],
      true,
    );
    await this.infra(() => this.deps.publisher.publish(resultMessage(report)));
    this.stats.staleRefused += 1;
    return 'done';
  }

  private async deadLetter(partition: number, message: KafkaMessage, error: unknown): Promise<'done'> {
    await this.infra(() =>
      sendToDlq(this.deps.producer, {
        originalTopic: this.topic,
        key: message.key,
        value: message.value,
        error,
        partition,
        offset: message.offset,
        consumerGroup: this.options.groupId ?? ConsumerGroups.WORKERS,
        source: `${EventSources.WORKER}/${this.options.workerId}`,
      }),
    );
    this.stats.deadLettered += 1;
    this.deps.logger.warn(
      { partition, offset: message.offset, err: error instanceof Error ? error.message : String(error) },
      'message sent to the dead-letter topic',
    );
    return 'done';
  }

  /** Redis and Kafka outages are waited out (with backoff), not turned into failed commands. */
  private infra<T>(call: () => Promise<T>): Promise<T> {
    return retry(call, {
      backoff: { baseDelayMs: 200, maxDelayMs: 5000, jitter: 'none' },
      retryable: () => true,
      signal: this.abort.signal,
      onRetry: (attempt, error, delayMs) =>
        this.deps.logger.warn(
          { err: error instanceof Error ? error.message : String(error), attempt, delayMs },
          'Redis or Kafka call failed; retrying',
        ),
    });
  }

  private commit(): Promise<void> {
    this.committing = this.committing.then(async () => {
      const offsets: { topic: string; partition: number; offset: string }[] = [];
      const trackers = this.trackers;
      for (const [partition, tracker] of trackers) {
        const next = tracker.committable();
        if (next !== null) offsets.push({ topic: this.topic, partition, offset: String(next) });
      }
      if (offsets.length === 0) return;
      try {
        await this.consumer.commitOffsets(offsets);
        for (const { partition, offset } of offsets) trackers.get(partition)?.markCommitted(Number(offset));
      } catch (error) {
        // A rebalance is under way; the next generation commits afresh. Uncommitted work is redelivered.
        this.deps.logger.debug(
          { err: error instanceof Error ? error.message : String(error) },
          'offset commit failed',
        );
      }
    });
    return this.committing;
  }
}
