import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CommandOutcome,
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
  UpgradeStrategy,
  ValidationCheck,
} from '@upshift/contracts';
import type { InstanceCommandResult } from '@upshift/contracts';
import {
  completedStages,
  completionEvent,
  decideOnBlocked,
  decideOnCanaryHealth,
  decideOnFailure,
  failRoute,
  isTerminal,
  needsRollback,
  planNextBatch,
  planPhaseAfter,
  rollbackOutcomeEvent,
  rollbackRoute,
  transitionExecution,
  transitionInstance,
} from '@upshift/domain';
import type { ExecutionEvent, ExecutionOperation, InstanceEvent } from '@upshift/domain';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import { SCHEMA } from '../database/entities';
import type { ExecutionInstanceEntity } from '../database/entities';
import type { ExecutionTransaction } from './execution-transaction';
import { planInput, plannerInstances } from './plan-input';

export const AUTO_ROLLBACK_INITIATOR = 'system:auto-rollback';
const FORWARD_COMMANDS = new Set<string>([
  InstanceCommandType.DRAIN,
  InstanceCommandType.UPGRADE,
  InstanceCommandType.HEALTH_CHECK,
]);
const SETTLED = new Set<InstanceStatus>([
  InstanceStatus.COMPLETED,
  InstanceStatus.FAILED,
  InstanceStatus.ROLLED_BACK,
]);

export interface CheckOutcome {
  check: ValidationCheck;
  passed: boolean;
  detail: string;
}

/** Why a result changed nothing (logged; duplicates and late answers are normal at-least-once traffic). */
export type ResultVerdict = 'applied' | 'unknown-instance' | 'not-pending' | 'type-mismatch';

/**
 * The execution engine: applies what the domain decides (transition tables, planner, failure policy)
 * to an ExecutionTransaction. It never does I/O itself: every change it makes is written by
 * ExecutionStore in the caller's transaction, so a state change and its events commit together.
 */
@Injectable()
export class ExecutionEngine {
  private readonly logger = new Logger(ExecutionEngine.name);

  constructor(@Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig) {}

  created(tx: ExecutionTransaction, warnings: { code: string; message: string }[]): void {
    const e = tx.execution;
    tx.emit({
      kind: 'ExecutionCreated',
      componentId: e.componentId,
      fromVersionId: e.fromVersionId,
      toVersionId: e.toVersionId,
      strategy: e.strategy,
      status: e.status,
      totalInstances: e.totalInstances,
      initiatedBy: e.initiatedBy,
      instances: tx.instances.map((i) => ({ instanceId: i.id, instanceName: i.name })),
    });
    tx.say(
      `Execution created by ${e.initiatedBy ?? 'an anonymous caller'}: ${e.strategy} upgrade of ${e.totalInstances} ` +
        `instance(s) from ${e.fromVersion} to ${e.toVersion} in ${e.totalBatches} batch(es)`,
      true,
    );
    for (const w of warnings) tx.say(`Registry warning ${w.code}: ${w.message}`, true);
  }

  /**
   * An operator operation the caller has checked against the transition table. `actor` is who acted
   * (the bearer token's subject): it is recorded in the status reason, the transcript and RollbackInfo.
   */
  operate(
    tx: ExecutionTransaction,
    operation: ExecutionOperation,
    context: { actor: string; reason?: string },
  ): void {
    const { actor } = context;
    const e = tx.execution;
    switch (operation) {
      case 'start':
        this.transition(tx, 'START', `pre-upgrade checks started by ${actor}`);
        e.startedAt = tx.now;
        tx.timers.push({ kind: 'validate', executionId: e.id });
        return;
      case 'promote-canary':
        this.transition(tx, 'PROMOTE', `canary promoted by ${actor}`);
        e.nextCanaryCheckAt = null;
        this.advance(tx);
        return;
      case 'pause':
        this.transition(tx, 'PAUSE', `paused by ${actor}; in-flight instances finish`);
        return;
      case 'resume': {
        this.transition(tx, 'RESUME', `resumed by ${actor}`);
        // STAGED: resuming after a finished stage approves the next one (a mid-stage pause approves nothing).
        e.approvedStage = Math.max(
          e.approvedStage,
          completedStages(planInput(e), plannerInstances(tx.instances)),
        );
        this.advance(tx);
        return;
      }
      case 'cancel':
        this.cancel(tx, actor);
        return;
      case 'rollback':
        this.beginRollback(tx, context.reason ?? 'Manual rollback', actor);
        return;
    }
  }

