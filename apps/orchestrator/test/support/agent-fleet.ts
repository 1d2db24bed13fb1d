import * as http from 'http';
import type { AddressInfo } from 'net';
import { MemoryNonceStore, verifyAgentRequest, type AgentKeyring } from '@upshift/contracts';

export interface AgentState {
  version: string;
  healthy: boolean;
  capacity: { cpuPercentFree: number; memoryMbFree: number; diskMbFree: number };
  lastBackupAt: string | null;
  /** While set, the agent answers nothing until the promise settles (holds an execution in VALIDATING). */
  answersAfter: Promise<void> | null;
}

/**
 * A tiny in-test fleet of instance agents on one HTTP server: `/<name>/agent/status` and
 * `/<name>/agent/health` of the agent protocol, with per-instance state a test can flip (an unhealthy
 * canary, a missing backup). Like a real agent it answers signed requests only (ADR 0071).
 */
export class AgentFleet {
  private server: http.Server | null = null;
  private port = 0;
  private readonly nonces = new MemoryNonceStore();
  readonly agents = new Map<string, AgentState>();
  /** Requests answered, and refused for want of a valid signature. */
  readonly counts = { answered: 0, unauthenticated: 0 };

  constructor(private readonly keys: AgentKeyring) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  urlOf(name: string): string {
    return `http://127.0.0.1:${this.port}/${name}`;
  }

  add(name: string, state: Partial<AgentState> = {}): string {
    this.agents.set(name, {
      version: '1.0.0',
      healthy: true,
      capacity: { cpuPercentFree: 60, memoryMbFree: 2048, diskMbFree: 10240 },
      lastBackupAt: new Date().toISOString(),
      answersAfter: null,
      ...state,
    });
    return this.urlOf(name);
  }

  set(name: string, patch: Partial<AgentState>): void {
    const agent = this.agents.get(name);
    if (agent) Object.assign(agent, patch);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const [, name, prefix, what] = (req.url ?? '').split('?')[0]?.split('/') ?? [];
    const agent = name ? this.agents.get(name) : undefined;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const verdict = verifyAgentRequest(
      req.headers,
      { method: req.method ?? 'GET', pathAndQuery: req.url ?? '/' },
      this.keys,
      this.nonces,
    );
    if (!verdict.ok) {
      this.counts.unauthenticated += 1;
      return send(401, { code: 'unauthenticated', detail: verdict.refusal });
    }
    this.counts.answered += 1;
    if (agent === undefined || prefix !== 'agent') return send(404, { error: 'no such agent' });
    if (agent.answersAfter) {
      void agent.answersAfter.then(() => this.answer(agent, what, send));
      return;
    }
    this.answer(agent, what, send);
  }

  private answer(agent: AgentState, what: string | undefined, send: (status: number, body: unknown) => void) {
    if (what === 'status') {
      return send(200, {
        version: agent.version,
        healthy: agent.healthy,
        draining: false,
        capacity: agent.capacity,
        lastBackupAt: agent.lastBackupAt,
      });
    }
    if (what === 'health') return send(agent.healthy ? 200 : 503, { healthy: agent.healthy });
    send(404, { error: 'unknown agent endpoint' });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
