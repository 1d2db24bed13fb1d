import { runFuzzCampaign, testToken } from '@upshift/testing';
import { createComponent, releaseVersion } from './support/catalog-builders';
import { API, RegistryTestContext, startRegistry } from './support/registry-test-app';

/**
 * Requests generated from the registry's own OpenAPI document — valid and invalid bodies, ids, query
 * values and content types, with and without tokens: none may answer 5xx, and every 4xx is problem+json.
 */
describe('registry under generated requests (e2e)', () => {
  let ctx: RegistryTestContext;
  const fixtures: string[] = ['550e8400'];
  const tokens: (string | undefined)[] = [undefined, 'not-a-token'];

  beforeAll(async () => {
    // A limit no run reaches: this suite is about answers, the limiter has its own test.
    ctx = await startRegistry('fuzz', { RATE_LIMIT_REQUESTS: 1_000_000 });
    const componentId = await createComponent(ctx.http);
    const version = await releaseVersion(ctx.http, componentId, { version: '1.0.0' });
    const instance = await ctx.http
      .post(`${API}/tenants/550e8400/instances`)
      .send({ componentId, versionId: version.id, name: 'fuzz-1', agentUrl: 'http://10.0.0.1:7070' })
      .expect(201);
    fixtures.push(componentId, version.id, instance.body.id);
    tokens.push(
      await testToken({ roles: ['admin'] }),
      await testToken({ roles: ['viewer'], tenants: ['550e8400'] }),
      await testToken({ roles: ['operator'], tenants: ['someone-else'] }),
    );
  });

  afterAll(async () => {
    await ctx.close();
  });

  it('answers 5,000 generated requests without a 5xx, every 4xx as problem+json', async () => {
    const { operations, count } = await runFuzzCampaign({
      baseUrl: ctx.registry.url,
      fixtures,
      tokens,
      numRuns: 5_000,
      seed: 20261202,
    });
    expect(operations).toBeGreaterThan(15);
    // The generator reaches past the gate: successes and validation refusals both occur.
    expect(count((s) => s < 300)).toBeGreaterThan(250);
    expect(count((s) => s === 400)).toBeGreaterThan(250);
    expect(count((s) => s === 401)).toBeGreaterThan(250);
  }, 300_000);
});
