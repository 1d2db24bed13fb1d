import * as http from 'http';
import * as https from 'https';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import {
  agentAddressLookup,
  AgentAddressNotAllowedError,
  AgentFailureReason,
  agentStatusReason,
  checkAgentUrl,
  masterKeyring,
  parseAgentAuthKey,
  parseAgentUrlAllowList,
  signAgentRequest,
  type AgentCapacity,
  type AgentHealth,
  type AgentKeyring,
  type AgentReadOperation,
  type AgentStatus,
  type AgentUrlPolicy,
} from '@upshift/contracts';
import { currentTraceCarrier } from '@upshift/tracing';
import { ORCHESTRATOR_CONFIG, OrchestratorConfig } from '../config';

/**
 * What the checks read of `GET {agentUrl}/agent/status` (AgentStatus, docs/agent-protocol.md). Read
 * leniently, field by field: an agent that reports no usable capacity still answers the backup check.
 */
export type AgentStatusReading = Pick<AgentStatus, 'version' | 'healthy' | 'draining' | 'lastBackupAt'> & {
  /** Free capacity as the agent reports it; null when absent or malformed. */
  capacity: AgentCapacity | null;
};

/** The instance to ask: its agent URL, and its tenant, whose key signs the request (ADR 0071). */
export interface AgentTarget {
  tenantId: string;
  agentUrl: string;
}

/** `error` is a fixed text (AgentFailureReason, agentStatusReason): it reaches API clients (ADR 0072). */
export type AgentAnswer<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Read-only calls to an instance's agent, made directly by the orchestrator (ADR 0041): the
 * validation checks and the canary monitor only look, they never change an instance, so they do not
 * need to go through the workers' per-instance lease. Requests are signed with the tenant's agent key
 * (ADR 0071) and go only to addresses AGENT_URL_ALLOW allows (ADR 0072).
 */
@Injectable()
export class AgentClient implements OnModuleDestroy {
  private readonly logger = new Logger(AgentClient.name);
  private readonly timeoutMs: number;
  private readonly keys: AgentKeyring;
  private readonly policy: AgentUrlPolicy;
  // Keep-alive pools (checks fan out over whole fleets); new sockets resolve through the policy.
  private readonly http: http.Agent;
  private readonly https: https.Agent;

  constructor(@Inject(ORCHESTRATOR_CONFIG) config: OrchestratorConfig) {
    this.timeoutMs = config.AGENT_TIMEOUT_MS;
    this.keys = masterKeyring(parseAgentAuthKey(config.AGENT_AUTH_KEY));
    this.policy = parseAgentUrlAllowList(config.AGENT_URL_ALLOW);
    const lookup = agentAddressLookup(this.policy);
    this.http = new http.Agent({ keepAlive: true, maxSockets: 64, lookup });
    this.https = new https.Agent({ keepAlive: true, maxSockets: 64, lookup });
  }

  onModuleDestroy(): void {
    this.http.destroy();
    this.https.destroy();
  }

  async status(target: AgentTarget): Promise<AgentAnswer<AgentStatusReading>> {
    const res = await this.get(target, 'status');
    if (!res.ok) return res;
    const body = res.value as Partial<Record<keyof AgentStatus, unknown>> | null;
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
  async health(target: AgentTarget): Promise<AgentAnswer<true>> {
    const res = await this.get(target, 'health');
    if (!res.ok) return res;
    const body = res.value as Partial<Record<keyof AgentHealth, unknown>> | null;
    if (body !== null && typeof body === 'object' && body.healthy === false) {
      return { ok: false, error: 'agent reports unhealthy' };
    }
    return { ok: true, value: true };
  }

  private async get(target: AgentTarget, operation: AgentReadOperation): Promise<AgentAnswer<unknown>> {
    let url: URL;
    try {
      url = new URL(`${target.agentUrl.replace(/\/$/, '')}/agent/${operation}`);
    } catch {
      return { ok: false, error: AgentFailureReason.ADDRESS_NOT_ALLOWED };
    }
    if (checkAgentUrl(url, this.policy).kind === 'refused')
      return { ok: false, error: AgentFailureReason.ADDRESS_NOT_ALLOWED };
    try {
      const { status, text } = await this.request(target.tenantId, url);
      if (status < 200 || status >= 300) {
        return { ok: false, error: agentStatusReason(status, problemCode(text)) };
      }
      try {
        return { ok: true, value: text ? (JSON.parse(text) as unknown) : null };
      } catch {
        return { ok: false, error: AgentFailureReason.BAD_RESPONSE };
      }
    } catch (error) {
      // The raw error names hosts and ports: logs only, a fixed reason for the check's detail.
      this.logger.debug({ err: error, operation }, 'agent call failed');
      if (error instanceof AgentAddressNotAllowedError)
        return { ok: false, error: AgentFailureReason.ADDRESS_NOT_ALLOWED };
      if (error instanceof AgentTimeoutError) return { ok: false, error: AgentFailureReason.TIMED_OUT };
      return { ok: false, error: AgentFailureReason.UNREACHABLE };
    }
  }

  /** One signed GET; rejects on network errors and timeouts only. */
  private request(tenantId: string, url: URL): Promise<{ status: number; text: string }> {
    const isHttps = url.protocol === 'https:';
    const headers = {
      accept: 'application/json',
      // The pre-upgrade checks run in the trace of the start that asked for them (ADR 0091).
      ...currentTraceCarrier(),
      ...signAgentRequest(this.keys, tenantId, {
        method: 'GET',
        pathAndQuery: `${url.pathname}${url.search}`,
      }),
    };
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request(
        url,
        { method: 'GET', agent: isHttps ? this.https : this.http, headers, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) res.destroy(new Error('response larger than 1 MiB'));
            else chunks.push(chunk);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new AgentTimeoutError(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}

class AgentTimeoutError extends Error {
  override readonly name = 'AgentTimeoutError';
}

/** The agent's problem `code`, if its error body is a problem document. */
function problemCode(text: string): string | null {
  try {
    const body = JSON.parse(text) as { code?: unknown } | null;
    return body !== null && typeof body === 'object' && typeof body.code === 'string' ? body.code : null;
  } catch {
    return null;
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
