import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { OrchestratorConfig } from '../config';
import { RegistryClient, type RegistryVersion } from '../registry/registry.client';
import { REGISTRY_PATIENCE_MS, unsignedTarget, whileRegistryRecovers } from './validation-runner';

function target(fields: Partial<RegistryVersion>): RegistryVersion {
  return {
    id: 'b8a7c1de-0000-4000-8000-000000000001',
    componentId: 'b8a7c1de-0000-4000-8000-000000000002',
    version: '2.2.0',
    status: 'published',
    artifact: { url: 'https://artifacts.example.com/2.2.0.tgz', sha256: 'a'.repeat(64), signature: null },
    signed: false,
    signingKeyId: null,
    signatureRequired: false,
    dependencies: {},
    ...fields,
  };
}

// ADR 0073: with keys, only a version recorded as signed by a registered key is a target.
describe('unsignedTarget', () => {
  it('accepts anything when the component has no keys', () => {
    expect(unsignedTarget(target({ signatureRequired: false, signed: false }))).toBeNull();
  });

  it('accepts a version signed by a registered key', () => {
    expect(
      unsignedTarget(target({ signatureRequired: true, signed: true, signingKeyId: 'key-1' })),
    ).toBeNull();
  });

  it('refuses a version published unsigned once the component has keys', () => {
    expect(unsignedTarget(target({ signatureRequired: true, signed: false }))).toMatch(
      /^target version 2\.2\.0 is unsigned but its component has signing keys/,
    );
  });

  it('refuses a version whose verifying key was removed', () => {
    expect(unsignedTarget(target({ signatureRequired: true, signed: true, signingKeyId: null }))).toMatch(
      /key that signed target version 2\.2\.0 is no longer registered/,
    );
  });
});

// A registry that restarts (or whose database does) answers 5xx or nothing for a few seconds: the
// version check asks again for a while instead of failing the upgrade; a refusal is not retried.
describe('whileRegistryRecovers, against an HTTP registry', () => {
  let server: Server;
  let url: string;
  let answers: number[];
  let requests: number;

  beforeEach(async () => {
    requests = 0;
    server = createServer((_req, res) => {
      const status = answers[Math.min(requests, answers.length - 1)] ?? 200;
      requests += 1;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { id: 'c1', name: 'upshift-gateway' } : { title: 'no' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const client = () =>
    new RegistryClient({ REGISTRY_URL: url, REGISTRY_TOKEN: 'token' } as unknown as OrchestratorConfig);

  it('asks again after 5xx answers, waiting longer each time, and returns the answer', async () => {
    answers = [503, 500, 200];
    const waits: number[] = [];
    const component = await whileRegistryRecovers(() => client().getComponent('c1'), {
      patienceMs: REGISTRY_PATIENCE_MS,
      wait: async (ms) => waits.push(ms),
    });
    expect(component).toEqual({ id: 'c1', name: 'upshift-gateway' });
    expect(requests).toBe(3);
    expect(waits).toEqual([500, 1_000]);
  });

  it('gives up once its patience would run out, with the registry error problem', async () => {
    answers = [503];
    let clock = 0;
    const attempt = whileRegistryRecovers(() => client().getComponent('c1'), {
      patienceMs: 4_000,
      now: () => clock,
      wait: async (ms) => (clock += ms),
    });
    await expect(attempt).rejects.toMatchObject({ title: 'Registry error', status: 502 });
    // 0.5 + 1 + 2 s waited; a fourth wait of 4 s would pass the 4 s of patience.
    expect(requests).toBe(4);
  });

  it('asks again when the registry does not answer at all', async () => {
    // A port nothing listens on any more: the connection is refused.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
    await new Promise((resolve) => gone.close(resolve));
    const waits: number[] = [];
    let clock = 0;
    const attempt = whileRegistryRecovers(() => client().getComponent('c1'), {
      patienceMs: 2_000,
      now: () => clock,
      wait: async (ms) => waits.push((clock += ms)),
    });
    await expect(attempt).rejects.toMatchObject({ title: 'Registry unavailable', status: 503 });
    // Waited until 0.5 s, then 1.5 s; a wait of 2 s more would pass the 2 s of patience.
    expect(waits).toEqual([500, 1_500]);
  });

  it('does not ask again when the registry refuses', async () => {
    answers = [403];
    const attempt = whileRegistryRecovers(() => client().getComponent('c1'), {
      patienceMs: REGISTRY_PATIENCE_MS,
      wait: async () => undefined,
    });
    await expect(attempt).rejects.toMatchObject({ title: 'Registry error' });
    expect(requests).toBe(1);
  });
});
