import type { KeyObject } from 'crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AgentBackupReply,
  AgentCapacity,
  AgentHealth,
  AgentMutatingOperation,
  AgentOperation,
  AgentReadOperation,
  AgentStatus,
  AgentUpgradeRequest,
  AgentVersionReply,
} from '@upshift/contracts';
import { faultApplies, type FaultConfig } from '../fleet/faults';
import { latencyFor, sampleLatency, type LatencyProfile } from '../fleet/latency';
import type { RandomSource } from '../fleet/random';
import { isTransient, ok, problem, type AgentReply } from './agent-reply';
import { ArtifactUnavailableError, verifyArtifact, type ArtifactSource } from './artifact-verifier';
import { fencingTokenOf, staleFencingReason, type AppliedCall } from './fencing';

/** What the agent shares with the rest of its fleet: configuration that the admin API changes at run time. */
export interface AgentEnvironment {
  faults(): FaultConfig;
  latency(): LatencyProfile;
  random: RandomSource;
  artifacts: ArtifactSource;
  trustedKeys(): readonly KeyObject[];
  /** Called after every state change, so the fleet can count out-of-service instances. */
  onStateChange(agent: SimulatedAgent): void;
  /** Resolves when the fleet stops; hung operations end then. */
  stopped: Promise<void>;
}

/** An upgrade request as the agent works with it: an absent signature reads as unsigned. */
type UpgradeCommand = AgentUpgradeRequest & { signature: string | null };

/** Operation counts, for tests that assert "upgraded exactly once". */
export interface AgentCounters {
  upgradesApplied: number;
  rollbacksApplied: number;
  drains: number;
  undrains: number;
  backups: number;
  /** Mutating calls answered from the idempotency record instead of being executed again. */
  replays: number;
  /** Requests that reached the instance over HTTP: reads, replays, refusals and unauthenticated ones too. */
  requests: number;
}

/** The applied-call log keeps this many entries per instance, the newest. */
const APPLIED_CALLS_KEPT = 1000;
const TRACED_CALLS_KEPT = 100;

/** An agent call that arrived with a W3C trace context. */
export interface TracedCall {
  /** The agent operation (`upgrade`, `drain`, `health`, …). */
  operation: string;
  traceparent: string;
}

interface CommandRecord {
  operation: AgentMutatingOperation;
  reply: Promise<AgentReply>;
}

const UUID_LIKE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One simulated instance speaking the agent protocol (docs/agent-protocol.md). Every mutating call
 * carries a commandId: the first call with a commandId runs the operation, later calls with the same
 * commandId get the same reply and have no effect (docs/agent-protocol.md, "Idempotency"). A call that
 * ends in a transient error (503) had no effect and is not recorded, so that it can be retried. A call
 * whose fencing token is older than the newest accepted one is refused with 409 before anything else
 * (docs/agent-protocol.md, "Fencing"); every accepted call is logged with its token (`appliedCalls`).
 */
export class SimulatedAgent {
  instanceId: string;
  version: string;
  previousVersion: string | null = null;
  healthy = true;
  draining = false;
  upgrading = false;
  crashed = false;
  lastBackupAt: string | null = null;
  readonly counters: AgentCounters = {
    upgradesApplied: 0,
    rollbacksApplied: 0,
    drains: 0,
    undrains: 0,
    backups: 0,
    replays: 0,
    requests: 0,
  };
  /** The newest fencing token the instance accepted (docs/agent-protocol.md, "Fencing"); null before any. */
  fencingToken: number | null = null;
  /** Every mutating call accepted, with its token, oldest first (the last APPLIED_CALLS_KEPT). */
  readonly appliedCalls: AppliedCall[] = [];
  /**
   * The W3C `traceparent` each agent call arrived with, oldest first (the last TRACED_CALLS_KEPT; calls
   * without one are not listed): the witness that a trace reached the agent
   * (docs/adr/0091-opentelemetry-tracing.md).
   */
  readonly tracedCalls: TracedCall[] = [];
  /** Mutating calls being executed right now (not counting replays waiting on them). */
  pendingOperations = 0;
  private readonly commands = new Map<string, CommandRecord>();
  private transientErrorsLeft: number | null = null;