  /** The five checks came back (ValidationRunner); ignored unless still VALIDATING. */
  async validationFinished(tx: ExecutionTransaction, checks: CheckOutcome[]): Promise<void> {
    const e = tx.execution;
    if (e.status !== ExecutionStatus.VALIDATING) return;
    for (const c of checks) {
      await tx.manager.query(
        `INSERT INTO ${SCHEMA}.validation_result (execution_id, "check", passed, detail, checked_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (execution_id, "check") DO UPDATE SET passed = $3, detail = $4, checked_at = $5`,
        [e.id, c.check, c.passed, c.detail, tx.now],
      );
      tx.emit({ kind: 'ValidationCheckCompleted', check: c.check, passed: c.passed, detail: c.detail });
      tx.say(`Check ${c.check} ${c.passed ? 'passed' : 'FAILED'}: ${c.detail}`);
    }
    const failed = checks.filter((c) => !c.passed);
    if (failed.length > 0) {
      this.transition(tx, 'CHECKS_FAILED', failed.map((c) => `${c.check}: ${c.detail}`).join('; '));
      return;
    }
    const canary = e.strategy === UpgradeStrategy.CANARY;
    this.transition(
      tx,
      canary ? 'CHECKS_PASSED_CANARY' : 'CHECKS_PASSED',
      'all five pre-upgrade checks passed',
    );
    this.advance(tx);
  }

  /**
   * A worker's result. Applied only when it answers the instance's pending command; anything else
   * (a duplicate, a late answer to a superseded command) changes nothing.
   */
  applyResult(tx: ExecutionTransaction, result: InstanceCommandResult): ResultVerdict {
    const instance = tx.instance(result.instanceId);
    if (instance === undefined) return 'unknown-instance';
    if (instance.pendingCommandId !== result.commandId) return 'not-pending';
    if (instance.pendingCommandType !== result.type) return 'type-mismatch';
    const ok = result.outcome === CommandOutcome.SUCCEEDED;
    tx.clearCommand(instance);
    if (result.type === InstanceCommandType.ROLLBACK) {
      this.rollbackSettled(tx, instance, ok, result.reason);
      return 'applied';
    }
    if (!ok) {
      this.instanceFailed(tx, instance, result.reason ?? `${result.type} failed`);
      return 'applied';
    }
    switch (result.type) {
      case InstanceCommandType.DRAIN:
        this.moveInstance(tx, instance, 'DRAINED');
        tx.command(instance, InstanceCommandType.UPGRADE);
        break;
      case InstanceCommandType.UPGRADE:
        this.moveInstance(tx, instance, 'UPGRADED');
        this.issueHealthCheck(tx, instance);
        break;
      case InstanceCommandType.HEALTH_CHECK:
        this.moveInstance(tx, instance, 'HEALTHY');
        tx.execution.completedInstances += 1;
        tx.registrySync.push({ instanceId: instance.id, versionId: tx.execution.toVersionId });
        this.batchMaybeSettled(tx, instance.batch);
        break;
    }
    return 'applied';
  }

