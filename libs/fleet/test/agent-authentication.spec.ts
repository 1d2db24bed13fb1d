import { randomBytes } from 'crypto';
import {
  AGENT_AUTH_HEADERS,
  deriveTenantAgentKey,
  masterKeyring,
  signAgentRequest,
  tenantKeyring,
} from '@upshift/contracts';
import { startFleet, type Fleet } from '../src';
import { newCommandId } from './fleet-fixtures';

const master = randomBytes(32);
const workerKeys = masterKeyring(master);
const TENANT = 't-auth';
const DRAIN = '/i/sim-0001/agent/drain';
const STATUS = '/i/sim-0001/agent/status';

async function send(
  fleet: Fleet,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${fleet.baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const signed = (path: string, body?: string, options: { nowMs?: number; tenant?: string } = {}) =>
  signAgentRequest(
    workerKeys,
    options.tenant ?? TENANT,
    { method: body === undefined ? 'GET' : 'POST', pathAndQuery: path, body },
    options,
  );

describe('agent request authentication (ADR 0071)', () => {
  let fleet: Fleet;

  beforeEach(async () => {
    fleet = await startFleet({ instances: 2, initialVersion: '1.0.0', agentKeys: masterKeyring(master) });
  });

  afterEach(async () => {
    await fleet.stop();
  });

  it('answers a correctly signed request', async () => {
    const body = JSON.stringify({ commandId: newCommandId() });
    expect((await send(fleet, 'GET', STATUS, undefined, signed(STATUS))).status).toBe(200);
    expect(await send(fleet, 'POST', DRAIN, body, signed(DRAIN, body))).toMatchObject({
      status: 200,
      body: { draining: true },
    });
    expect(fleet.instance('sim-0001').counters.drains).toBe(1);
  });

  it('refuses an unsigned request with 401 and does nothing', async () => {
    const body = JSON.stringify({ commandId: newCommandId() });
    expect(await send(fleet, 'POST', DRAIN, body, {})).toMatchObject({
      status: 401,
      body: { code: 'unauthenticated', detail: 'the request is not signed' },
    });
    expect(fleet.instance('sim-0001')).toMatchObject({ draining: false, counters: { drains: 0 } });
    // Unknown instances are not revealed to unsigned callers either.
    expect((await send(fleet, 'GET', '/i/nobody/agent/status', undefined, {})).status).toBe(401);
  });

  it('refuses a signature made for another body, path or key', async () => {
    const body = JSON.stringify({ commandId: newCommandId() });
    const other = JSON.stringify({ commandId: newCommandId() });
    expect((await send(fleet, 'POST', DRAIN, other, signed(DRAIN, body))).body).toMatchObject({
      status: 401,
      detail: 'the signature does not verify',
    });
    expect((await send(fleet, 'POST', '/i/sim-0002/agent/drain', body, signed(DRAIN, body))).status).toBe(
      401,
    );
    const foreign = signAgentRequest(masterKeyring(randomBytes(32)), TENANT, {
      method: 'POST',
      pathAndQuery: DRAIN,
      body,
    });
    expect((await send(fleet, 'POST', DRAIN, body, foreign)).status).toBe(401);
    const garbled = { ...signed(DRAIN, body), [AGENT_AUTH_HEADERS.signature]: 'v1=nothex' };
    expect((await send(fleet, 'POST', DRAIN, body, garbled)).body).toMatchObject({
      detail: 'the signature headers are malformed',
    });
    expect(fleet.instance('sim-0001').counters.drains).toBe(0);
  });

  it('refuses a request signed more than five minutes ago, or ahead', async () => {
    const old = signed(STATUS, undefined, { nowMs: Date.now() - 6 * 60_000 });
    expect((await send(fleet, 'GET', STATUS, undefined, old)).body).toMatchObject({
      status: 401,
      detail: 'the timestamp is outside the accepted window',
    });
    const ahead = signed(STATUS, undefined, { nowMs: Date.now() + 6 * 60_000 });
    expect((await send(fleet, 'GET', STATUS, undefined, ahead)).status).toBe(401);
  });

  it('refuses a replayed request, even a read', async () => {
    const headers = signed(STATUS);
    expect((await send(fleet, 'GET', STATUS, undefined, headers)).status).toBe(200);
    expect((await send(fleet, 'GET', STATUS, undefined, headers)).body).toMatchObject({
      status: 401,
      detail: 'the nonce was already used',
    });
  });

  it("holding one tenant's key, refuses another tenant's requests", async () => {
    const tenantFleet = await startFleet({
      instances: 1,
      initialVersion: '1.0.0',
      agentKeys: tenantKeyring(TENANT, deriveTenantAgentKey(master, TENANT)),
    });
    try {
      const ours = signed(STATUS);
      expect((await send(tenantFleet, 'GET', STATUS, undefined, ours)).status).toBe(200);
      const theirs = signed(STATUS, undefined, { tenant: 't-other' });
      expect((await send(tenantFleet, 'GET', STATUS, undefined, theirs)).body).toMatchObject({
        status: 401,
        detail: 'this agent holds no key of that key id',
      });
    } finally {
      await tenantFleet.stop();
    }
  });

  it('leaves the admin API and the artifact repository open (simulator tooling)', async () => {
    expect((await fetch(`${fleet.baseUrl}/admin/instances`)).status).toBe(200);
    expect((await fetch(`${fleet.baseUrl}/artifacts/c/1.0.0/c.tar.gz`)).status).toBe(200);
  });
});