  constructor(
    readonly name: string,
    initialVersion: string,
    instanceId: string,
    readonly capacity: AgentCapacity,
    private readonly env: AgentEnvironment,
  ) {
    this.version = initialVersion;
    this.instanceId = instanceId;
  }

  /** Out of service: not taking traffic (draining), mid-upgrade, unhealthy, or not answering. */
  get outOfService(): boolean {
    return this.draining || this.upgrading || !this.healthy || this.crashed;
  }

  status(): AgentStatus {
    return {
      instanceId: this.instanceId,
      name: this.name,
      version: this.version,
      previousVersion: this.previousVersion,
      healthy: this.healthy,
      draining: this.draining,
      capacity: { ...this.capacity },
      lastBackupAt: this.lastBackupAt,
    };
  }

  health(): AgentHealth {
    return {
      healthy: this.healthy,
      version: this.version,
      checks: [
        { name: 'process', healthy: true, detail: 'running' },
        {
          name: 'application',
          healthy: this.healthy,
          detail: this.healthy
            ? `serving version ${this.version}`
            : `version ${this.version} fails its readiness probe`,
        },
      ],
    };
  }

  async read(operation: AgentReadOperation): Promise<AgentReply> {
    await this.delay(operation);
    return ok(operation === 'status' ? this.status() : this.health());
  }

  drain(body: unknown): Promise<AgentReply> {
    return this.mutate('drain', body, async () => {
      this.draining = true;
      this.counters.drains += 1;
      this.changed();
      return ok(this.status());
    });
  }

  undrain(body: unknown): Promise<AgentReply> {
    return this.mutate('undrain', body, async () => {
      this.draining = false;
      this.counters.undrains += 1;
      this.changed();
      return ok(this.status());
    });
  }

  backup(body: unknown): Promise<AgentReply> {
    return this.mutate('backup', body, async () => {
      this.lastBackupAt = new Date().toISOString();
      this.counters.backups += 1;
      return ok({ lastBackupAt: this.lastBackupAt, version: this.version } satisfies AgentBackupReply);
    });
  }

  upgrade(body: unknown): Promise<AgentReply> {
    const invalid = validateUpgradeBody(body);
    if (invalid)
      return Promise.resolve(problem(400, 'invalid-request', 'The upgrade request is invalid', invalid));
    const fields = body as AgentUpgradeRequest;
    const request: UpgradeCommand = { ...fields, signature: fields.signature ?? null };
    return this.mutate('upgrade', body, (token) => this.applyUpgrade(request, token));
  }

  rollback(body: unknown): Promise<AgentReply> {
    return this.mutate('rollback', body, async () => {
      if (faultApplies(this.env.faults().rollbackFails, this.name, this.env.random)) {
        return problem(
          422,
          'rollback-failed',
          'The rollback failed',
          `simulated rollback failure on ${this.name}`,
        );
      }
      const toVersion = rollbackTargetOf(body);
      if (this.previousVersion === null || toVersion === this.version) {
        // The last upgrade attempt applied nothing (it failed, or never ran): the instance already runs
        // the version a rollback must leave behind.
        if (toVersion !== null && toVersion !== this.version) {
          return problem(
            422,
            'rollback-target-unavailable',
            'Cannot roll back to that version',
            `${this.name} runs ${this.version} and keeps no previous version; it cannot return to ${toVersion}`,
          );
        }
        this.healthy = true;
        this.changed();
        return ok({
          version: this.version,
          previousVersion: this.previousVersion,
          rolledBack: false,
        } satisfies AgentVersionReply);
      }
      if (toVersion !== null && toVersion !== this.previousVersion) {
        return problem(
          422,
          'rollback-target-unavailable',
          'Cannot roll back to that version',
          `${this.name} runs ${this.version} and keeps ${this.previousVersion}, not ${toVersion}`,
        );
      }
      const from = this.version;
      this.version = this.previousVersion;
      this.previousVersion = null;
      this.healthy = true;
      this.counters.rollbacksApplied += 1;
      this.changed();
      return ok({
        version: this.version,
        previousVersion: null,
        rolledBack: true,
        rolledBackFrom: from,
      } satisfies AgentVersionReply);
    });
  }