  /** A health check's deadline passed; FAILED unless that very command has been answered meanwhile. */
  healthDeadline(tx: ExecutionTransaction, instanceId: string, commandId: string): boolean {
    const instance = tx.instance(instanceId);
    if (instance === undefined || instance.pendingCommandId !== commandId) return false;
    tx.clearCommand(instance);
    const seconds = tx.execution.healthCheckTimeoutSeconds + this.config.HEALTH_DEADLINE_MARGIN_SECONDS;
    this.instanceFailed(tx, instance, `no health-check result within ${seconds}s`);
    return true;
  }

  /**
   * Commands nobody answered (a worker died after taking them, a message was lost) are issued again
   * under a new commandId; the old one is superseded, so its late answer is ignored.
   */
  reissueStale(tx: ExecutionTransaction, issuedBefore: Date): number {
    let count = 0;
    for (const instance of tx.instances) {
      const type = instance.pendingCommandType;
      if (instance.pendingCommandId === null || type === null || type === InstanceCommandType.HEALTH_CHECK)
        continue;
      if (instance.pendingCommandIssuedAt === null || instance.pendingCommandIssuedAt > issuedBefore)
        continue;
      count += 1;
      if (instance.attempt >= this.config.COMMAND_MAX_ATTEMPTS) {
        tx.clearCommand(instance);
        const reason = `no answer to ${type} after ${instance.attempt} attempt(s)`;
        if (type === InstanceCommandType.ROLLBACK) this.rollbackSettled(tx, instance, false, reason);
        else this.instanceFailed(tx, instance, reason);
      } else {
        tx.command(instance, type, true);
        tx.say(`${instance.name}: no answer to ${type}; issued again (attempt ${instance.attempt})`);
      }
    }
    if (count > 0) this.advance(tx);
    return count;
  }

  /** The canary monitor's verdict; ignored unless the execution is still CANARY_MONITORING. */
  canaryReport(
    tx: ExecutionTransaction,
    checked: string[],
    unhealthy: { id: string; reason: string }[],
  ): void {
    const e = tx.execution;
    if (e.status !== ExecutionStatus.CANARY_MONITORING) return;
    tx.emit({
      kind: 'CanaryHealthReported',
      healthy: checked.length - unhealthy.length,
      unhealthy: unhealthy.length,
      instanceIds: checked,
    });
    const names = unhealthy.map((u) => `${tx.instance(u.id)?.name ?? u.id} (${u.reason})`).join(', ');
    if (unhealthy.length === 0) {
      tx.say(`Canary health: all ${checked.length} canaries healthy`);
      return;
    }
    tx.say(`Canary health: ${unhealthy.length} of ${checked.length} canaries unhealthy: ${names}`, true);
    if (
      decideOnCanaryHealth({ autoRollbackEnabled: e.autoRollbackEnabled, unhealthy: unhealthy.length }) ===
      'ROLLBACK'
    ) {
      this.beginRollback(tx, `canary health check failed: ${names}`, AUTO_ROLLBACK_INITIATOR);
    } else {
      tx.say('Auto-rollback is disabled: staying in CANARY_MONITORING for an operator to decide', true);
    }
  }

