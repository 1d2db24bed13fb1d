import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CommandOutcome,
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
  InstanceStep,
  UpgradeStrategy,
} from '@upshift/contracts';
import type { InstanceCommandResult, InstanceStepReport } from '@upshift/contracts';
import {
  completedStages,
  decideNext,
  decideOnCanaryHealth,
  failureStep,
  isInstanceSettled,
  isTerminal,
  onCommandDeadline,
  planPhaseAfter,
  settledBatch,
  startRollback,
  transitionExecution,
  transitionInstance,
  upgradeStepApplication,
} from '@upshift/domain';
import type { ExecutionEvent, ExecutionOperation, InstanceEvent, NextStep } from '@upshift/domain';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';
import type { ExecutionInstanceEntity } from '../database/entities';
import type { CheckOutcome, EngineTransaction, RollbackTrigger } from './execution-transaction';
import { decisionInput, planInput, plannerInstances } from './plan-input';

export const AUTO_ROLLBACK_INITIATOR = 'system:auto-rollback';

/**
 * Steps one advance may apply before it must be waiting: a HALT or a rollback is followed by at most
 * one more step (FAILED, or the rollback's end), so more would mean two rules keep undoing each other.
 */
const MAX_STEPS_PER_ADVANCE = 4;

/**
 * What became of a result; anything but 'applied' changed nothing (logged: duplicates and late answers
 * are normal at-least-once traffic). 'already-applied': it answers the pending command, but every step
 * it reports is already reflected (a replay, or a report repeating steps).
 */
export type ResultVerdict =
  'applied' | 'already-applied' | 'unknown-instance' | 'not-pending' | 'type-mismatch';

/**
 * The execution engine: loads nothing and decides nothing of its own. It asks the domain what comes
 * next (`decideNext`, `failureStep`; docs/adr/0080-decisions-in-the-domain.md) and applies the answer
 * to an EngineTransaction. It never does I/O itself: every change it makes is written by ExecutionStore
 * in the caller's transaction, so a state change and its events commit together.
 */
@Injectable()
export class ExecutionEngine {
  private readonly logger = new Logger(ExecutionEngine.name);

  constructor(@Inject(ORCHESTRATOR_CONFIG) private readonly config: OrchestratorConfig) {}