  /** The HTTP layer counts every request that reaches the instance, before anything is checked. */
  received(): void {
    this.counters.requests += 1;
  }

  /** The HTTP layer records the trace context an agent call carried. */
  traced(operation: string, traceparent: string): void {
    this.tracedCalls.push({ operation, traceparent });
    if (this.tracedCalls.length > TRACED_CALLS_KEPT) this.tracedCalls.shift();
  }

  /** Admin: the instance stops answering (its process died). */
  crash(): void {
    this.crashed = true;
    this.changed();
  }

  /** Admin: the instance's process restarts; it keeps its installed version and drain state. */
  restart(): void {
    this.crashed = false;
    this.changed();
  }

  private async applyUpgrade(request: UpgradeCommand, token: number | null): Promise<AgentReply> {
    if (!this.draining) {
      return problem(
        409,
        'not-drained',
        'Drain the instance first',
        `${this.name} still takes traffic; drain it before upgrading`,
      );
    }
    if (request.version === this.version) {
      return ok({
        version: this.version,
        previousVersion: this.previousVersion,
        applied: false,
      } satisfies AgentVersionReply);
    }
    const faults = this.env.faults();
    // A new attempt: whatever an older upgrade kept is no longer what a rollback of this one restores.
    // If this attempt fails before applying, a rollback is a no-op (the running version stays).
    const runningBefore = this.version;
    this.previousVersion = null;
    this.upgrading = true;
    this.changed();
    try {
      await this.delay('upgrade');
      let artifact: Buffer;
      try {
        artifact = await this.env.artifacts(request.artifactUrl);
      } catch (error) {
        const detail = error instanceof ArtifactUnavailableError ? error.message : String(error);
        return problem(503, 'artifact-unavailable', 'The artifact could not be fetched', detail);
      }
      const verification = verifyArtifact(
        artifact,
        request.sha256,
        request.signature,
        this.env.trustedKeys(),
      );
      if (!verification.ok) {
        return problem(422, verification.code, 'The artifact failed verification', verification.detail);
      }
      if (faultApplies(faults.upgradeHangs, this.name, this.env.random)) {
        await this.env.stopped;
        return problem(
          503,
          'agent-stopping',
          'The agent is stopping',
          'the fleet stopped while the upgrade hung',
        );
      }
      if (faultApplies(faults.crashOnUpgrade, this.name, this.env.random)) {
        this.crash();
        return problem(503, 'crashed', 'The instance crashed', `${this.name} crashed while upgrading`);
      }
      if (faultApplies(faults.upgradeFails, this.name, this.env.random)) {
        return problem(
          422,
          'upgrade-failed',
          'The upgrade failed',
          `simulated installation failure on ${this.name}; version unchanged`,
        );
      }
      // A newer command (a rollback) was accepted while this one installed: it must not undo it.
      const superseded = staleFencingReason('upgrade', token, this.fencingToken);
      if (superseded) return staleFencingToken(superseded);
      // Keep the previous version so that a rollback can restore it (docs/agent-protocol.md, "Upgrade").
      this.previousVersion = runningBefore;
      this.version = request.version;
      this.healthy = !faultApplies(faults.unhealthyAfterUpgrade, this.name, this.env.random);
      this.counters.upgradesApplied += 1;
      return ok({
        version: this.version,
        previousVersion: this.previousVersion,
        applied: true,
        sha256: verification.sha256,
      } satisfies AgentVersionReply);
    } finally {
      this.upgrading = false;
      this.changed();
    }
  }

