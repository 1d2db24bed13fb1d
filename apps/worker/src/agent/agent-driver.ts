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

export interface AgentDriver {
  status(agentUrl: string, options?: CallOptions): Promise<AgentStatus>;
  health(agentUrl: string, options?: CallOptions): Promise<AgentHealth>;
  drain(agentUrl: string, commandId: string, options?: CallOptions): Promise<AgentStatus>;
  undrain(agentUrl: string, commandId: string, options?: CallOptions): Promise<AgentStatus>;
  upgrade(agentUrl: string, instruction: UpgradeInstruction, options?: CallOptions): Promise<VersionReply>;
  /** Restores the version kept by the last upgrade; `toVersion` is the version the caller expects to end on. */
  rollback(
    agentUrl: string,
    commandId: string,
    toVersion: string,
    options?: CallOptions,
  ): Promise<VersionReply>;
  backup(agentUrl: string, commandId: string, options?: CallOptions): Promise<{ lastBackupAt: string }>;
  close(): void;
}

/**
 * A failed agent call. `transient` errors (503, other 5xx, timeouts, refused or reset connections)
 * may be retried with the same commandId; permanent ones (4xx, 422) will fail the same way again.
 */
export class AgentCallError extends Error {
  override readonly name = 'AgentCallError';
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(message);
  }
}

/** The call was abandoned because the worker is shutting down; not an outcome of the command. */
export class CallAbortedError extends Error {
  override readonly name = 'CallAbortedError';
}
