/**
 * How a worker drives one instance. The HTTP implementation speaks the agent protocol
 * (docs/agent-protocol.md); another driver (SSH, a cloud API) could sit behind the same interface.
 * Every mutating call carries a commandId and is idempotent on the agent's side.
 */
export interface AgentStatus {
  instanceId: string;
  name: string;
  version: string;
  previousVersion: string | null;
  healthy: boolean;
  draining: boolean;
  capacity: { cpuPercentFree: number; memoryMbFree: number; diskMbFree: number };
  lastBackupAt: string | null;
}

export interface AgentHealth {
  healthy: boolean;
  version: string;
  checks: { name: string; healthy: boolean; detail?: string }[];
}

export interface UpgradeInstruction {
  commandId: string;
  version: string;
  artifactUrl: string;
  sha256: string;
  signature: string | null;
}

export interface VersionReply {
  version: string;
  previousVersion: string | null;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * The instance an agent call goes to: its agent URL, and its tenant, whose key signs the request
 * (ADR 0071). An InstanceCommand is one.
 */
export interface AgentTarget {
  tenantId: string;
  agentUrl: string;
}

export interface AgentDriver {
  status(target: AgentTarget, options?: CallOptions): Promise<AgentStatus>;
  health(target: AgentTarget, options?: CallOptions): Promise<AgentHealth>;
  drain(target: AgentTarget, commandId: string, options?: CallOptions): Promise<AgentStatus>;
  undrain(target: AgentTarget, commandId: string, options?: CallOptions): Promise<AgentStatus>;
  upgrade(target: AgentTarget, instruction: UpgradeInstruction, options?: CallOptions): Promise<VersionReply>;
  /** Restores the version kept by the last upgrade; `toVersion` is the version the caller expects to end on. */
  rollback(
    target: AgentTarget,
    commandId: string,
    toVersion: string,
    options?: CallOptions,
  ): Promise<VersionReply>;
  backup(target: AgentTarget, commandId: string, options?: CallOptions): Promise<{ lastBackupAt: string }>;
  close(): void;
}

/**
 * A failed agent call. `transient` errors (503, other 5xx, timeouts, refused or reset connections)
 * may be retried with the same commandId; permanent ones (4xx, 422, a refused address) will fail the
 * same way again. `reason` is the fixed text results carry (AgentFailureReason, agentStatusReason);
 * `message` has the details (hosts, ports, the agent's words) and goes to the logs only.
 */
export class AgentCallError extends Error {
  override readonly name = 'AgentCallError';
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status: number | null,
    readonly code: string | null,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** The call was abandoned because the worker is shutting down; not an outcome of the command. */
export class CallAbortedError extends Error {
  override readonly name = 'CallAbortedError';
}