  created(tx: EngineTransaction, warnings: { code: string; message: string }[]): void {
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
    tx: EngineTransaction,
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
        this.beginRollback(tx, context.reason ?? 'Manual rollback', actor, 'manual');
        return;
    }
  }

  /** The five checks came back (ValidationRunner); ignored unless still VALIDATING. */
  validationFinished(tx: EngineTransaction, checks: CheckOutcome[]): void {
    const e = tx.execution;
    if (e.status !== ExecutionStatus.VALIDATING) return;
    for (const c of checks) {
      tx.recordValidation(c);
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
   * A worker's step report (ADR 0081). Applied only when it answers the instance's pending command;
   * anything else (a late answer to a superseded command, a report for another instance) changes
   * nothing. Its steps are applied in order, each once: a step the instance's status already reflects
   * (a replayed or repeated report) is skipped, so a duplicate changes nothing either.
   */
  applyResult(tx: EngineTransaction, result: InstanceCommandResult): ResultVerdict {
    const instance = tx.instance(result.instanceId);
    if (instance === undefined) return 'unknown-instance';
    if (instance.pendingCommandId !== result.commandId) return 'not-pending';
    if (instance.pendingCommandType !== result.type) return 'type-mismatch';
    const issuedAt = instance.pendingCommandIssuedAt;
    const answered = (outcome: CommandOutcome) => {
      if (issuedAt !== null)
        tx.observations.push({ kind: 'command-answered', type: result.type, outcome, issuedAt });
    };
    if (result.type === InstanceCommandType.ROLLBACK) {
      const report = result.steps.find((r) => r.step === InstanceStep.ROLLBACK);
      if (report === undefined) return 'already-applied';
      observeStep(tx, report);
      answered(report.outcome);
      tx.clearCommand(instance);
      this.rollbackSettled(tx, instance, report.outcome === CommandOutcome.SUCCEEDED, report.reason);
      return 'applied';
    }
    let applied = false;
    for (const report of result.steps) {
      // A failed step or the last one ended the command: whatever the report still lists is not applied.
      if (instance.pendingCommandId !== result.commandId) break;
      const application = upgradeStepApplication(instance.status, report);
      if (application.kind === 'ALREADY_APPLIED') continue;
      applied = true;
      observeStep(tx, report);
      if (application.settlesCommand) {
        answered(report.outcome);
        tx.clearCommand(instance);
      } else tx.stepsApplied(instance, application.events.length);
      for (const event of application.events) {
        if (event === 'FAILED') {
          this.instanceFailed(tx, instance, report.reason ?? `${report.step} failed`);
        } else {
          this.moveInstance(tx, instance, event);
          if (event === 'HEALTHY') this.instanceCompleted(tx, instance);
        }
      }
    }
    return applied ? 'applied' : 'already-applied';
  }

  /**
   * The deadline of the commands issued at `issuedAt` passed (ADR 0081): every command still pending
   * that was issued then or earlier is overdue. One never answered is issued again (up to
   * COMMAND_MAX_ATTEMPTS), one answered in part fails its instance (the domain's `onCommandDeadline`).
   * Returns how many commands it dealt with; 0 when the whole group has been answered meanwhile.
   */
  commandDeadline(tx: EngineTransaction, issuedAt: Date): number {
    const deadlineSeconds = this.commandDeadlineSeconds(tx);
    const reissued: string[] = [];
    let count = 0;
    for (const instance of tx.instances) {
      const type = instance.pendingCommandType;
      const since = instance.pendingCommandIssuedAt;
      if (instance.pendingCommandId === null || type === null || since === null || since > issuedAt) continue;
      count += 1;
      const step = onCommandDeadline(
        {
          type,
          status: instance.status,
          stepsApplied: instance.pendingCommandSteps,
          attempt: instance.attempt,
        },
        { maxAttempts: this.config.COMMAND_MAX_ATTEMPTS, deadlineSeconds },
      );
      if (step.kind === 'REISSUE') {
        tx.command(instance, type, true);
        reissued.push(instance.name);
        continue;
      }
      tx.clearCommand(instance);
      if (type === InstanceCommandType.ROLLBACK) this.rollbackSettled(tx, instance, false, step.reason);
      else this.instanceFailed(tx, instance, step.reason);
    }
    if (reissued.length > 0) {
      tx.say(`No answer within ${deadlineSeconds}s: issued again to ${reissued.join(', ')}`, true);
      this.armCommandDeadline(tx);
    }
    if (count > 0) this.advance(tx);
    return count;
  }

  /**
   * ROLLBACK commands issued before `issuedBefore` are issued again under new command ids and fencing
   * tokens (ADR 0077: a fresh process resumes the rollbacks a dead one may have left unanswered);
   * COMMAND_MAX_ATTEMPTS still bounds the attempts.
   */
  reissueRollbacks(tx: EngineTransaction, issuedBefore: Date): number {
    let count = 0;
    for (const instance of tx.instances) {
      if (instance.pendingCommandType !== InstanceCommandType.ROLLBACK) continue;
      if (instance.pendingCommandIssuedAt === null || instance.pendingCommandIssuedAt >= issuedBefore)
        continue;
      count += 1;
      if (instance.attempt >= this.config.COMMAND_MAX_ATTEMPTS) {
        tx.clearCommand(instance);
        this.rollbackSettled(
          tx,
          instance,
          false,
          `no answer to ROLLBACK after ${instance.attempt} attempt(s)`,
        );
      } else {
        tx.command(instance, InstanceCommandType.ROLLBACK, true);
        tx.say(`${instance.name}: rollback resumed; ROLLBACK issued again (attempt ${instance.attempt})`);
      }
    }
    if (count > 0) {
      this.armCommandDeadline(tx);
      this.advance(tx);
    }
    return count;
  }

  /** Seconds a command may take: its health check's timeout plus margins for the steps before it. */
  commandDeadlineSeconds(tx: EngineTransaction): number {
    return (
      tx.execution.healthCheckTimeoutSeconds +
      this.config.HEALTH_DEADLINE_MARGIN_SECONDS +
      this.config.COMMAND_STEPS_ALLOWANCE_SECONDS
    );
  }

  /**
   * A result of this execution could not be applied and was dead-lettered (ADR 0078): the HALT of the
   * failure policy (no new batch; FAILED once the in-flight instances settle), with the reason in the
   * transcript and on upgrade.progress.
   */
  haltUnappliable(tx: EngineTransaction, reason: string): void {
    const e = tx.execution;
    tx.say(`Result dead-lettered: ${reason}`, true);
    if (isTerminal(e.status) || e.halted) return;
    e.halted = true;
    tx.say('Halted: no new batches; failing once in-flight instances settle', true);
    this.advance(tx);
  }

  /** The canary monitor's verdict; ignored unless the execution is still CANARY_MONITORING. */
  canaryReport(tx: EngineTransaction, checked: string[], unhealthy: { id: string; reason: string }[]): void {
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
      this.beginRollback(
        tx,
        `canary health check failed: ${names}`,
        AUTO_ROLLBACK_INITIATOR,
        'canary_unhealthy',
      );
    } else {
      tx.say('Auto-rollback is disabled: staying in CANARY_MONITORING for an operator to decide', true);
    }
  }

  /**
   * Asks the domain what comes next and applies it, until the answer is to wait (batches are
   * sequential, so at most one starts).
   */
  advance(tx: EngineTransaction): void {
    for (let applied = 0; applied < MAX_STEPS_PER_ADVANCE; applied += 1) {
      const step = decideNext(decisionInput(tx.execution), tx.instances, tx.now);
      if (!this.apply(tx, step)) return;
    }
    throw new Error(
      `engine bug: still no waiting step after ${MAX_STEPS_PER_ADVANCE} (execution ${tx.execution.id})`,
    );
  }

  /** Applies one step of the domain's; true when the state it leaves may call for another. */
  private apply(tx: EngineTransaction, step: NextStep): boolean {
    const e = tx.execution;
    switch (step.kind) {
      case 'DISPATCH_BATCH':
        this.startBatch(tx, step.batch, step.instanceIds);
        return false;
      case 'WAIT':
        if (step.for === 'BATCH_DELAY') {
          tx.timers.push({
            kind: 'advance',
            executionId: e.id,
            at: step.until,
            jobKey: `advance-${e.id}-${e.currentBatch}`,
          });
        }
        return false;
      case 'MONITOR_CANARIES':
        this.transition(tx, step.event, step.reason);
        e.nextCanaryCheckAt = tx.now;
        tx.canaryCheckNow = true;
        return false;
      case 'AWAIT_APPROVAL':
        this.transition(tx, step.event, step.reason);
        return false;
      case 'START_ROLLBACK':
        this.rollBack(tx, step, AUTO_ROLLBACK_INITIATOR, 'failure_threshold');
        return true;
      case 'HALT':
        e.halted = true;
        tx.say(`${step.reason}: no new batches; failing once in-flight instances settle`, true);
        return true;
      case 'COMPLETE':
        if (step.rollback !== null) {
          tx.emit({
            kind: 'RollbackCompleted',
            rolledBackInstances: step.rollback.rolledBack,
            failedInstances: step.rollback.failed,
          });
        }
        for (const event of step.route) this.transition(tx, event, step.reason);
        return false;
      case 'FINISHED':
        return false;
    }
  }

  private startBatch(tx: EngineTransaction, batch: number, instanceIds: string[]): void {
    const e = tx.execution;
    e.currentBatch = batch;
    for (const id of instanceIds) {
      const instance = this.instanceOf(tx, id);
      instance.batch = batch;
      this.moveInstance(tx, instance, 'DRAIN_ISSUED');
      tx.command(instance, InstanceCommandType.UPGRADE);
    }
    this.armCommandDeadline(tx);
    tx.emit({ kind: 'BatchStarted', batch, instanceIds });
    tx.say(
      `Batch ${batch}${e.totalBatches > 0 ? ` of ${e.totalBatches}` : ''} started (${e.phase.toLowerCase()}): ` +
        instanceIds.map((id) => tx.instance(id)?.name ?? id).join(', '),
      true,
    );
  }

  /**
   * One timer for every command this transaction issued (they share its `now`): at their deadline,
   * `commandDeadline` deals with those still pending. Asked for once per transaction however many
   * groups it issues; the job id makes a repeat harmless.
   */
  private armCommandDeadline(tx: EngineTransaction): void {
    const e = tx.execution;
    if (tx.timers.some((t) => t.kind === 'command-deadline' && t.issuedAt === tx.now)) return;
    tx.timers.push({
      kind: 'command-deadline',
      executionId: e.id,
      issuedAt: tx.now,
      at: new Date(tx.now.getTime() + this.commandDeadlineSeconds(tx) * 1000),
    });
  }

  /** The HEALTH_CHECK step succeeded: the instance counts as upgraded and the registry learns it. */
  private instanceCompleted(tx: EngineTransaction, instance: ExecutionInstanceEntity): void {
    tx.execution.completedInstances += 1;
    tx.registrySync.push({ instanceId: instance.id, versionId: tx.execution.toVersionId });
    this.batchMaybeSettled(tx, instance.batch);
  }

  private instanceFailed(tx: EngineTransaction, instance: ExecutionInstanceEntity, reason: string): void {
    const e = tx.execution;
    this.moveInstance(tx, instance, 'FAILED', reason);
    e.failedInstances += 1;
    this.batchMaybeSettled(tx, instance.batch);
    // Invariant 5: a rollback starts in this very transaction, by the domain's route from the current
    // status (CANARY_RUNNING and PAUSED reach ROLLING_BACK through the status table, ADR 0003); the
    // rest of what comes next waits for the caller's advance.
    const step = failureStep(decisionInput(e), tx.instances);
    if (step !== null) this.apply(tx, step);
    if (step?.kind === 'START_ROLLBACK') this.rollbackMaybeFinished(tx);
  }

  /** Emits BatchCompleted once every instance of `batch` has settled, and starts the batch delay. */
  private batchMaybeSettled(tx: EngineTransaction, batch: number | null): void {
    if (batch === null) return;
    const settled = settledBatch(tx.instances, batch);
    if (settled === null) return;
    const { completed, failed } = settled;
    tx.execution.lastBatchCompletedAt = tx.now;
    tx.emit({ kind: 'BatchCompleted', batch, completed, failed });
    tx.say(`Batch ${batch} finished: ${completed} completed, ${failed} failed`, true);
  }

  /** A rollback someone asked for (an operator, the canary monitor), if the status table has a way there. */
  beginRollback(tx: EngineTransaction, reason: string, initiatedBy: string, trigger: RollbackTrigger): void {
    const e = tx.execution;
    const step = startRollback(e.status, tx.instances, reason);
    if (step === null) {
      this.logger.warn(
        { executionId: e.id, status: e.status },
        'no route to ROLLING_BACK from here; not rolling back',
      );
      return;
    }
    this.rollBack(tx, step, initiatedBy, trigger);
    this.rollbackMaybeFinished(tx);
  }

  private rollBack(
    tx: EngineTransaction,
    step: Extract<NextStep, { kind: 'START_ROLLBACK' }>,
    initiatedBy: string,
    trigger: RollbackTrigger,
  ): void {
    const e = tx.execution;
    const { reason, instanceIds } = step;
    tx.observations.push({ kind: 'rollback-started', trigger });
    for (const event of step.route) this.transition(tx, event, reason);
    e.rollbackReason = reason;
    e.rollbackInitiatedAt = tx.now;
    e.rollbackInitiatedBy = initiatedBy;
    e.halted = false;
    e.nextCanaryCheckAt = null;
    for (const id of instanceIds) tx.command(this.instanceOf(tx, id), InstanceCommandType.ROLLBACK);
    if (instanceIds.length > 0) this.armCommandDeadline(tx);
    tx.emit({ kind: 'RollbackStarted', reason, initiatedBy, instanceIds });
    tx.say(
      `Rollback started by ${initiatedBy}: ${reason}; rolling back ${instanceIds.length} instance(s)`,
      true,
    );
  }

  private rollbackSettled(
    tx: EngineTransaction,
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

  /** ROLLING_BACK with no ROLLBACK command left ends the rollback (the domain says how). */
  private rollbackMaybeFinished(tx: EngineTransaction): void {
    if (tx.execution.status === ExecutionStatus.ROLLING_BACK) this.advance(tx);
  }

  private cancel(tx: EngineTransaction, actor: string): void {
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
  transition(tx: EngineTransaction, event: ExecutionEvent, reason: string | null): void {
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

  private instanceOf(tx: EngineTransaction, id: string): ExecutionInstanceEntity {
    const instance = tx.instance(id);
    if (instance === undefined) throw new Error(`engine bug: the domain picked unknown instance ${id}`);
    return instance;
  }

  private moveInstance(
    tx: EngineTransaction,
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
    if (isInstanceSettled(result.to)) instance.completedAt = tx.now;
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

/** A step report applied: its duration as the worker measured it goes to the metrics after the commit. */
function observeStep(tx: EngineTransaction, report: InstanceStepReport): void {
  tx.observations.push({
    kind: 'step',
    step: report.step,
    outcome: report.outcome,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
  });
}
