import type { IncomingMessage, ServerResponse } from 'http';
import {
  AgentProblemCode,
  verifyAgentRequest,
  type AgentKeyring,
  type AgentRequestRefusal,
  type NonceStore,
} from '@upshift/contracts';
import type { SimulatedAgent } from '../agent/simulated-agent';
import { problem, type AgentReply } from '../agent/agent-reply';
import { validateFaultConfig, type FaultConfig } from '../fleet/faults';
import { validateLatencyProfile, type LatencyProfile } from '../fleet/latency';
import type { OutOfServiceHistory } from '../fleet/out-of-service-recorder';
import { BadRequestError, parseJsonBody, readBody, readJsonBody, sendJson, sendProblem } from './json-http';

/** What the HTTP layer needs from the fleet. */
export interface FleetHttpTarget {
  agent(name: string): SimulatedAgent | undefined;
  agents(): readonly SimulatedAgent[];
  describe(agent: SimulatedAgent): unknown;
  faults(): FaultConfig;
  setFaults(faults: FaultConfig): void;
  latency(): LatencyProfile;
  setLatency(latency: LatencyProfile): void;
  outOfServiceHistory(): OutOfServiceHistory;
  resetOutOfServiceHistory(): void;
  /** Keys that agent requests must be signed with, and the nonces already used (ADR 0071). */
  agentKeys: AgentKeyring;
  nonces: NonceStore;
}

const ARTIFACT_PATH = /^\/artifacts\/([^/]+)\/([^/]+)\/[^/]+$/;
const AGENT_PATH = /^\/i\/([^/]+)\/agent\/([a-z]+)$/;
const ADMIN_INSTANCE_PATH = /^\/admin\/instances\/([^/]+)(?:\/(crash|restart))?$/;

/**
 * One server for the whole fleet: instance `<name>` answers the agent protocol under
 * `/i/<name>/agent/...` (its agentUrl is `http://host:port/i/<name>`), the admin API is under
 * `/admin/...`. One port for any fleet size keeps 10,000 instances within file-descriptor limits.
 * Agent paths answer signed requests only (ADR 0071); the admin API and the artifact repository are
 * the simulator's own test tooling, outside the agent protocol, and take no credentials.
 */
export function fleetHttpHandler(target: FleetHttpTarget) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    handle(target, request, response).catch((error: unknown) => {
      if (response.headersSent) return;
      if (error instanceof BadRequestError) sendProblem(response, 400, 'Bad request', error.message);
      else
        sendProblem(response, 500, 'Internal error', error instanceof Error ? error.message : String(error));
    });
  };
}

