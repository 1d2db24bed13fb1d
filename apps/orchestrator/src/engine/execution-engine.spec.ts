import { Logger } from '@nestjs/common';
import {
  CommandOutcome,
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
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
    // The outbox reads each command's type at commit; a later transaction moves the instance on.
    this.sent.set(
      tx,
      tx.commands.map((c) => `${c.instance.id}:${c.instance.pendingCommandType ?? 'none'}`),
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

  /** A worker's answer to the command `id` holds now. */
  answer(id: string, outcome = CommandOutcome.SUCCEEDED): InstanceCommandResult {
    const instance = this.instance(id);
    if (instance.pendingCommandId === null || instance.pendingCommandType === null) {
      throw new Error(`${id} holds no command`);
    }
    const at = new Date().toISOString();
    return {
      commandId: instance.pendingCommandId,
      executionId: 'e1',
      tenantId: 't1',
      instanceId: id,
      type: instance.pendingCommandType,
      outcome,
      reason: outcome === CommandOutcome.SUCCEEDED ? null : `${instance.pendingCommandType} broke`,
      observedVersion: null,
      startedAt: at,
      finishedAt: at,
      durationMs: 0,
      workerId: 'w1',
    };
  }

  /** What ResultsConsumer does with one execution's results: apply each, then advance once if any applied. */
  deliver(engine: ExecutionEngine, results: InstanceCommandResult[]): ExecutionTransaction {
    return this.transaction((tx) => {
      const verdicts = results.map((r) => engine.applyResult(tx, r));
      if (verdicts.includes('applied')) engine.advance(tx);
    }).tx;
  }

  /** Answers every command of `ids` with success until none holds a forward command any more. */
  succeed(engine: ExecutionEngine, ids: string[]): ExecutionTransaction[] {
    const txs: ExecutionTransaction[] = [];
    for (let round = 0; round < 3; round += 1) {
      txs.push(
        this.deliver(
          engine,
          ids.map((id) => this.answer(id)),
        ),
      );
    }
    return txs;
  }
}

function kinds(tx: ExecutionTransaction, kind: ProgressEvent['kind']): ProgressEvent[] {
  return tx.events.filter((e) => e.kind === kind);
}

describe('ExecutionEngine on an in-memory transaction', () => {
  const engine = new ExecutionEngine(new OrchestratorConfig());

  // The engine logs every status change; here the assertions say what changed.
  beforeAll(() => Logger.overrideLogger(false));

  it('dispatches the first batch within the out-of-service budget', () => {
    const run = new InMemoryExecution({ batchSize: 3, maxUnavailablePercentage: 50 }, 4);
    const { tx } = run.transaction((t) => engine.advance(t));
    expect(kinds(tx, 'BatchStarted')).toEqual([
      { kind: 'BatchStarted', batch: 1, instanceIds: ['i0', 'i1'] },
    ]);
    expect(run.commandsOf(tx)).toEqual(['i0:DRAIN', 'i1:DRAIN']);
    expect(run.instance('i0').status).toBe(InstanceStatus.DRAINING);
    expect(run.instance('i2').status).toBe(InstanceStatus.PENDING);
  });

  it('a batch of results completes a batch and dispatches the next', () => {
    const run = new InMemoryExecution({}, 4);
    run.transaction((t) => engine.advance(t));
    const [drained, upgraded, healthy] = run.succeed(engine, ['i0', 'i1']);
    expect(run.commandsOf(drained)).toEqual(['i0:UPGRADE', 'i1:UPGRADE']);
    expect(run.commandsOf(upgraded)).toEqual(['i0:HEALTH_CHECK', 'i1:HEALTH_CHECK']);
    expect(upgraded.timers.map((t) => t.kind)).toEqual(['health-deadline', 'health-deadline']);

    expect(kinds(healthy, 'BatchCompleted')).toEqual([
      { kind: 'BatchCompleted', batch: 1, completed: 2, failed: 0 },
    ]);
    expect(kinds(healthy, 'BatchStarted')).toEqual([
      { kind: 'BatchStarted', batch: 2, instanceIds: ['i2', 'i3'] },
    ]);
    expect(run.commandsOf(healthy)).toEqual(['i2:DRAIN', 'i3:DRAIN']);
    expect(healthy.registrySync).toEqual([
      { instanceId: 'i0', versionId: 'v2' },
      { instanceId: 'i1', versionId: 'v2' },
    ]);
    expect(run.execution).toMatchObject({ completedInstances: 2, currentBatch: 2 });

    const [, , last] = run.succeed(engine, ['i2', 'i3']);
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

  it('arms the batch delay instead of dispatching before it is over', () => {
    const run = new InMemoryExecution({ batchDelaySeconds: 60 }, 4);
    run.transaction((t) => engine.advance(t));
    const [, , healthy] = run.succeed(engine, ['i0', 'i1']);
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
    run.deliver(engine, [run.answer('i1'), run.answer('i2')]); // both DRAINED
    run.deliver(engine, [run.answer('i1')]); // i1 UPGRADED: health-checking
    run.deliver(engine, [run.answer('i2', CommandOutcome.FAILED)]); // i2 fails while UPGRADING: 1 of 2
    expect(run.execution.status).toBe(ExecutionStatus.IN_PROGRESS);

    const tx = run.deliver(engine, [run.answer('i3', CommandOutcome.FAILED)]); // i3 fails while DRAINING
    expect(run.execution).toMatchObject({
      status: ExecutionStatus.ROLLING_BACK,
      failedInstances: 2,
      rollbackInitiatedBy: 'system:auto-rollback',
      rollbackReason: '2 instance failure(s) reached the failure threshold of 2',
    });
    // Upgraded (i0), health-checking (i1, its HEALTH_CHECK superseded) and failed after the new version
    // was applied (i2); i3 failed while draining and still runs the old version.
    expect(kinds(tx, 'RollbackStarted')).toEqual([
      {
        kind: 'RollbackStarted',
        reason: '2 instance failure(s) reached the failure threshold of 2',
        initiatedBy: 'system:auto-rollback',
        instanceIds: ['i0', 'i1', 'i2'],
      },
    ]);
    expect(run.commandsOf(tx)).toEqual(['i0:ROLLBACK', 'i1:ROLLBACK', 'i2:ROLLBACK']);

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
    const [, , settled] = run.succeed(engine, ['i1']);
    expect(kinds(settled, 'BatchStarted')).toEqual([]);
    expect(run.execution.status).toBe(ExecutionStatus.FAILED);
    expect(run.instance('i2').status).toBe(InstanceStatus.PENDING);
  });

  it('a late or duplicate result changes nothing', () => {
    const run = new InMemoryExecution({}, 4);
    run.transaction((t) => engine.advance(t));
    const drainOfI0 = run.answer('i0');
    run.deliver(engine, [drainOfI0]);
    const before = JSON.stringify({ execution: run.execution, instances: run.instances });

    const duplicate = run.transaction((t) => engine.applyResult(t, drainOfI0));
    const wrongType = run.transaction((t) =>
      engine.applyResult(t, { ...run.answer('i0'), type: InstanceCommandType.HEALTH_CHECK }),
    );
    const unknown = run.transaction((t) => engine.applyResult(t, { ...drainOfI0, instanceId: 'nobody' }));

    expect([duplicate.value, wrongType.value, unknown.value]).toEqual([
      'not-pending',
      'type-mismatch',
      'unknown-instance',
    ]);
    for (const { tx } of [duplicate, wrongType, unknown]) {
      expect(tx.changed).toBe(false);
      expect(tx.events).toEqual([]);
      expect(tx.commands).toEqual([]);
    }
    expect(JSON.stringify({ execution: run.execution, instances: run.instances })).toBe(before);
  });

  it('a late answer to a command the rollback superseded is ignored', () => {
    const run = new InMemoryExecution({ failureThreshold: 1 }, 4);
    run.transaction((t) => engine.advance(t));
    const drainOfI1 = run.answer('i1');
    run.deliver(engine, [run.answer('i0', CommandOutcome.FAILED)]);
    expect(run.instance('i1').pendingCommandType).toBe(InstanceCommandType.ROLLBACK);

    const late = run.transaction((t) => engine.applyResult(t, drainOfI1));
    expect(late.value).toBe('not-pending');
    expect(late.tx.changed).toBe(false);
    expect(run.instance('i1').status).toBe(InstanceStatus.DRAINING);
  });

  it('records the pre-upgrade checks on the transaction, for ExecutionStore to write', () => {
    const run = new InMemoryExecution({ status: ExecutionStatus.VALIDATING }, 2);
    const checks = Object.values(ValidationCheck).map((check) => ({ check, passed: true, detail: 'ok' }));
    const { tx } = run.transaction((t) => engine.validationFinished(t, checks));
    expect(tx.validationResults).toEqual(checks);
    expect(run.execution.status).toBe(ExecutionStatus.IN_PROGRESS);
    expect(run.commandsOf(tx)).toEqual(['i0:DRAIN']);
  });
});
