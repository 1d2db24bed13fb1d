import { randomBytes } from 'crypto';
import { createServer, type AddressInfo } from 'net';
import { Logger } from '@nestjs/common';
import { AgentFailureReason, DEFAULT_AGENT_URL_ALLOW, masterKeyring } from '@upshift/contracts';
import { AgentClient } from '../src/agent/agent.client';
import { loadConfig, type OrchestratorConfig } from '../src/config';
import { AgentFleet } from './support/agent-fleet';

const AGENT_AUTH_KEY = randomBytes(32).toString('hex');
const TENANT = 't-agent-client';

function client(overrides: Partial<OrchestratorConfig> = {}): AgentClient {
  return new AgentClient({
    AGENT_TIMEOUT_MS: 1000,
    AGENT_AUTH_KEY,
    AGENT_URL_ALLOW: DEFAULT_AGENT_URL_ALLOW,
    ...overrides,
  } as OrchestratorConfig);
}

describe('AgentClient: signed checks, allowed addresses, fixed reasons', () => {
  // Without an app, Nest's static Logger prints every level to the console: follow LOG_LEVEL instead.
  beforeAll(() => {
    if ((process.env['LOG_LEVEL'] ?? 'silent') === 'silent') Logger.overrideLogger(false);
  });
  const fleet = new AgentFleet(masterKeyring(Buffer.from(AGENT_AUTH_KEY, 'hex')));
  const clients: AgentClient[] = [];
  const make = (overrides: Partial<OrchestratorConfig> = {}) => {
    const made = client(overrides);
    clients.push(made);
    return made;
  };
  const at = (agentUrl: string) => ({ tenantId: TENANT, agentUrl });

  beforeAll(() => fleet.start());
  afterAll(async () => {
    for (const c of clients) c.onModuleDestroy();
    await fleet.stop();
  });

  it('signs its requests, so a verifying agent answers them', async () => {
    const url = fleet.add('a1');
    await expect(make().status(at(url))).resolves.toMatchObject({ ok: true, value: { version: '1.0.0' } });
    await expect(make().health(at(url))).resolves.toEqual({ ok: true, value: true });
  });

  it('reports an agent that does not accept its signature with a fixed 401 reason', async () => {
    const url = fleet.add('a2');
    const before = fleet.counts.unauthenticated;
    const stranger = make({ AGENT_AUTH_KEY: randomBytes(32).toString('hex') });
    await expect(stranger.health(at(url))).resolves.toEqual({
      ok: false,
      error: 'agent refused the request (HTTP 401 unauthenticated)',
    });
    expect(fleet.counts.unauthenticated).toBe(before + 1);
  });

  it('never calls a refused address', async () => {
    const answered = fleet.counts.answered + fleet.counts.unauthenticated;
    for (const url of ['http://169.254.169.254/x', 'http://[::ffff:a9fe:a9fe]/x', 'http://metadata/x']) {
      await expect(make().status(at(url))).resolves.toEqual({
        ok: false,
        error: AgentFailureReason.ADDRESS_NOT_ALLOWED,
      });
    }
    // A host name resolving outside the allow list: refused at connect, the fleet sees nothing.
    const viaName = fleet.add('a3').replace('127.0.0.1', 'localhost');
    await expect(make({ AGENT_URL_ALLOW: '10.0.0.0/8' }).health(at(viaName))).resolves.toEqual({
      ok: false,
      error: AgentFailureReason.ADDRESS_NOT_ALLOWED,
    });
    expect(fleet.counts.answered + fleet.counts.unauthenticated).toBe(answered);
  });

  it('reports closed ports and silent agents with fixed texts, not socket errors', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(make().status(at(`http://127.0.0.1:${port}/gone`))).resolves.toEqual({
      ok: false,
      error: AgentFailureReason.UNREACHABLE,
    });

    let release: () => void = () => undefined;
    const url = fleet.add('a4', { answersAfter: new Promise<void>((resolve) => (release = resolve)) });
    try {
      await expect(make({ AGENT_TIMEOUT_MS: 200 }).health(at(url))).resolves.toEqual({
        ok: false,
        error: AgentFailureReason.TIMED_OUT,
      });
    } finally {
      release();
    }
  });

  it('is configured by AGENT_AUTH_KEY (required, never echoed) and AGENT_URL_ALLOW, checked at start-up', () => {
    expect(() => loadConfig({}, {})).toThrow(/AGENT_AUTH_KEY: AGENT_AUTH_KEY is required/);
    const short = 'c3'.repeat(31);
    expect(() => loadConfig({}, { AGENT_AUTH_KEY: short })).toThrow(
      /AGENT_AUTH_KEY must be at least 32 bytes/,
    );
    expect(() => loadConfig({}, { AGENT_AUTH_KEY: short })).not.toThrow(new RegExp(short));
    expect(() => loadConfig({}, { AGENT_AUTH_KEY, AGENT_URL_ALLOW: 'localhost,300.0.0.0/8' })).toThrow(
      /AGENT_URL_ALLOW: entry 2/,
    );
  });
});
