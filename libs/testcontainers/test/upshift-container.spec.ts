import { Kafka, logLevel } from 'kafkajs';
import { UpshiftContainer, type StartedUpshift } from '@upshift/testcontainers';

/**
 * What UpshiftContainer hands back besides a fleet (follow-upgrade.spec.ts covers the fleet and an
 * execution): tokens that the services accept, a broker address the host can use, two workers.
 * Needs Docker and the images, as npm run test:testcontainers says.
 */
describe('UpshiftContainer without a fleet', () => {
  let upshift: StartedUpshift;

  beforeAll(async () => {
    upshift = await new UpshiftContainer().withWorkers(2).start();
  }, 600_000);

  afterAll(async () => {
    await upshift?.stop();
  });

  it('serves the one base URL to the admin token, with an empty catalog (the fleet container loads it)', async () => {
    expect(upshift.baseUrl).toMatch(/^http:\/\/[^/]+:\d+\/api\/v1\/registry$/);
    const components = await upshift.as(upshift.adminToken).call('GET', '/components', undefined, 200);
    expect(components).toEqual([]);
    await expect(upshift.fleetUpgradeBody('2.2.2')).rejects.toThrow(/withFleet/);
  });

  it("checks roles: a viewer token minted with the stack's secret may read but not create", async () => {
    const viewer = upshift.as(await upshift.mintToken('viewer@example.com', [upshift.tenantId], ['viewer']));
    await expect(viewer.call('GET', '/components', undefined, 200)).resolves.toEqual([]);
    await expect(viewer.createUpgrade({})).rejects.toThrow(/answered 403/);
  });

  it('advertises to host clients the address they bootstrapped from', async () => {
    const admin = new Kafka({ brokers: upshift.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { brokers } = await admin.describeCluster();
      expect(brokers.map((b) => `${b.host}:${b.port}`)).toEqual(upshift.kafkaBrokers);
    } finally {
      await admin.disconnect();
    }
  });

  it("exposes the registry's own port", async () => {
    const response = await fetch(`${upshift.registryUrl}/health/ready`);
    expect(response.status).toBe(200);
  });
});
