import { runFuzzCampaign, testToken } from '@upshift/testing';
import { registerFleet } from './support/fleet-fixture';
import { TestStack } from './support/stack';
import { createUpgrade } from './support/upgrades';

/**
 * Requests generated from the orchestrator's OpenAPI document — valid and invalid bodies, ids, query
 * values and content types, with and without tokens: none may answer 5xx, and every 4xx is problem+json.
 */
describe('orchestrator under generated requests (e2e)', () => {
  let stack: TestStack;
  const fixtures: string[] = [];
  const tokens: (string | undefined)[] = [undefined, 'not-a-token'];

  beforeAll(async () => {
    // A limit no run reaches: this suite is about answers, the limiter has its own test.
    stack = await TestStack.start('orch_fuzz', { RATE_LIMIT_REQUESTS: 1_000_000 });
    const fleet = await registerFleet(stack, 3);
    const execution = await createUpgrade(stack, fleet);
    fixtures.push(fleet.tenantId, fleet.componentId, fleet.fromVersionId, fleet.toVersionId, execution.id);
    tokens.push(
      stack.adminToken,
      await testToken({ roles: ['viewer'], tenants: [fleet.tenantId] }),
      await testToken({ roles: ['operator'], tenants: [fleet.tenantId] }),
      await testToken({ roles: ['operator'], tenants: ['someone-else'] }),
    );
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 5,000 generated requests without a 5xx, every 4xx as problem+json', async () => {
    // The merged document: the registry's paths are fuzzed through the proxy too.
    const { operations, count } = await runFuzzCampaign({
      baseUrl: stack.orchestrator.url,
      fixtures,
      tokens,
      include: (operation) => !operation.path.startsWith('/health'),
      numRuns: 5_000,
      seed: 20261202,
    });
    expect(operations).toBeGreaterThanOrEqual(12);
    // The generator reaches past the gate: successes and refusals by the services themselves both occur.
    expect(count((s) => s < 300)).toBeGreaterThan(50);
    expect(count((s) => s === 400 || s === 404 || s === 409)).toBeGreaterThan(250);
    expect(count((s) => s === 401)).toBeGreaterThan(250);
  }, 300_000);
});
