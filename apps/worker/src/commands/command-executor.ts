import {
  AgentFailureReason,
  CommandOutcome,
  InstanceCommandType,
  InstanceStep,
  type InstanceCommand,
  type InstanceStepReport,
} from '@upshift/contracts';
import type { Logger } from 'pino';
import {
  AgentCallError,
  CallAbortedError,
  type AgentCall,
  type AgentDriver,
  type AgentHealth,
} from '../agent/agent-driver';
import { retry } from '../retry/retry';
import { sleep } from '../retry/sleep';
import { derivedCommandId } from './derived-command-id';

/** How transient agent errors are retried (WORKER_RETRY_*): full-jitter exponential backoff. */
export interface AgentRetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** What carrying out a command produced, and whether a redelivery may be answered from it. */
export interface CommandRun {
  /** The steps in the order they ended; a failed step is the last. */
  steps: InstanceStepReport[];
  /**
   * True when the agent itself decided every outcome (success, or a permanent refusal): replaying the
   * report is correct. False when the last step failed after exhausted transient retries or a
   * health-check timeout, which a later attempt could turn into success.
   */
  definitive: boolean;
}

interface StepOutcome {
  outcome: CommandOutcome;
  reason: string | null;
  observedVersion: string | null;
  definitive: boolean;
}

/**
 * Carries one instance through one command (ARCHITECTURE.md, "One instance, start to finish"):
 * UPGRADE = DRAIN (drain), UPGRADE (the agent verifies digest and signature and keeps the previous
 * version), HEALTH_CHECK (poll health every interval until healthy on the target version, at most the
 * command's timeout after the upgrade step; then undrain: a healthy instance goes back into service);
 * ROLLBACK = one ROLLBACK step (rollback, then undrain). A failed step ends the command. Each agent
 * call has its own idempotency key derived from the commandId and carries the command's fencing token.
 */
export class CommandExecutor {
  constructor(
    private readonly driver: AgentDriver,
    private readonly retry: AgentRetryPolicy,
    private readonly logger: Logger,
  ) {}

  /** Runs the command's steps in order; `onStep` hears each step as it ends, and whether it is the last. */
  async execute(
    command: InstanceCommand,
    onStep: (step: InstanceStepReport, last: boolean) => void,
    signal?: AbortSignal,
  ): Promise<CommandRun> {
    const steps: InstanceStepReport[] = [];
    let definitive = true;
    const plan = this.plan(command, signal);
    for (const [index, [step, run]] of plan.entries()) {
      const startedAt = new Date().toISOString();
      const outcome = await this.guarded(command, run);
      const report: InstanceStepReport = {
        step,
        outcome: outcome.outcome,
        reason: outcome.reason,
        observedVersion: outcome.observedVersion,
        startedAt,
        finishedAt: new Date().toISOString(),
      };
      steps.push(report);
      definitive = outcome.definitive;
      const failedStep = outcome.outcome === CommandOutcome.FAILED;
      onStep(report, failedStep || index === plan.length - 1);
      if (failedStep) break;
    }
    return { steps, definitive };
  }

  /** The command's steps, each with what it does; COMMAND_STEPS lists the same order. */
  private plan(command: InstanceCommand, signal?: AbortSignal): [InstanceStep, () => Promise<StepOutcome>][] {
    switch (command.type) {
      case InstanceCommandType.UPGRADE:
        return [
          [InstanceStep.DRAIN, () => this.drain(command, signal)],
          [InstanceStep.UPGRADE, () => this.upgrade(command, signal)],
          [InstanceStep.HEALTH_CHECK, () => this.healthCheck(command, signal)],
        ];
      case InstanceCommandType.ROLLBACK:
        return [[InstanceStep.ROLLBACK, () => this.rollback(command, signal)]];
    }
  }

  private async drain(command: InstanceCommand, signal?: AbortSignal): Promise<StepOutcome> {
    const status = await this.retrying(
      command,
      'drain',
      () => this.driver.drain(command, agentCall(command, 'drain'), { signal }),
      signal,
    );
    return succeeded(status.version);
  }

  private async upgrade(command: InstanceCommand, signal?: AbortSignal): Promise<StepOutcome> {
    const { artifact, version } = command.targetVersion;
    const reply = await this.retrying(
      command,
      'upgrade',
      () =>
        this.driver.upgrade(
          command,
          {
            ...agentCall(command, 'upgrade'),
            version,
            artifactUrl: artifact.url,
            sha256: artifact.sha256,
            signature: artifact.signature,
          },
          { signal },
        ),
      signal,
    );
    if (reply.version !== version) {
      return failed(
        `the agent reports version ${reply.version} after upgrading to ${version}`,
        reply.version,
        true,
      );
    }
    return succeeded(reply.version);
  }

