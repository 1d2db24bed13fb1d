import { Logger } from '@nestjs/common';
import {
  COMMAND_STEPS,
  CommandOutcome,
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
  InstanceStep,
  UpgradeStrategy,
  ValidationCheck,
} from '@upshift/contracts';
import type { InstanceCommandResult, ProgressEvent } from '@upshift/contracts';
import { OrchestratorConfig } from '../config';
import { ExecutionEntity, pendingInstance, type ExecutionInstanceEntity } from '../database/entities';
import { ExecutionEngine } from './execution-engine';
import { ExecutionTransaction } from './execution-transaction';
import type { EngineTransaction } from './execution-transaction';

/**
 * The engine's own logic, on rows held in memory: ExecutionTransaction holds no connection, so each
 * `transaction` below is exactly what ExecutionStore hands the engine under the row lock, minus the
 * writing. The orchestrator e2e suites run the same engine against Postgres, Kafka and Redis.
 */
class InMemoryExecution {
  readonly execution: ExecutionEntity;
  readonly instances: ExecutionInstanceEntity[];
  private readonly sent = new Map<ExecutionTransaction, string[]>();
  /** Stands in for command_fencing_seq (ExecutionStore draws from it when it writes a transaction). */
  private lastToken = 0;

  constructor(settings: Partial<ExecutionEntity>, size: number) {
    const now = new Date();
    this.execution = Object.assign(new ExecutionEntity(), {
      id: 'e1',
      tenantId: 't1',
      componentId: 'c1',
      fromVersionId: 'v1',
      toVersionId: 'v2',
      strategy: UpgradeStrategy.ROLLING,
      canaryPercentage: 25,
      batchSize: 2,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 10,
      healthCheckTimeoutSeconds: 30,
      maxUnavailablePercentage: 50,
      totalInstances: size,
      autoRollbackEnabled: true,
      failureThreshold: 2,
      initiatedBy: 'operator',
      installedComponents: null,
      status: ExecutionStatus.IN_PROGRESS,
      statusReason: null,
      phase: 'ROLLOUT',
      halted: false,
      completedInstances: 0,
      failedInstances: 0,
      currentBatch: 0,
      totalBatches: 2,
      approvedStage: 0,
      lastBatchCompletedAt: null,
      nextCanaryCheckAt: null,
      progressSequence: 0,
      leaseVersion: 0,
      fromVersion: '1.0.0',
      toVersion: '2.0.0',
      artifactUrl: 'https://artifacts.example.com/2.0.0.tgz',
      artifactSha256: 'a'.repeat(64),
      artifactSignature: null,
      targetDependencies: {},
      rollbackReason: null,
      rollbackInitiatedAt: null,
      rollbackInitiatedBy: null,
      createdAt: now,
      startedAt: now,
      completedAt: null,
      updatedAt: now,
      ...settings,
    } satisfies ExecutionEntity);
    this.instances = Array.from({ length: size }, (_, position) =>
      pendingInstance({
        executionId: 'e1',
        id: `i${position}`,
        position,
        name: `node-${position}`,
        agentUrl: `http://node-${position}:8080`,
      }),
    );
  }

  transaction<T>(fn: (tx: EngineTransaction) => T): { value: T; tx: ExecutionTransaction } {
    const tx = new ExecutionTransaction(this.execution, this.instances);
    const value = fn(tx);
    // ExecutionStore writes the time of a transaction that changed anything to updated_at.
    if (tx.changed) this.execution.updatedAt = tx.now;
    // What ExecutionStore does at commit: a token per command sent, in order; the outbox reads each
    // command's type then (a later transaction moves the instance on).
    for (const { instance } of tx.sentCommands()) {
      this.lastToken += 1;
      instance.fencingToken = this.lastToken;
    }
    this.sent.set(
      tx,
      tx.sentCommands().map((c) => `${c.instance.id}:${c.instance.pendingCommandType ?? 'none'}`),
    );
    return { value, tx };
  }

