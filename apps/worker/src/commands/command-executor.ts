import {
  AgentFailureReason,
  CommandOutcome,
  InstanceCommandType,
  type InstanceCommand,
  type InstanceCommandResult,
} from '@upshift/contracts';
import type { Logger } from 'pino';
import { AgentCallError, CallAbortedError, type AgentDriver, type AgentHealth } from '../agent/agent-driver';
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

/** What executing a command produced, and whether a redelivery may be answered from it. */
export interface ExecutionReport {
  result: InstanceCommandResult;
  /**
   * True when the agent itself decided the outcome (success, or a permanent refusal): replaying it is
   * correct. False for failures after exhausted transient retries or a health-check timeout, which a
   * later attempt could turn into success.
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
 * Executes one instance command through the agent driver:
 * DRAIN → drain; UPGRADE → upgrade (the agent verifies digest and signature and keeps the previous
 * version); HEALTH_CHECK → poll health every interval until healthy on the target version or the
 * timeout, then undrain (a successful health check returns the instance to service);
 * ROLLBACK → rollback, then undrain.
 */
export class CommandExecutor {
  constructor(
    private readonly driver: AgentDriver,
    private readonly retry: AgentRetryPolicy,
    private readonly workerId: string,
    private readonly logger: Logger,
  ) {}

  async execute(command: InstanceCommand, signal?: AbortSignal): Promise<ExecutionReport> {
    const startedAt = new Date();
    const step = await this.run(command, signal);
    const finishedAt = new Date();
    return {
      definitive: step.definitive,
      result: {
        commandId: command.commandId,
        executionId: command.executionId,
        tenantId: command.tenantId,
        instanceId: command.instanceId,
        type: command.type,
        outcome: step.outcome,
        reason: step.reason,
        observedVersion: step.observedVersion,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        workerId: this.workerId,
      },
    };
  }

  private async run(command: InstanceCommand, signal?: AbortSignal): Promise<StepOutcome> {
    try {
      switch (command.type) {
        case InstanceCommandType.DRAIN: {
          const status = await this.retrying(
            command,
            'drain',
            () => this.driver.drain(command, command.commandId, { signal }),
            signal,
          );
          return succeeded(status.version);
        }
        case InstanceCommandType.UPGRADE: {
          const { artifact, version } = command.targetVersion;
          const reply = await this.retrying(
            command,
            'upgrade',
            () =>
              this.driver.upgrade(
                command,
                {
                  commandId: command.commandId,
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
        case InstanceCommandType.HEALTH_CHECK:
          return await this.healthCheck(command, signal);
        case InstanceCommandType.ROLLBACK: {
          const reply = await this.retrying(
            command,
            'rollback',
            () =>
              this.driver.rollback(command, command.commandId, command.previousVersion.version, {
                signal,
              }),
            signal,
          );
          if (reply.version !== command.previousVersion.version) {
            return failed(
              `after the rollback the agent reports version ${reply.version}, expected ${command.previousVersion.version}`,
              reply.version,
              true,
            );
          }
          await this.retrying(
            command,
            'undrain',
            () =>
              this.driver.undrain(command, derivedCommandId(command.commandId, 'undrain'), {
                signal,
              }),
            signal,
          );
          return succeeded(reply.version);
        }
      }
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
    await this.retrying(
      command,
      'undrain',
      () => this.driver.undrain(command, derivedCommandId(command.commandId, 'undrain'), { signal }),
      signal,
    );
    return succeeded(last.version);
  }

  private retrying<T>(
    command: InstanceCommand,
    operation: string,
    call: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    // The same commandId goes with every attempt, so an attempt that did reach the agent is not applied twice.
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

function succeeded(observedVersion: string | null): StepOutcome {
  return { outcome: CommandOutcome.SUCCEEDED, reason: null, observedVersion, definitive: true };
}

function failed(reason: string, observedVersion: string | null, definitive: boolean): StepOutcome {
  return { outcome: CommandOutcome.FAILED, reason, observedVersion, definitive };
}