  private async rollback(command: InstanceCommand, signal?: AbortSignal): Promise<StepOutcome> {
    const expected = command.previousVersion.version;
    const reply = await this.retrying(
      command,
      'rollback',
      () => this.driver.rollback(command, agentCall(command, 'rollback'), expected, { signal }),
      signal,
    );
    if (reply.version !== expected) {
      return failed(
        `after the rollback the agent reports version ${reply.version}, expected ${expected}`,
        reply.version,
        true,
      );
    }
    await this.undrain(command, signal);
    return succeeded(reply.version);
  }

  /** Polls until healthy on the target version or the timeout (counted from the end of the upgrade step). */
  private async healthCheck(command: InstanceCommand, signal?: AbortSignal): Promise<StepOutcome> {
    const target = command.targetVersion.version;
    const deadline = Date.now() + command.healthCheckTimeoutSeconds * 1000;
    let last: AgentHealth | null = null;
    let lastError: string | null = null;
    for (;;) {
      try {
        last = await this.driver.health(command, { signal });
        lastError = null;
        if (last.healthy && last.version === target) break;
        if (last.healthy && last.version !== target) {
          return failed(`healthy but running version ${last.version}, not ${target}`, last.version, true);
        }
      } catch (error) {
        if (error instanceof CallAbortedError) throw error;
        // An agent that does not answer a health probe is unhealthy for this round; keep polling.
        lastError = error instanceof AgentCallError ? error.reason : AgentFailureReason.UNREACHABLE;
      }
      if (Date.now() + command.healthCheckIntervalSeconds * 1000 > deadline) {
        const why = lastError
          ? `last probe failed: ${lastError}`
          : `failing checks: ${
              (last?.checks ?? [])
                .filter((c) => !c.healthy)
                .map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`)
                .join(', ') || 'none reported'
            }`;
        // Not healthy: the instance stays drained, out of service, for the rollback.
        return failed(
          `not healthy within ${command.healthCheckTimeoutSeconds} s; ${why}`,
          last?.version ?? null,
          false,
        );
      }
      await sleep(command.healthCheckIntervalSeconds * 1000, signal);
      if (signal?.aborted) throw new CallAbortedError('health check abandoned: the worker is stopping');
    }
    // Healthy on the target version: return the instance to service.
    await this.undrain(command, signal);
    return succeeded(last.version);
  }

  private async undrain(command: InstanceCommand, signal?: AbortSignal): Promise<void> {
    await this.retrying(
      command,
      'undrain',
      () => this.driver.undrain(command, agentCall(command, 'undrain'), { signal }),
      signal,
    );
  }

  /** Agent errors become a failed step; an abandoned call (shutdown, lost lease) goes to the caller. */
  private async guarded(command: InstanceCommand, run: () => Promise<StepOutcome>): Promise<StepOutcome> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof CallAbortedError) throw error;
      if (error instanceof AgentCallError) {
        // The fixed reason only: error.message names hosts and ports (ADR 0072); it was logged on retry.
        if (!error.transient)
          this.logger.warn({ commandId: command.commandId, err: error.message }, 'agent call failed');
        return failed(
          error.transient ? `${error.reason} (after ${this.retry.maxAttempts} attempts)` : error.reason,
          null,
          !error.transient,
        );
      }
      throw error;
    }
  }

  private retrying<T>(
    command: InstanceCommand,
    operation: string,
    call: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    // The same key goes with every attempt, so an attempt that did reach the agent is not applied twice.
    return retry(call, {
      backoff: { baseDelayMs: this.retry.baseDelayMs, maxDelayMs: this.retry.maxDelayMs, jitter: 'full' },
      maxAttempts: this.retry.maxAttempts,
      retryable: (error) => error instanceof AgentCallError && error.transient,
      signal,
      onRetry: (attempt, error, delayMs) =>
        this.logger.warn(
          {
            commandId: command.commandId,
            instanceId: command.instanceId,
            operation,
            attempt,
            delayMs,
            err: error instanceof Error ? error.message : String(error),
          },
          'transient agent error, retrying',
        ),
    });
  }
}

/** One agent call of the command: its own idempotency key, and the command's fencing token. */
function agentCall(command: InstanceCommand, call: string): Required<AgentCall> {
  return { commandId: derivedCommandId(command.commandId, call), fencingToken: command.fencingToken };
}

function succeeded(observedVersion: string | null): StepOutcome {
  return { outcome: CommandOutcome.SUCCEEDED, reason: null, observedVersion, definitive: true };
}

function failed(reason: string, observedVersion: string | null, definitive: boolean): StepOutcome {
  return { outcome: CommandOutcome.FAILED, reason, observedVersion, definitive };
}
