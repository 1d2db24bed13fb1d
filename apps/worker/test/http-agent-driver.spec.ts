import { randomBytes, randomUUID } from 'crypto';
import { createServer } from 'net';
import type { AddressInfo } from 'net';
import {
  AgentFailureReason,
  AgentProblemCode,
  DEFAULT_AGENT_URL_ALLOW,
  masterKeyring,
  parseAgentUrlAllowList,
} from '@upshift/contracts';
import { startFleet, type Fleet } from '@upshift/fleet';
import { AgentCallError } from '../src/agent/agent-driver';
import { HttpAgentDriver } from '../src/agent/http-agent-driver';
import { agentKeys, TENANT } from './worker-harness';

function driver(options: { keys?: typeof agentKeys; allow?: string; timeoutMs?: number } = {}) {
  return new HttpAgentDriver({
    timeoutMs: options.timeoutMs ?? 2000,
    maxSockets: 4,
    keys: options.keys ?? agentKeys,
    urlPolicy: parseAgentUrlAllowList(options.allow ?? DEFAULT_AGENT_URL_ALLOW),
  });
}

async function failure(call: Promise<unknown>): Promise<AgentCallError> {
  const error = await call.then(
    () => new Error('the call succeeded'),
    (e: unknown) => e,
  );
  if (!(error instanceof AgentCallError)) throw error;
  return error;
}

describe('HttpAgentDriver: signed calls, allowed addresses, fixed reasons', () => {
  let fleet: Fleet;
  const drivers: HttpAgentDriver[] = [];
  const make = (options: Parameters<typeof driver>[0] = {}) => {
    const made = driver(options);
    drivers.push(made);
    return made;
  };

  beforeAll(async () => {
    fleet = await startFleet({ instances: 4, initialVersion: '1.0.0', agentKeys });
  });

  afterAll(async () => {
    for (const d of drivers) d.close();
    await fleet.stop();
  });

  const target = (name: string, agentUrl = fleet.agentUrl(name)) => ({ tenantId: TENANT, agentUrl });

  it('signs every request, so the agent acts on it (retries included, each with a fresh nonce)', async () => {
    const agent = make();
    const commandId = randomUUID();
    await expect(agent.drain(target('sim-0001'), { commandId })).resolves.toMatchObject({ draining: true });
    // The same call again is a new signed request (new nonce), answered from the agent's commandId record.
    await expect(agent.drain(target('sim-0001'), { commandId })).resolves.toMatchObject({ draining: true });
    expect(fleet.instance('sim-0001').counters.drains).toBe(1);
  });

  it("sends the command's fencing token; a stale one is a permanent 409 with a fixed reason", async () => {
    const agent = make();
    await agent.drain(target('sim-0004'), { commandId: randomUUID(), fencingToken: 8 });
    expect(fleet.instance('sim-0004').appliedCalls).toMatchObject([{ operation: 'drain', fencingToken: 8 }]);
    const before = fleet.instance('sim-0004');
    const error = await failure(
      agent.undrain(target('sim-0004'), { commandId: randomUUID(), fencingToken: 7 }),
    );
    expect(error).toMatchObject({
      transient: false,
      status: 409,
      code: AgentProblemCode.STALE_FENCING_TOKEN,
      reason: 'agent refused the request (HTTP 409 stale-fencing-token)',
    });
    expect(fleet.instance('sim-0004')).toEqual({
      ...before,
      counters: { ...before.counters, requests: before.counters.requests + 1 },
    });
    await agent.undrain(target('sim-0004'), { commandId: randomUUID(), fencingToken: 8 });
    expect(fleet.instance('sim-0004').draining).toBe(false);
  });

  it('reports a request the agent does not authenticate as a permanent 401 with a fixed reason', async () => {
    const stranger = make({ keys: masterKeyring(randomBytes(32)) });
    const error = await failure(stranger.drain(target('sim-0002'), { commandId: randomUUID() }));
    expect(error).toMatchObject({
      transient: false,
      status: 401,
      reason: 'agent refused the request (HTTP 401 unauthenticated)',
    });
    expect(fleet.instance('sim-0002')).toMatchObject({ draining: false, counters: { drains: 0 } });
  });

  it('never calls a refused address: metadata in any spelling, or outside AGENT_URL_ALLOW', async () => {
    const agent = make();
    for (const agentUrl of [
      'http://169.254.169.254/latest',
      'http://2852039166/',
      'http://[::ffff:169.254.169.254]/',
      'http://metadata.google.internal/',
      'http://8.8.8.8/',
    ]) {
      // ADDRESS_NOT_ALLOWED is decided before any socket opens; a failed connection has other reasons.
      const error = await failure(agent.status(target('sim-0001', agentUrl)));
      expect([agentUrl, error.reason, error.transient]).toEqual([
        agentUrl,
        AgentFailureReason.ADDRESS_NOT_ALLOWED,
        false,
      ]);
    }
  });

  it('refuses a host name whose addresses fall outside the allow list, before any request', async () => {
    const tenOnly = make({ allow: '10.0.0.0/8' });
    const viaName = fleet.agentUrl('sim-0003').replace('127.0.0.1', 'localhost');
    const error = await failure(tenOnly.drain(target('sim-0003', viaName), { commandId: randomUUID() }));
    expect(error).toMatchObject({ reason: AgentFailureReason.ADDRESS_NOT_ALLOWED, transient: false });
    expect(fleet.instance('sim-0003').counters.drains).toBe(0);
    // The same name is fine where loopback is allowed.
    await expect(make().status(target('sim-0003', viaName))).resolves.toMatchObject({ name: 'sim-0003' });
  });

  it('reports a closed port as "agent unreachable", keeping host and port out of the reason', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await failure(make().status(target('x', `http://127.0.0.1:${port}/i/x`)));
    expect(error).toMatchObject({ reason: AgentFailureReason.UNREACHABLE, transient: true });
    expect(error.message).toContain(String(port)); // the details are for the logs
  });

  it('reports a hung agent as "agent timed out"', async () => {
    fleet.setLatency({ status: { kind: 'fixed', ms: 1000 } });
    try {
      const error = await failure(make({ timeoutMs: 200 }).status(target('sim-0001')));
      expect(error).toMatchObject({ reason: AgentFailureReason.TIMED_OUT, transient: true });
    } finally {
      fleet.setLatency({});
    }
  });
});
