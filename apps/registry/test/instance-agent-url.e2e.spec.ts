import { API, RegistryTestContext, snapshotRegistryTables, startRegistry } from './support/registry-test-app';
import { createComponent, releaseVersion } from './support/catalog-builders';

// ADR 0072: an instance's agentUrl must be an address workers may call; cloud metadata never is.
describe('registry inventory: agent URL allow list (e2e)', () => {
  let ctx: RegistryTestContext;
  let componentId: string;
  let versionId: string;
  const tenant = 't-ssrf';

  beforeAll(async () => {
    ctx = await startRegistry('agent_url', { AGENT_URL_ALLOW: '10.0.0.0/8,*.fleet.internal' });
    componentId = await createComponent(ctx.http);
    versionId = (await releaseVersion(ctx.http, componentId, { version: '1.0.0' })).id;
  });

  afterAll(async () => {
    await ctx.close();
  });

  const register = (name: string, agentUrl: string) =>
    ctx.http.post(`${API}/tenants/${tenant}/instances`).send({ componentId, versionId, name, agentUrl });

  it('registers agent URLs inside AGENT_URL_ALLOW, and host names (checked again at connect time)', async () => {
    await register('in-range', 'http://10.1.2.3:7070').expect(201);
    await register('by-pattern', 'https://node-1.fleet.internal:9443').expect(201);
    await register('by-name', 'http://agents.example.com:7070').expect(201);
  });

  it('refuses metadata, link-local and out-of-range addresses with 400 naming agentUrl, writing nothing', async () => {
    const before = await snapshotRegistryTables(ctx.pg);
    const byPolicy: string[] = [];
    for (const agentUrl of [
      'http://169.254.169.254/latest/meta-data',
      'http://2852039166/',
      'http://0xa9.0xfe.0xa9.0xfe/',
      'http://169.254.169.254./',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]:7070',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal./computeMetadata/v1',
      'http://metadata/',
      'http://127.0.0.1:7070', // loopback is not in this registry's allow list
      'http://8.8.8.8/',
    ]) {
      const response = await register('refused', agentUrl);
      expect([agentUrl, response.status]).toEqual([agentUrl, 400]);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({
        type: 'urn:upshift:problem:validation-failed',
        // Some spellings already fail the URL syntax rule; the rest fail the address policy.
        errors: [
          { field: 'agentUrl', message: expect.stringMatching(/^agentUrl (is not an allowed|must be)/) },
        ],
      });
      if (/allowed agent address/.test(response.body.errors[0].message)) byPolicy.push(agentUrl);
    }
    expect(byPolicy).toEqual([
      'http://169.254.169.254/latest/meta-data',
      'http://0xa9.0xfe.0xa9.0xfe/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]:7070',
      'http://[fd00:ec2::254]/',
      'http://metadata/',
      'http://127.0.0.1:7070',
      'http://8.8.8.8/',
    ]);
    expect(await snapshotRegistryTables(ctx.pg)).toEqual(before);
  });

  it('refuses to move a registered instance to a refused address (re-registration is the update)', async () => {
    await register('moving', 'http://10.0.0.9:7070').expect(201);
    const refused = await register('moving', 'http://169.254.169.254/');
    expect(refused.status).toBe(400);
    const listed = await ctx.http.get(`${API}/tenants/${tenant}/instances`).expect(200);
    expect(listed.body.find((i: { name: string }) => i.name === 'moving').agentUrl).toBe(
      'http://10.0.0.9:7070',
    );
  });

  it('refuses to start with an invalid AGENT_URL_ALLOW, naming the variable', async () => {
    await expect(
      startRegistry('agent_url_bad', { AGENT_URL_ALLOW: '10.0.0.0/8,10.0.0.0/99' }),
    ).rejects.toThrow(/AGENT_URL_ALLOW: entry 2/);
  });
});