  private async mutate(
    operation: AgentMutatingOperation,
    body: unknown,
    run: (fencingToken: number | null) => Promise<AgentReply>,
  ): Promise<AgentReply> {
    const commandId = commandIdOf(body);
    if (!commandId) {
      return problem(
        400,
        'invalid-request',
        'commandId is required',
        'send a UUID commandId with every mutating call',
      );
    }
    const token = fencingTokenOf(body);
    if (token === 'invalid') {
      return problem(
        400,
        'invalid-request',
        'fencingToken is invalid',
        'fencingToken must be an integer >= 1',
      );
    }
    // Before the idempotency record: a stale caller learns it is stale even on a repeat, and is not recorded.
    const stale = staleFencingReason(operation, token, this.fencingToken);
    if (stale) return staleFencingToken(stale);
    const existing = this.commands.get(commandId);
    if (existing) {
      if (existing.operation !== operation) {
        return problem(
          409,
          'command-id-reused',
          'The commandId was used for another operation',
          `commandId ${commandId} was used for ${existing.operation}, not ${operation}`,
        );
      }
      this.counters.replays += 1;
      return existing.reply;
    }
    this.pendingOperations += 1;
    const reply = (async () => {
      try {
        // An upgrade's latency is its installation time, spent inside the operation (out of service).
        if (operation !== 'upgrade') await this.delay(operation);
        if (this.takeTransientError()) {
          return problem(
            503,
            'temporarily-unavailable',
            'The agent is busy',
            'simulated transient error; retry the same commandId',
          );
        }
        // A newer token may have been accepted while this call waited.
        const late = staleFencingReason(operation, token, this.fencingToken);
        if (late) return staleFencingToken(late);
        const applied = this.accept(operation, commandId, token);
        const settled = await run(token);
        applied.status = settled.status;
        return settled;
      } finally {
        this.pendingOperations -= 1;
      }
    })();
    const record: CommandRecord = { operation, reply };
    this.commands.set(commandId, record);
    const settled = await reply;
    // A transient failure had no effect: forget it so that a retry runs the operation.
    if (isTransient(settled) && this.commands.get(commandId) === record) this.commands.delete(commandId);
    return settled;
  }

  /** Takes the call's token as the newest and logs the call; synchronous with the check before it. */
  private accept(operation: AgentMutatingOperation, commandId: string, token: number | null): AppliedCall {
    if (token !== null) this.fencingToken = Math.max(this.fencingToken ?? 0, token);
    const applied: AppliedCall = {
      operation,
      commandId,
      fencingToken: token,
      acceptedAt: new Date().toISOString(),
      status: null,
    };
    this.appliedCalls.push(applied);
    if (this.appliedCalls.length > APPLIED_CALLS_KEPT) this.appliedCalls.shift();
    return applied;
  }

  private takeTransientError(): boolean {
    const rule = this.env.faults().transientErrors;
    if (!rule) {
      this.transientErrorsLeft = null;
      return false;
    }
    if (this.transientErrorsLeft === null) {
      this.transientErrorsLeft = faultApplies(rule, this.name, this.env.random) ? (rule.count ?? 1) : 0;
    }
    if (this.transientErrorsLeft <= 0) return false;
    this.transientErrorsLeft -= 1;
    return true;
  }

  /** Admin: forget the per-instance transient-error budget so a new fault configuration applies. */
  resetFaultState(): void {
    this.transientErrorsLeft = null;
  }

  private async delay(operation: AgentOperation): Promise<void> {
    const ms = sampleLatency(latencyFor(this.env.latency(), operation), this.env.random);
    if (ms > 0) await sleep(ms);
  }

  private changed(): void {
    this.env.onStateChange(this);
  }
}

function staleFencingToken(detail: string): AgentReply {
  return problem(409, 'stale-fencing-token', 'A newer command holds this instance', detail);
}

function commandIdOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const id = (body as Record<string, unknown>)['commandId'];
  return typeof id === 'string' && UUID_LIKE.test(id) ? id : null;
}

function rollbackTargetOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const version = (body as Record<string, unknown>)['toVersion'];
  return typeof version === 'string' && version !== '' ? version : null;
}

function validateUpgradeBody(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  const b = body as Record<string, unknown>;
  const missing = ['version', 'artifactUrl', 'sha256'].filter((f) => typeof b[f] !== 'string' || b[f] === '');
  if (missing.length > 0) return `missing or empty: ${missing.join(', ')}`;
  if (!/^[0-9a-f]{64}$/i.test(b['sha256'] as string)) return 'sha256 must be 64 hexadecimal characters';
  if (b['signature'] !== undefined && b['signature'] !== null && typeof b['signature'] !== 'string') {
    return 'signature must be a base64 string or null';
  }
  return null;
}
