import { Inject, Injectable } from '@nestjs/common';
import { getJson } from '../common/http-json';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';

/** `GET {agentUrl}/agent/status` of the agent protocol. */
export interface AgentStatus {
  version: string;
  healthy: boolean;
  draining: boolean;
  /** Free capacity as the agent reports it (docs/agent-protocol.md); null when absent or malformed. */
  capacity: AgentCapacity | null;
  lastBackupAt: string | null;
}

export interface AgentCapacity {
  cpuPercentFree: number;
  memoryMbFree: number;
  diskMbFree: number;
}

export type AgentAnswer<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Read-only calls to an instance's agent, made directly by the orchestrator (ADR 0041): the
 * validation checks and the canary monitor only look, they never change an instance, so they do not
 * need to go through the workers' per-instance lease.
 */
@Injectable()
export class AgentClient {
  private readonly timeoutMs: number;

  constructor(@Inject(ORCHESTRATOR_CONFIG) config: OrchestratorConfig) {
    this.timeoutMs = config.AGENT_TIMEOUT_MS;
  }

  async status(agentUrl: string): Promise<AgentAnswer<AgentStatus>> {
    const res = await this.get(agentUrl, '/agent/status');
    if (!res.ok) return res;
    const body = res.value as Partial<AgentStatus> | null;
    if (body === null || typeof body !== 'object' || typeof body.version !== 'string') {
      return { ok: false, error: 'status body is not an agent status' };
    }
    return {
      ok: true,
      value: {
        version: body.version,
        healthy: body.healthy === true,
        draining: body.draining === true,
        capacity: readCapacity(body.capacity),
        lastBackupAt: typeof body.lastBackupAt === 'string' ? body.lastBackupAt : null,
      },
    };
  }

  /** Healthy when the agent answers 2xx and does not say `healthy: false`. */
  async health(agentUrl: string): Promise<AgentAnswer<true>> {
    const res = await this.get(agentUrl, '/agent/health');
    if (!res.ok) return res;
    const body = res.value as { healthy?: unknown } | null;
    if (body !== null && typeof body === 'object' && body.healthy === false) {
      return { ok: false, error: 'agent reports unhealthy' };
    }
    return { ok: true, value: true };
  }

  private async get(agentUrl: string, path: string): Promise<AgentAnswer<unknown>> {
    try {
      const res = await getJson(`${agentUrl.replace(/\/$/, '')}${path}`, this.timeoutMs);
      if (res.status < 200 || res.status >= 300)
        return { ok: false, error: `${path} answered ${res.status}` };
      return { ok: true, value: res.body };
    } catch (error) {
      return {
        ok: false,
        error: `${path} failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
}

function readCapacity(value: unknown): AgentCapacity | null {
  if (value === null || typeof value !== 'object') return null;
  const { cpuPercentFree, memoryMbFree, diskMbFree } = value as Record<string, unknown>;
  if (
    typeof cpuPercentFree !== 'number' ||
    typeof memoryMbFree !== 'number' ||
    typeof diskMbFree !== 'number'
  )
    return null;
  return { cpuPercentFree, memoryMbFree, diskMbFree };
}