  /** The commands `tx` sent, as instance:TYPE. */
  commandsOf(tx: ExecutionTransaction): string[] {
    return this.sent.get(tx) ?? [];
  }

  instance(id: string): ExecutionInstanceEntity {
    const found = this.instances.find((i) => i.id === id);
    if (found === undefined) throw new Error(`no instance ${id}`);
    return found;
  }

  /** A worker's report on the command `id` holds now, listing `steps` ([step, outcome]). */
  report(id: string, ...steps: [InstanceStep, CommandOutcome][]): InstanceCommandResult {
    const instance = this.instance(id);
    if (instance.pendingCommandId === null || instance.pendingCommandType === null) {
      throw new Error(`${id} holds no command`);
    }
    const at = new Date().toISOString();
    const all = COMMAND_STEPS[instance.pendingCommandType];
    const last = steps[steps.length - 1];
    return {
      commandId: instance.pendingCommandId,
      executionId: 'e1',
      tenantId: 't1',
      instanceId: id,
      type: instance.pendingCommandType,
      fencingToken: instance.fencingToken ?? 0,
      steps: steps.map(([step, outcome]) => ({
        step,
        outcome,
        reason: outcome === CommandOutcome.SUCCEEDED ? null : `${step} broke`,
        observedVersion: null,
        startedAt: at,
        finishedAt: at,
      })),
      final: last !== undefined && (last[1] === CommandOutcome.FAILED || last[0] === all[all.length - 1]),
      workerId: 'w1',
    };
  }

  /** The whole answer to the command `id` holds: every step succeeded, or (FAILED) its first step failed. */
  answer(id: string, outcome = CommandOutcome.SUCCEEDED): InstanceCommandResult {
    const type = this.instance(id).pendingCommandType;
    if (type === null) throw new Error(`${id} holds no command`);
    const steps = COMMAND_STEPS[type];
    if (outcome === CommandOutcome.FAILED) return this.report(id, [steps[0] as InstanceStep, outcome]);
    return this.report(id, ...steps.map((step): [InstanceStep, CommandOutcome] => [step, outcome]));
  }

  /** What ResultsConsumer does with one execution's results: apply each, then advance once if any applied. */
  deliver(engine: ExecutionEngine, results: InstanceCommandResult[]): ExecutionTransaction {
    return this.transaction((tx) => {
      const verdicts = results.map((r) => engine.applyResult(tx, r));
      if (verdicts.includes('applied')) engine.advance(tx);
    }).tx;
  }

  /** Every instance of `ids` answers its whole command with success, in one transaction. */
  succeed(engine: ExecutionEngine, ids: string[]): ExecutionTransaction {
    return this.deliver(
      engine,
      ids.map((id) => this.answer(id)),
    );
  }

  /** A copy of the rows, to compare before and after. */
  rows(): string {
    return JSON.stringify({ execution: this.execution, instances: this.instances });
  }
}

const P = InstanceStep;
const OK = CommandOutcome.SUCCEEDED;
const KO = CommandOutcome.FAILED;

function kinds(tx: ExecutionTransaction, kind: ProgressEvent['kind']): ProgressEvent[] {
  return tx.events.filter((e) => e.kind === kind);
}

function moves(tx: ExecutionTransaction): string[] {
  return tx.events.flatMap((e) =>
    e.kind === 'InstanceStatusChanged' ? [`${e.instanceId}:${e.from}→${e.to}`] : [],
  );
}

