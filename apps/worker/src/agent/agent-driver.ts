import type {
  AgentBackupReply,
  AgentHealth,
  AgentStatus,
  AgentUpgradeRequest,
  AgentVersionReply,
} from '@upshift/contracts';

// The protocol's bodies are defined once, in libs/contracts (docs/agent-protocol.md); the command executor
// names the health answer through this module.
export type { AgentHealth };

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

/**
 * What identifies one mutating call: its idempotency key, and the fencing token of the command it
 * belongs to (docs/agent-protocol.md, "Fencing"). A call without a token (the orchestrator's backup
 * check) leaves `fencingToken` out.
 */
export interface AgentCall {
  commandId: string;
  fencingToken?: number;
}

/**
 * How a worker drives one instance. The HTTP implementation speaks the agent protocol
 * (docs/agent-protocol.md); another driver (SSH, a cloud API) could sit behind the same interface.
 * Every mutating call carries a commandId and is idempotent on the agent's side; the worker's also
 * carry their command's fencing token, and the agent refuses one older than the newest it accepted.
 */
export interface AgentDriver {
  status(target: AgentTarget, options?: CallOptions): Promise<AgentStatus>;
  health(target: AgentTarget, options?: CallOptions): Promise<AgentHealth>;
  drain(target: AgentTarget, call: AgentCall, options?: CallOptions): Promise<AgentStatus>;
  undrain(target: AgentTarget, call: AgentCall, options?: CallOptions): Promise<AgentStatus>;
  upgrade(
    target: AgentTarget,
    instruction: AgentUpgradeRequest,
    options?: CallOptions,
  ): Promise<AgentVersionReply>;
  /** Restores the version kept by the last upgrade; `toVersion` is the version the caller expects to end on. */
  rollback(
    target: AgentTarget,
    call: AgentCall,
    toVersion: string,
    options?: CallOptions,
  ): Promise<AgentVersionReply>;
  backup(target: AgentTarget, call: AgentCall, options?: CallOptions): Promise<AgentBackupReply>;
  close(): void;
}

/**
 * A failed agent call. `transient` errors (503, other 5xx, timeouts, refused or reset connections)
 * may be retried with the same commandId; permanent ones (4xx, 422, a refused address, a 409
 * `stale-fencing-token`) will fail the same way again. `reason` is the fixed text results carry (AgentFailureReason, agentStatusReason);
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