  /** Applies planner decisions until one of them waits (batches are sequential, so at most one starts). */
  advance(tx: ExecutionTransaction): void {
    const e = tx.execution;
    if (
      e.status === ExecutionStatus.IN_PROGRESS &&
      e.autoRollbackEnabled &&
      e.failedInstances >= e.failureThreshold
    ) {
      this.beginRollback(tx, thresholdReason(e.failedInstances, e.failureThreshold), AUTO_ROLLBACK_INITIATOR);
      return;
    }
    const inFlight = tx.instances.some(
      (i) => i.pendingCommandType !== null && FORWARD_COMMANDS.has(i.pendingCommandType),
    );
    if (
      e.halted &&
      (e.status === ExecutionStatus.PAUSED ||
        e.status === ExecutionStatus.IN_PROGRESS ||
        e.status === ExecutionStatus.CANARY_RUNNING)
    ) {
      // HALT: no new batch; FAILED once the in-flight instances have settled.
      if (!inFlight) this.failThrough(tx, thresholdReason(e.failedInstances, e.failureThreshold));
      return;
    }
    if (e.status !== ExecutionStatus.IN_PROGRESS && e.status !== ExecutionStatus.CANARY_RUNNING) return;
    const decision = planNextBatch(planInput(e), plannerInstances(tx.instances), tx.now);
    switch (decision.kind) {
      case 'START_BATCH':
        this.startBatch(tx, decision.batch, decision.instanceIds);
        return;
      case 'WAIT_FOR_INSTANCES':
        return;
      case 'WAIT_UNTIL':
        tx.timers.push({
          kind: 'advance',
          executionId: e.id,
          at: decision.at,
          jobKey: `advance-${e.id}-${e.currentBatch}`,
        });
        return;
      case 'CANARY_PHASE_DONE':
        this.transition(tx, 'CANARY_DEPLOYED', 'canaries upgraded; monitoring their health');
        e.nextCanaryCheckAt = tx.now;
        tx.canaryCheckNow = true;
        return;
      case 'STAGE_DONE':
        this.transition(tx, 'PAUSE', `stage ${decision.stage} finished; resume to approve the next stage`);
        return;
      case 'BLOCKED':
        if (decideOnBlocked(e.autoRollbackEnabled) === 'ROLLBACK') {
          this.beginRollback(tx, decision.reason, AUTO_ROLLBACK_INITIATOR);
        } else {
          this.failThrough(tx, decision.reason);
        }
        return;
      case 'ALL_DONE': {
        const reason =
          decision.failed === 0
            ? `all ${decision.completed} instance(s) upgraded`
            : `${decision.completed} instance(s) upgraded, ${decision.failed} failed`;
        this.transition(tx, completionEvent(decision), reason);
        return;
      }
    }
  }

  private startBatch(tx: ExecutionTransaction, batch: number, instanceIds: string[]): void {
    const e = tx.execution;
    e.currentBatch = batch;
    for (const id of instanceIds) {
      const instance = tx.instance(id);
      if (instance === undefined) throw new Error(`planner picked unknown instance ${id}`);
      instance.batch = batch;
      this.moveInstance(tx, instance, 'DRAIN_ISSUED');
      tx.command(instance, InstanceCommandType.DRAIN);
    }
    tx.emit({ kind: 'BatchStarted', batch, instanceIds });
    tx.say(
      `Batch ${batch}${e.totalBatches > 0 ? ` of ${e.totalBatches}` : ''} started (${e.phase.toLowerCase()}): ` +
        instanceIds.map((id) => tx.instance(id)?.name ?? id).join(', '),
      true,
    );
  }

  private issueHealthCheck(tx: ExecutionTransaction, instance: ExecutionInstanceEntity): void {
    const commandId = tx.command(instance, InstanceCommandType.HEALTH_CHECK);
    const e = tx.execution;
    const seconds = e.healthCheckTimeoutSeconds + this.config.HEALTH_DEADLINE_MARGIN_SECONDS;
    tx.timers.push({
      kind: 'health-deadline',
      executionId: e.id,
      instanceId: instance.id,
      commandId,
      at: new Date(tx.now.getTime() + seconds * 1000),
    });
  }

  private instanceFailed(tx: ExecutionTransaction, instance: ExecutionInstanceEntity, reason: string): void {
    const e = tx.execution;
    this.moveInstance(tx, instance, 'FAILED', reason);
    e.failedInstances += 1;
    this.batchMaybeSettled(tx, instance.batch);
    if (isTerminal(e.status) || e.status === ExecutionStatus.ROLLING_BACK) return;
    const decision = decideOnFailure({
      autoRollbackEnabled: e.autoRollbackEnabled,
      failureThreshold: e.failureThreshold,
      currentFailures: e.failedInstances,
    });
    if (decision === 'ROLLBACK') {
      // Invariant 5: the rollback starts in this very transaction, by the domain's route from the
      // current status (CANARY_RUNNING and PAUSED reach ROLLING_BACK through the status table, ADR 0003).
      this.beginRollback(tx, thresholdReason(e.failedInstances, e.failureThreshold), AUTO_ROLLBACK_INITIATOR);
    } else if (decision === 'HALT' && !e.halted) {
      e.halted = true;
      tx.say(
        `${thresholdReason(e.failedInstances, e.failureThreshold)}: no new batches; failing once in-flight instances settle`,
        true,
      );
    }
  }

