import type { InstanceCommand, InstanceCommandResult, InstanceStepReport } from '@upshift/contracts';

/** A report on `command` carrying `steps`. */
export function stepReport(
  command: InstanceCommand,
  workerId: string,
  steps: InstanceStepReport[],
  final: boolean,
): InstanceCommandResult {
  return {
    commandId: command.commandId,
    executionId: command.executionId,
    tenantId: command.tenantId,
    instanceId: command.instanceId,
    type: command.type,
    fencingToken: command.fencingToken,
    steps,
    final,
    workerId,
  };
}

/**
 * Turns the steps of one command into reports on `upgrade.results` (ADR 0082). A step that ends waits
 * at most `coalesceMs` for company: every step that ends within that window goes into the same report,
 * so a fast instance costs one report and a slow one shows each step as it ends, at most `coalesceMs`
 * late. The final report goes out at once. Reports of one command are published one after another, so
 * they reach the topic in the order of their steps.
 */
export class StepReporter {
  private readonly all: InstanceStepReport[] = [];
  private pending: InstanceStepReport[] = [];
  private timer: NodeJS.Timeout | null = null;
  private published: Promise<void> = Promise.resolve();
  private reports = 0;
  private closed = false;

  constructor(
    private readonly command: InstanceCommand,
    private readonly workerId: string,
    private readonly coalesceMs: number,
    /** Sends one report and resolves once the broker has it. */
    private readonly publish: (report: InstanceCommandResult) => Promise<void>,
  ) {}

  /** Reports sent or queued so far. */
  get reportCount(): number {
    return this.reports;
  }

  /**
   * `last`: the step ends the command (it failed, or it was the last of its type). It and any step still
   * waiting go out with the final report (`finish`), not with a window that may close before it.
   */
  stepEnded(step: InstanceStepReport, last = false): void {
    if (this.closed) return;
    this.all.push(step);
    this.pending.push(step);
    if (last) this.clearTimer();
    // The window opens with the first unreported step and does not slide: no step waits longer.
    else this.timer ??= setTimeout(() => this.send(false), this.coalesceMs);
  }

  /** The final report with every step of the command: what the result cache keeps and replays. */
  complete(): InstanceCommandResult {
    return stepReport(this.command, this.workerId, [...this.all], true);
  }

  /**
   * Sends the final report (the steps not reported yet) at once, and resolves once it and every earlier
   * report are published; rejects when one of them could not be.
   */
  async finish(): Promise<void> {
    if (this.pending.length === 0) {
      // Everything was reported already (a caller that did not say which step was the last): the final
      // report repeats the last step, which the orchestrator applies once.
      const last = this.all[this.all.length - 1];
      if (last) this.pending.push(last);
    }
    this.send(true);
    this.closed = true;
    await this.published;
  }

  /** Stops reporting: steps not reported yet are dropped (the command was abandoned or its lease lost). */
  cancel(): void {
    this.closed = true;
    this.clearTimer();
    this.pending = [];
  }

  private send(final: boolean): void {
    this.clearTimer();
    if (this.closed || this.pending.length === 0) return;
    const report = stepReport(this.command, this.workerId, this.pending, final);
    this.pending = [];
    this.reports += 1;
    // After the previous report only; a failed publication stops the ones after it (finish rejects).
    this.published = this.published.then(() => this.publish(report));
    this.published.catch(() => undefined);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