async function handle(
  target: FleetHttpTarget,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const method = request.method ?? 'GET';

  const agentMatch = AGENT_PATH.exec(path);
  if (agentMatch) {
    const agent = target.agent(decodeURIComponent(agentMatch[1] ?? ''));
    agent?.received();
    const traceparent = request.headers['traceparent'];
    if (agent && typeof traceparent === 'string') agent.traced(agentMatch[2] ?? '', traceparent);
    if (agent?.crashed) {
      // A crashed process does not answer: drop the connection without a response.
      request.socket.destroy();
      return;
    }
    // Verified over the exact bytes and request target received, before anything is looked at.
    const body = await readBody(request);
    const verdict = verifyAgentRequest(
      request.headers,
      { method, pathAndQuery: request.url ?? '/', body },
      target.agentKeys,
      target.nonces,
    );
    if (!verdict.ok) {
      const refusal = unauthenticated(verdict.refusal);
      return sendJson(response, refusal.status, refusal.body);
    }
    if (!agent)
      return sendProblem(
        response,
        404,
        'Unknown instance',
        `no simulated instance is called ${agentMatch[1]}`,
      );
    const reply = await agentCall(agent, method, agentMatch[2] ?? '', body);
    if (agent.crashed) {
      request.socket.destroy();
      return;
    }
    if (!reply)
      return sendProblem(response, 404, 'Not found', `${method} ${path} is not part of the agent protocol`);
    return sendJson(response, reply.status, reply.body);
  }

  if (path === '/health/live' || path === '/health/ready') return sendJson(response, 200, { status: 'ok' });

  const artifactMatch = ARTIFACT_PATH.exec(path);
  if (artifactMatch && method === 'GET') {
    const bytes = syntheticArtifact(
      decodeURIComponent(artifactMatch[1] ?? ''),
      decodeURIComponent(artifactMatch[2] ?? ''),
    );
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    response.end(bytes);
    return;
  }

  if (path === '/admin/faults') {
    if (method === 'GET') return sendJson(response, 200, target.faults());
    if (method === 'PUT') {
      const body = await readJsonBody(request);
      const invalid = validateFaultConfig(body);
      if (invalid) return sendProblem(response, 400, 'Invalid fault configuration', invalid);
      target.setFaults(body as FaultConfig);
      return sendJson(response, 200, target.faults());
    }
  }
  if (path === '/admin/latency') {
    if (method === 'GET') return sendJson(response, 200, target.latency());
    if (method === 'PUT') {
      const body = await readJsonBody(request);
      const invalid = validateLatencyProfile(body);
      if (invalid) return sendProblem(response, 400, 'Invalid latency profile', invalid);
      target.setLatency(body as LatencyProfile);
      return sendJson(response, 200, target.latency());
    }
  }
  if (path === '/admin/out-of-service-history') {
    if (method === 'GET') return sendJson(response, 200, target.outOfServiceHistory());
    if (method === 'DELETE') {
      target.resetOutOfServiceHistory();
      return sendJson(response, 200, target.outOfServiceHistory());
    }
  }
  if (path === '/admin/instances' && method === 'GET') {
    return sendJson(
      response,
      200,
      target.agents().map((agent) => target.describe(agent)),
    );
  }
  const instanceMatch = ADMIN_INSTANCE_PATH.exec(path);
  if (instanceMatch) {
    const agent = target.agent(decodeURIComponent(instanceMatch[1] ?? ''));
    if (!agent)
      return sendProblem(
        response,
        404,
        'Unknown instance',
        `no simulated instance is called ${instanceMatch[1]}`,
      );
    const action = instanceMatch[2];
    if (!action && method === 'GET') return sendJson(response, 200, target.describe(agent));
    if (action && method === 'POST') {
      if (action === 'crash') agent.crash();
      else agent.restart();
      return sendJson(response, 200, target.describe(agent));
    }
  }
  return sendProblem(response, 404, 'Not found', `${method} ${path} is neither an agent nor an admin path`);
}

/**
 * The demo artifact repository: `/artifacts/<component>/<version>/<file>` serves the synthetic bytes
 * whose SHA-256 the registry's demo seed publishes (libs/demo-catalog/src/seed-registry.ts), so that
 * simulated agents really download, hash and verify what they install.
 */
export function syntheticArtifact(component: string, version: string): Buffer {
  return Buffer.from(`upshift demo artifact ${component}@${version}`, 'utf8');
}

const REFUSALS: Record<AgentRequestRefusal, string> = {
  unsigned: 'the request is not signed',
  malformed: 'the signature headers are malformed',
  'unknown-key': 'this agent holds no key of that key id',
  'bad-signature': 'the signature does not verify',
  stale: 'the timestamp is outside the accepted window',
  replayed: 'the nonce was already used',
};

function unauthenticated(refusal: AgentRequestRefusal): AgentReply {
  return problem(401, AgentProblemCode.UNAUTHENTICATED, 'Unauthenticated', REFUSALS[refusal]);
}

async function agentCall(
  agent: SimulatedAgent,
  method: string,
  operation: string,
  bytes: Buffer,
): Promise<AgentReply | null> {
  if (method === 'GET') {
    if (operation === 'status' || operation === 'health') return agent.read(operation);
    return null;
  }
  if (method !== 'POST') return null;
  const body = parseJsonBody(bytes);
  switch (operation) {
    case 'drain':
      return agent.drain(body);
    case 'undrain':
      return agent.undrain(body);
    case 'upgrade':
      return agent.upgrade(body);
    case 'rollback':
      return agent.rollback(body);
    case 'backup':
      return agent.backup(body);
    default:
      return null;
  }
}