  /** Emits BatchCompleted once every instance of `batch` has settled, and starts the batch delay. */
  private batchMaybeSettled(tx: ExecutionTransaction, batch: number | null): void {
    if (batch === null) return;
    const members = tx.instances.filter((i) => i.batch === batch);
    if (members.some((i) => !SETTLED.has(i.status))) return;
    const completed = members.filter((i) => i.status === InstanceStatus.COMPLETED).length;
    const failed = members.filter((i) => i.status === InstanceStatus.FAILED).length;
    tx.execution.lastBatchCompletedAt = tx.now;
    tx.emit({ kind: 'BatchCompleted', batch, completed, failed });
    tx.say(`Batch ${batch} finished: ${completed} completed, ${failed} failed`, true);
  }

  beginRollback(tx: ExecutionTransaction, reason: string, initiatedBy: string): void {
    const e = tx.execution;
    const route = rollbackRoute(e.status);
    if (route === null) {
      this.logger.warn(
        { executionId: e.id, status: e.status },
        'no route to ROLLING_BACK from here; not rolling back',
      );
      return;
    }
    for (const event of route) this.transition(tx, event, reason);
    e.rollbackReason = reason;
    e.rollbackInitiatedAt = tx.now;
    e.rollbackInitiatedBy = initiatedBy;
    e.halted = false;
    e.nextCanaryCheckAt = null;
    // Upgraded and health-checking instances (the domain's rule), plus any instance a forward command
    // is still working on: its ROLLBACK supersedes that command and returns it to service.
    const targets = tx.instances.filter(
      (i) =>
        needsRollback(i) || (i.pendingCommandType !== null && FORWARD_COMMANDS.has(i.pendingCommandType)),
    );
    for (const instance of targets) tx.command(instance, InstanceCommandType.ROLLBACK);
    tx.emit({ kind: 'RollbackStarted', reason, initiatedBy, instanceIds: targets.map((i) => i.id) });
    tx.say(`Rollback started by ${initiatedBy}: ${reason}; rolling back ${targets.length} instance(s)`, true);
    this.rollbackMaybeFinished(tx);
  }

  private rollbackSettled(
    tx: ExecutionTransaction,
    instance: ExecutionInstanceEntity,
    ok: boolean,
    reason: string | null,
  ): void {
    if (ok) {
      if (
        !transitionInstance(instance.status, 'ROLLED_BACK').ok &&
        instance.status !== InstanceStatus.FAILED
      ) {
        // Interrupted mid-upgrade (DRAINING/UPGRADING): record the interruption, then the rollback.
        this.moveInstance(tx, instance, 'FAILED', 'interrupted by the rollback');
      }
      this.moveInstance(tx, instance, 'ROLLED_BACK');
      tx.registrySync.push({ instanceId: instance.id, versionId: tx.execution.fromVersionId });
    } else {
      const error = `rollback failed: ${reason ?? 'no reason given'}`;
      if (transitionInstance(instance.status, 'FAILED').ok) this.moveInstance(tx, instance, 'FAILED', error);
      instance.rollbackFailed = true;
      instance.error = error;
      tx.touch(instance);
      tx.say(`${instance.name}: rollback FAILED: ${reason ?? 'no reason given'}`, true);
    }
    this.rollbackMaybeFinished(tx);
  }