describe('ExecutionEngine on an in-memory transaction', () => {
  const config = new OrchestratorConfig();
  const engine = new ExecutionEngine(config);
  // healthCheckTimeoutSeconds 30 + HEALTH_DEADLINE_MARGIN_SECONDS + COMMAND_STEPS_ALLOWANCE_SECONDS.
  const deadlineSeconds = 30 + config.HEALTH_DEADLINE_MARGIN_SECONDS + config.COMMAND_STEPS_ALLOWANCE_SECONDS;

  // The engine logs every status change; here the assertions say what changed.
  beforeAll(() => Logger.overrideLogger(false));

  it('dispatches the first batch within the out-of-service budget: one UPGRADE each, one deadline for the group', () => {
    const run = new InMemoryExecution({ batchSize: 3, maxUnavailablePercentage: 50 }, 4);
    const { tx } = run.transaction((t) => engine.advance(t));
    expect(kinds(tx, 'BatchStarted')).toEqual([
      { kind: 'BatchStarted', batch: 1, instanceIds: ['i0', 'i1'] },
    ]);
    expect(run.commandsOf(tx)).toEqual(['i0:UPGRADE', 'i1:UPGRADE']);
    expect(run.instance('i0')).toMatchObject({
      status: InstanceStatus.DRAINING,
      attempt: 1,
      pendingCommandSteps: 0,
    });
    expect(run.instance('i2').status).toBe(InstanceStatus.PENDING);
    expect(tx.timers).toEqual([
      {
        kind: 'command-deadline',
        executionId: 'e1',
        issuedAt: tx.now,
        at: new Date(tx.now.getTime() + deadlineSeconds * 1000),
      },
    ]);
  });

  it('a report of all three steps passes the instance through every status in one transaction, each passage evented', () => {
    const run = new InMemoryExecution({}, 4);
    run.transaction((t) => engine.advance(t));
    const healthy = run.succeed(engine, ['i0', 'i1']);
    expect(moves(healthy).slice(0, 6)).toEqual([
      'i0:DRAINING→UPGRADING',
      'i0:UPGRADING→HEALTH_CHECKING',
      'i0:HEALTH_CHECKING→COMPLETED',
      'i1:DRAINING→UPGRADING',
      'i1:UPGRADING→HEALTH_CHECKING',
      'i1:HEALTH_CHECKING→COMPLETED',
    ]);
    expect(run.instance('i0')).toMatchObject({ pendingCommandId: null, pendingCommandType: null });
    expect(kinds(healthy, 'BatchCompleted')).toEqual([
      { kind: 'BatchCompleted', batch: 1, completed: 2, failed: 0 },
    ]);
    expect(kinds(healthy, 'BatchStarted')).toEqual([
      { kind: 'BatchStarted', batch: 2, instanceIds: ['i2', 'i3'] },
    ]);
    expect(run.commandsOf(healthy)).toEqual(['i2:UPGRADE', 'i3:UPGRADE']);
    expect(healthy.registrySync).toEqual([
      { instanceId: 'i0', versionId: 'v2' },
      { instanceId: 'i1', versionId: 'v2' },
    ]);
    expect(run.execution).toMatchObject({ completedInstances: 2, currentBatch: 2 });

    const last = run.succeed(engine, ['i2', 'i3']);
    expect(run.execution.status).toBe(ExecutionStatus.COMPLETED);
    expect(kinds(last, 'ExecutionStatusChanged')).toEqual([
      {
        kind: 'ExecutionStatusChanged',
        from: 'IN_PROGRESS',
        to: 'COMPLETED',
        reason: 'all 4 instance(s) upgraded',
      },
    ]);
  });

  it('step-by-step reports move the instance one status each, and the command stays pending until the last', () => {
    const run = new InMemoryExecution({ maxUnavailablePercentage: 100 }, 2);
    run.transaction((t) => engine.advance(t));
    const commandId = run.instance('i0').pendingCommandId;

    const drained = run.deliver(engine, [run.report('i0', [P.DRAIN, OK])]);
    expect(moves(drained)).toEqual(['i0:DRAINING→UPGRADING']);
    expect(run.instance('i0')).toMatchObject({ pendingCommandId: commandId, pendingCommandSteps: 1 });

    const upgraded = run.deliver(engine, [run.report('i0', [P.UPGRADE, OK])]);
    expect(moves(upgraded)).toEqual(['i0:UPGRADING→HEALTH_CHECKING']);
    expect(run.instance('i0')).toMatchObject({ pendingCommandId: commandId, pendingCommandSteps: 2 });

    const healthy = run.deliver(engine, [run.report('i0', [P.HEALTH_CHECK, OK])]);
    expect(moves(healthy)).toEqual(['i0:HEALTH_CHECKING→COMPLETED']);
    expect(run.instance('i0')).toMatchObject({ pendingCommandId: null, pendingCommandSteps: 0 });
    expect(run.execution.completedInstances).toBe(1);
  });

  it('a report of a later step implies the earlier ones; a report repeating applied steps applies only the new one', () => {
    const run = new InMemoryExecution({ maxUnavailablePercentage: 100 }, 2);
    run.transaction((t) => engine.advance(t));
    const upgraded = run.deliver(engine, [run.report('i0', [P.UPGRADE, OK])]);
    expect(moves(upgraded)).toEqual(['i0:DRAINING→UPGRADING', 'i0:UPGRADING→HEALTH_CHECKING']);
    const rest = run.deliver(engine, [
      run.report('i0', [P.DRAIN, OK], [P.UPGRADE, OK], [P.HEALTH_CHECK, OK]),
    ]);
    expect(moves(rest)).toEqual(['i0:HEALTH_CHECKING→COMPLETED']);
  });

  it('a failed step fails the instance with its reason and ends the command', () => {
    const run = new InMemoryExecution({ failureThreshold: 3, maxUnavailablePercentage: 100 }, 4);
    run.transaction((t) => engine.advance(t));
    const tx = run.deliver(engine, [run.report('i0', [P.DRAIN, OK], [P.UPGRADE, KO])]);
    expect(moves(tx)).toEqual(['i0:DRAINING→UPGRADING', 'i0:UPGRADING→FAILED']);
    expect(run.instance('i0')).toMatchObject({
      status: InstanceStatus.FAILED,
      failedAt: InstanceStatus.UPGRADING,
      error: 'UPGRADE broke',
      pendingCommandId: null,
    });
    expect(run.execution.failedInstances).toBe(1);
  });

  it('arms the batch delay instead of dispatching before it is over', () => {
    const run = new InMemoryExecution({ batchDelaySeconds: 60 }, 4);
    run.transaction((t) => engine.advance(t));
    const healthy = run.succeed(engine, ['i0', 'i1']);
    expect(kinds(healthy, 'BatchStarted')).toEqual([]);
    expect(healthy.timers).toEqual([
      {
        kind: 'advance',
        executionId: 'e1',
        at: new Date(healthy.now.getTime() + 60_000),
        jobKey: 'advance-e1-1',
      },
    ]);
  });

  it('a failure at the threshold starts the rollback in the same transaction', () => {
    const run = new InMemoryExecution({ batchSize: 4, maxUnavailablePercentage: 100 }, 4);
    run.transaction((t) => engine.advance(t));
    run.succeed(engine, ['i0']);
    run.deliver(engine, [run.report('i1', [P.DRAIN, OK], [P.UPGRADE, OK])]); // i1 health-checking
    run.deliver(engine, [run.report('i2', [P.DRAIN, OK], [P.UPGRADE, KO])]); // i2 fails while UPGRADING: 1 of 2
    expect(run.execution.status).toBe(ExecutionStatus.IN_PROGRESS);

    const tx = run.deliver(engine, [run.report('i3', [P.DRAIN, KO])]); // i3 fails while DRAINING
    expect(run.execution).toMatchObject({
      status: ExecutionStatus.ROLLING_BACK,
      failedInstances: 2,
      rollbackInitiatedBy: 'system:auto-rollback',
      rollbackReason: '2 instance failure(s) reached the failure threshold of 2',
    });
    // Upgraded (i0), health-checking (i1, its UPGRADE superseded) and failed after the new version was
    // applied (i2); i3 failed while draining and still runs the old version.
    expect(kinds(tx, 'RollbackStarted')).toEqual([
      {
        kind: 'RollbackStarted',
        reason: '2 instance failure(s) reached the failure threshold of 2',
        initiatedBy: 'system:auto-rollback',
        instanceIds: ['i0', 'i1', 'i2'],
      },
    ]);
    expect(run.commandsOf(tx)).toEqual(['i0:ROLLBACK', 'i1:ROLLBACK', 'i2:ROLLBACK']);
    expect(tx.timers.map((t) => t.kind)).toEqual(['command-deadline']);

    const done = run.deliver(
      engine,
      ['i0', 'i1', 'i2'].map((id) => run.answer(id)),
    );
    expect(run.execution.status).toBe(ExecutionStatus.ROLLED_BACK);
    expect(kinds(done, 'RollbackCompleted')).toEqual([
      { kind: 'RollbackCompleted', rolledBackInstances: ['i0', 'i1', 'i2'], failedInstances: [] },
    ]);
    expect(run.instances.map((i) => i.status)).toEqual([
      InstanceStatus.ROLLED_BACK,
      InstanceStatus.ROLLED_BACK,
      InstanceStatus.ROLLED_BACK,
      InstanceStatus.FAILED,
    ]);
  });

  it('a ROLLBACK step that failed marks the rollback failed and ends it FAILED', () => {
    const run = new InMemoryExecution({ failureThreshold: 1 }, 2);
    run.transaction((t) => engine.advance(t));
    run.deliver(engine, [run.report('i0', [P.DRAIN, OK], [P.UPGRADE, KO])]);
    expect(run.instance('i0').pendingCommandType).toBe(InstanceCommandType.ROLLBACK);
    run.deliver(engine, [run.report('i0', [P.ROLLBACK, KO])]);
    expect(run.instance('i0')).toMatchObject({
      rollbackFailed: true,
      error: 'rollback failed: ROLLBACK broke',
    });
    expect(run.execution.status).toBe(ExecutionStatus.FAILED);
  });

  it('without auto-rollback the threshold halts: no new batch, FAILED once the batch settles', () => {
    const run = new InMemoryExecution(
      { autoRollbackEnabled: false, failureThreshold: 1, batchSize: 2, maxUnavailablePercentage: 100 },
      4,
    );
    run.transaction((t) => engine.advance(t));
    const halting = run.deliver(engine, [run.answer('i0', CommandOutcome.FAILED)]);
    expect(run.execution).toMatchObject({ status: ExecutionStatus.IN_PROGRESS, halted: true });
    expect(halting.transcript).toContain(
      '1 instance failure(s) reached the failure threshold of 1: no new batches; failing once in-flight instances settle',
    );
    const settled = run.succeed(engine, ['i1']);
    expect(kinds(settled, 'BatchStarted')).toEqual([]);
    expect(run.execution.status).toBe(ExecutionStatus.FAILED);
    expect(run.instance('i2').status).toBe(InstanceStatus.PENDING);
  });

  it('a replayed or duplicate report changes nothing, the whole row included', () => {
    const run = new InMemoryExecution({}, 4);
    run.transaction((t) => engine.advance(t));
    const drain = run.report('i0', [P.DRAIN, OK]);
    run.deliver(engine, [drain]);
    const before = run.rows();

    const replay = run.transaction((t) => engine.applyResult(t, drain));
    const wrongType = run.transaction((t) =>
      engine.applyResult(t, { ...drain, type: InstanceCommandType.ROLLBACK }),
    );
    const unknown = run.transaction((t) => engine.applyResult(t, { ...drain, instanceId: 'nobody' }));
    expect([replay.value, wrongType.value, unknown.value]).toEqual([
      'already-applied',
      'type-mismatch',
      'unknown-instance',
    ]);
    for (const { tx } of [replay, wrongType, unknown]) {
      expect(tx.changed).toBe(false);
      expect(tx.events).toEqual([]);
      expect(tx.commands).toEqual([]);
    }
    expect(run.rows()).toBe(before);

    // Once the command is over, every report of it is a late one.
    const whole = run.answer('i0');
    run.deliver(engine, [whole]);
    const settled = run.rows();
    for (const again of [
      whole,
      drain,
      { ...whole, steps: whole.steps.map((s) => ({ ...s, outcome: KO })) },
    ]) {
      const late = run.transaction((t) => engine.applyResult(t, again));
      expect(late.value).toBe('not-pending');
      expect(late.tx.changed).toBe(false);
    }
    expect(run.rows()).toBe(settled);
  });

  it('a late answer to a command the rollback superseded is ignored', () => {
    const run = new InMemoryExecution({ failureThreshold: 1 }, 4);
    run.transaction((t) => engine.advance(t));
    const upgradeOfI1 = run.answer('i1');
    run.deliver(engine, [run.answer('i0', CommandOutcome.FAILED)]);
    expect(run.instance('i1').pendingCommandType).toBe(InstanceCommandType.ROLLBACK);

    const late = run.transaction((t) => engine.applyResult(t, upgradeOfI1));
    expect(late.value).toBe('not-pending');
    expect(late.tx.changed).toBe(false);
    expect(run.instance('i1').status).toBe(InstanceStatus.DRAINING);
  });

  describe('the command deadline', () => {
    it('issues a silent command again and fails a half-answered one; the superseded command is late', () => {
      const run = new InMemoryExecution(
        { failureThreshold: 3, maxUnavailablePercentage: 100, batchSize: 3 },
        3,
      );
      const { tx: dispatch } = run.transaction((t) => engine.advance(t));
      const silent = run.answer('i0');
      const tokenBefore = run.instance('i0').fencingToken ?? 0;
      run.deliver(engine, [run.report('i1', [P.DRAIN, OK], [P.UPGRADE, OK])]);
      run.succeed(engine, ['i2']);

      const { value, tx } = run.transaction((t) => engine.commandDeadline(t, dispatch.now));
      expect(value).toBe(2);
      expect(run.commandsOf(tx)).toEqual(['i0:UPGRADE']);
      expect(run.instance('i0')).toMatchObject({ status: InstanceStatus.DRAINING, attempt: 2 });
      expect(run.instance('i0').pendingCommandId).not.toBe(silent.commandId);
      expect(run.instance('i0').fencingToken).toBeGreaterThan(tokenBefore);
      expect(run.instance('i1')).toMatchObject({
        status: InstanceStatus.FAILED,
        failedAt: InstanceStatus.HEALTH_CHECKING,
        error: `no health-check result within ${deadlineSeconds}s`,
        pendingCommandId: null,
      });
      expect(tx.transcript).toContain(`No answer within ${deadlineSeconds}s: issued again to node-0`);
      // The re-issue is a group of its own, with its own deadline.
      expect(tx.timers).toEqual([
        {
          kind: 'command-deadline',
          executionId: 'e1',
          issuedAt: tx.now,
          at: new Date(tx.now.getTime() + deadlineSeconds * 1000),
        },
      ]);

      const late = run.transaction((t) => engine.applyResult(t, silent));
      expect(late.value).toBe('not-pending');
      expect(run.deliver(engine, [run.answer('i0')]).events.length).toBeGreaterThan(0);
      expect(run.instance('i0').status).toBe(InstanceStatus.COMPLETED);
    });

    it('finds nothing to do once the group answered, and leaves commands issued after it alone', () => {
      const run = new InMemoryExecution({}, 4);
      const { tx: first } = run.transaction((t) => engine.advance(t));
      run.succeed(engine, ['i0', 'i1']); // batch 2 dispatched, after the first group
      const before = run.rows();
      const { value, tx } = run.transaction((t) => engine.commandDeadline(t, first.now));
      expect(value).toBe(0);
      expect(tx.changed).toBe(false);
      expect(run.rows()).toBe(before);
    });

    it('fails an instance never answered after COMMAND_MAX_ATTEMPTS attempts', () => {
      const run = new InMemoryExecution({ failureThreshold: 3 }, 1);
      run.transaction((t) => engine.advance(t));
      for (let attempt = 1; attempt < config.COMMAND_MAX_ATTEMPTS; attempt += 1) {
        const issuedAt = run.instance('i0').pendingCommandIssuedAt ?? new Date();
        run.transaction((t) => engine.commandDeadline(t, issuedAt));
      }
      expect(run.instance('i0').attempt).toBe(config.COMMAND_MAX_ATTEMPTS);
      const issuedAt = run.instance('i0').pendingCommandIssuedAt ?? new Date();
      run.transaction((t) => engine.commandDeadline(t, issuedAt));
      expect(run.instance('i0')).toMatchObject({
        status: InstanceStatus.FAILED,
        error: `no answer to UPGRADE after ${config.COMMAND_MAX_ATTEMPTS} attempt(s)`,
        pendingCommandId: null,
      });
      expect(run.execution.status).toBe(ExecutionStatus.FAILED);
    });

    it('issues an unanswered ROLLBACK again, and a resumed rollback re-issues those issued before a cut-off', () => {
      const run = new InMemoryExecution({ failureThreshold: 1 }, 2);
      run.transaction((t) => engine.advance(t));
      run.deliver(engine, [run.report('i0', [P.DRAIN, OK], [P.UPGRADE, KO])]);
      const rollback = run.instance('i0');
      const issuedAt = rollback.pendingCommandIssuedAt ?? new Date();
      const { tx } = run.transaction((t) => engine.commandDeadline(t, issuedAt));
      expect(run.commandsOf(tx)).toEqual(['i0:ROLLBACK']);
      expect(rollback.attempt).toBe(2);

      const resumed = run.transaction((t) => engine.reissueRollbacks(t, new Date(Date.now() + 1000)));
      expect(resumed.value).toBe(1);
      expect(run.commandsOf(resumed.tx)).toEqual(['i0:ROLLBACK']);
      expect(rollback.attempt).toBe(3);
      // At COMMAND_MAX_ATTEMPTS the rollback of the instance fails instead.
      run.transaction((t) => engine.reissueRollbacks(t, new Date(Date.now() + 1000)));
      expect(run.execution.status).toBe(ExecutionStatus.FAILED);
      expect(rollback).toMatchObject({
        rollbackFailed: true,
        error: 'rollback failed: no answer to ROLLBACK after 3 attempt(s)',
      });
    });
  });

  it('a transaction is later than the previous one of its execution, so their command groups never share an issue time', () => {
    const run = new InMemoryExecution({}, 1);
    // The previous transaction's time, written to updated_at, is ahead of this clock (the same millisecond,
    // or another replica's clock a little ahead).
    const previous = Date.now() + 5_000;
    run.execution.updatedAt = new Date(previous);
    const { tx } = run.transaction((t) => engine.advance(t));
    expect(tx.now.getTime()).toBe(previous + 1);
    const next = run.transaction((t) => engine.advance(t)).tx;
    expect(next.now.getTime()).toBeGreaterThan(tx.now.getTime());
  });

  it('records the pre-upgrade checks on the transaction, for ExecutionStore to write', () => {
    const run = new InMemoryExecution({ status: ExecutionStatus.VALIDATING }, 2);
    const checks = Object.values(ValidationCheck).map((check) => ({ check, passed: true, detail: 'ok' }));
    const { tx } = run.transaction((t) => engine.validationFinished(t, checks));
    expect(tx.validationResults).toEqual(checks);
    expect(run.execution.status).toBe(ExecutionStatus.IN_PROGRESS);
    expect(run.commandsOf(tx)).toEqual(['i0:UPGRADE']);
  });
});