  private rollbackMaybeFinished(tx: ExecutionTransaction): void {
    if (tx.execution.status !== ExecutionStatus.ROLLING_BACK) return;
    if (tx.instances.some((i) => i.pendingCommandType === InstanceCommandType.ROLLBACK)) return;
    const rolledBack = tx.instances.filter((i) => i.status === InstanceStatus.ROLLED_BACK).map((i) => i.id);
    const failed = tx.instances.filter((i) => i.rollbackFailed).map((i) => i.id);
    tx.emit({ kind: 'RollbackCompleted', rolledBackInstances: rolledBack, failedInstances: failed });
    this.transition(
      tx,
      rollbackOutcomeEvent({ rolledBack: rolledBack.length, failed: failed.length }),
      failed.length > 0
        ? `rollback failed on ${failed.length} instance(s)`
        : `${rolledBack.length} instance(s) rolled back`,
    );
  }

  private cancel(tx: ExecutionTransaction, actor: string): void {
    const from = tx.execution.status;
    this.transition(tx, 'CANCEL', `cancelled by ${actor} while ${from}`);
    for (const instance of tx.instances) {
      if (instance.pendingCommandId === null) continue;
      const type = instance.pendingCommandType;
      tx.clearCommand(instance);
      instance.error = `execution cancelled while ${instance.status} (${type ?? 'no'} command abandoned)`;
    }
  }

  /** Applies an execution event through the domain's table; a refusal here is a bug, not a 409. */
  transition(tx: ExecutionTransaction, event: ExecutionEvent, reason: string | null): void {
    const e = tx.execution;
    const result = transitionExecution(e.status, event);
    if (!result.ok) {
      throw new Error(`engine bug: ${event} is not allowed from ${e.status} (execution ${e.id})`);
    }
    const from = e.status;
    e.status = result.to;
    e.statusReason = reason;
    e.phase = planPhaseAfter(e.strategy, result.to, e.phase);
    if (isTerminal(result.to)) {
      e.completedAt = tx.now;
      e.nextCanaryCheckAt = null;
    }
    tx.emit({ kind: 'ExecutionStatusChanged', from, to: result.to, reason });
    tx.say(`Execution ${from} → ${result.to}${reason ? `: ${reason}` : ''}`, true);
    this.logger.log({ executionId: e.id, from, to: result.to, reason }, 'execution status changed');
  }

  /** FAILED by the domain's route from the current status (e.g. PAUSED → IN_PROGRESS → FAILED). */
  private failThrough(tx: ExecutionTransaction, reason: string): void {
    const route = failRoute(tx.execution.status);
    if (route === null) return;
    for (const event of route) this.transition(tx, event, reason);
  }

  private moveInstance(
    tx: ExecutionTransaction,
    instance: ExecutionInstanceEntity,
    event: InstanceEvent,
    error: string | null = null,
  ): void {
    const result = transitionInstance(instance.status, event);
    if (!result.ok) {
      throw new Error(
        `engine bug: instance event ${event} is not allowed from ${instance.status} (${instance.id})`,
      );
    }
    const from = instance.status;
    instance.status = result.to;
    if (result.to === InstanceStatus.DRAINING) instance.startedAt = tx.now;
    if (result.to === InstanceStatus.FAILED) {
      instance.failedAt = from;
      instance.error = error;
    }
    if (SETTLED.has(result.to)) instance.completedAt = tx.now;
    tx.touch(instance);
    tx.emit({
      kind: 'InstanceStatusChanged',
      instanceId: instance.id,
      instanceName: instance.name,
      from,
      to: result.to,
      batch: instance.batch,
      error,
    });
    tx.say(`${instance.name}: ${from} → ${result.to}${error ? ` (${error})` : ''}`);
  }
}

function thresholdReason(failures: number, threshold: number): string {
  return `${failures} instance failure(s) reached the failure threshold of ${threshold}`;
}
